import Foundation
import TernCore

/// The Credentials page: names and times of the credentials of a page of contexts (never a
/// value), the store form and the delete buttons.
struct CredentialsModel: Sendable {
    struct Row: Sendable {
        let contextID: String
        let contextName: String
        let name: String
        let updated: String
        let deleteAction: String
    }

    let contexts: ContextPicker
    let canStore: Bool
    /// What the page says instead of the form when the visitor can store nowhere on it.
    let emptyNote: String
    let managesAny: Bool
    let formToken: String
    let rows: [Row]
    let isEmpty: Bool

    init(_ page: ContextPage<Credential>, managesAny: Bool) {
        contexts = ContextPicker(page, path: "/admin/credentials")
        self.managesAny = managesAny
        canStore = !contexts.options.isEmpty
        emptyNote =
            managesAny
            ? "No context's name contains '\(page.search)'."
            : "You manage credentials in no context: a context's owners and admins do. Ask an owner of the context."
        formToken = FormToken.make().value
        rows = page.items.map { found, credential in
            let path = "/admin/credentials/\(PortalController.segment(found.id.rawValue))/\(PortalController.segment(credential.name))"
            return Row(
                contextID: found.id.rawValue, contextName: found.name, name: credential.name,
                updated: PortalFormat.time(credential.updatedAt), deleteAction: path + "/delete")
        }
        isEmpty = rows.isEmpty
    }
}
