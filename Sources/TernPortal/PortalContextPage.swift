import Foundation
import Hummingbird
import TernCore
import TernHTTP

/// The items of a page that lists things of many contexts (credentials, MCP servers): the
/// one context its filter names, or a keyset page of the contexts where an action is allowed,
/// and each context's items.
struct ContextPage<Item: Sendable>: Sendable {
    var contexts: [Context]
    var next: String?
    var items: [(Context, Item)]
    /// The `context` filter (a context id), "" for none.
    var filter: String
    var search: String
}

/// A context a page's form can choose, for the `context` select.
struct ContextOption: Sendable {
    let id: String
    let name: String
    let selected: Bool
}

/// The context part of such a page's view model: the filter or the search, the form's context
/// choices and the link to the next contexts.
struct ContextPicker: Sendable {
    let filter: String
    let filterName: String
    let isFiltered: Bool
    let search: String
    let options: [ContextOption]
    let nextHref: String
    let hasNext: Bool

    init(_ page: ContextPage<some Sendable>, path: String) {
        filter = page.filter
        filterName = page.contexts.first { $0.id.rawValue == page.filter }?.name ?? ""
        isFiltered = !page.filter.isEmpty
        search = page.search
        options = page.contexts.map {
            ContextOption(id: $0.id.rawValue, name: $0.name, selected: $0.id.rawValue == page.filter)
        }
        nextHref = page.next.map { PortalQuery.href(path, ["q": page.search, "cursor": $0]) } ?? ""
        hasNext = page.next != nil
    }
}

extension PortalController {
    /// The page `GET <path>?context=&q=&cursor=` (or `<path>/{ctx}`) shows: the one context
    /// the filter names (after checking `action` there; 403 or 404 otherwise), else a keyset
    /// page (by name, 50 at a time) of the contexts where `action` is allowed, with the items
    /// `items` reads for them all at once (one query for the page, not one per context).
    func contextPage<Item: Sendable>(
        _ request: Request, _ context: TernRequestContext, _ visit: PortalVisit, _ action: PortalAccess.Action,
        items: (Set<ContextID>) async throws -> [ContextID: [Item]]
    ) async throws -> ContextPage<Item> {
        let filter = context.parameters.get("ctx") ?? Self.queryValue(request, "context")
        let search = Self.queryValue(request, "q")
        var page = ContextPage<Item>(contexts: [], next: nil, items: [], filter: filter, search: search)
        if !filter.isEmpty {
            let id = ContextID(filter)
            try visit.require(action, in: id)
            guard let found = try await tenants.context(id) else { throw PortalFailure.notFound("context \(id)") }
            page.contexts = [found]
        } else {
            let scope = visit.scope?.filter { visit.refusal(action, in: $0) == nil }
            if scope?.isEmpty == true { return page }
            let found = try await portal.queries.contexts(
                scope, search: search, after: request.formQuery["cursor"], limit: 50)
            (page.contexts, page.next) = (found.rows.map(\.context), found.next)
        }
        if page.contexts.isEmpty { return page }
        let byContext = try await items(Set(page.contexts.map(\.id)))
        for found in page.contexts {
            page.items += (byContext[found.id] ?? []).map { (found, $0) }
        }
        return page
    }

    /// The existing context a form's `context` field names, after checking `action` there.
    func formContext(_ form: PortalForm, _ visit: PortalVisit, _ action: PortalAccess.Action) async throws -> Context {
        let id = ContextID(try form.require("context", label: "The context"))
        try visit.require(action, in: id)
        guard let found = try await tenants.context(id) else { throw PortalFailure.notFound("context \(id)") }
        return found
    }

    /// `text` percent-encoded as one path segment.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
