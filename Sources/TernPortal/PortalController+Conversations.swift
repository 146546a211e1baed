import Foundation
import Hummingbird
import TernCore
import TernHTTP

/// The conversations pages: the list (searched in the database by text, starter and date, keyset
/// pages), a transcript, and deleting one.
extension PortalController {
    func addConversationRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/conversations", use: conversations)
        router.get("admin/conversations/:id", use: conversation)
        router.post("admin/conversations/:id/delete", use: deleteConversation)
    }

    /// The contexts whose conversations `visit` may read: every one for an admin.
    func readableContexts(_ visit: PortalVisit) -> Set<ContextID>? {
        if visit.isAdmin { return nil }
        return Set(
            visit.memberships.map(\.contextID).filter { visit.refusal(.readContext, in: $0) == nil })
    }

    /// `GET /admin/conversations?q=&user=&since=&until=&cursor=`.
    @Sendable func conversations(_ request: Request, context: TernRequestContext) async throws
        -> Response
    {
        try await page(request, context) { visit in
            let value = { (name: String) in Self.queryValue(request, name) }
            let filters = ConversationsModel.Filters(
                text: value("q"), user: value("user"), since: value("since"), until: value("until"))
            var search = ConversationSearch(
                contexts: readableContexts(visit), text: filters.text, limit: 50)
            (search.since, search.until) = try PortalQuery.days(since: filters.since, until: filters.until)
            if !filters.user.isEmpty { search.user = try await user(named: filters.user) }
            search.cursor = try PortalQuery.cursor(value("cursor"))
            let found = try await portal.conversations.search(search)
            let note =
                visit.isAdmin
                ? "Every context's conversations." : "Conversations of the contexts you are a member of."
            return PortalPage.render(
                "conversations", title: "Conversations",
                model: ConversationsModel(filters: filters, page: found, scopeNote: note),
                visit: visit, section: "Conversations")
        }
    }

    /// The query parameter `name` of `request` without surrounding spaces; "" when absent.
    static func queryValue(_ request: Request, _ name: String) -> String {
        request.formQuery[name]?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    /// The user a filter names by email, else the text as a user id (or `cli` in the audit
    /// log); a 400 when no user has the email.
    func user(named text: String) async throws -> UserID {
        if text.contains("@") {
            guard let user = try await tenants.user(email: text) else {
                throw PortalFailure.invalid("There is no user with the email '\(text)'.")
            }
            return user.id
        }
        return UserID(text)
    }

    /// The transcript of the conversation the path names: a 404 when there is none, a 403 saying
    /// why when the visitor may not do `action` in its context.
    private func transcript(
        _ context: TernRequestContext, _ visit: PortalVisit, needs action: PortalAccess.Action
    ) async throws -> ConversationTranscript {
        let id = ConversationID(context.parameters.get("id") ?? "")
        guard let transcript = try await portal.conversations.transcript(of: id, in: nil) else {
            throw PortalFailure.notFound("conversation '\(id.rawValue)'")
        }
        try visit.require(action, in: transcript.summary.conversation.contextID)
        return transcript
    }

    /// `GET /admin/conversations/{id}`: the transcript.
    @Sendable func conversation(_ request: Request, context: TernRequestContext) async throws
        -> Response
    {
        try await page(request, context) { visit in
            let transcript = try await transcript(context, visit, needs: .readContext)
            let canDelete =
                visit.refusal(.manageMembers, in: transcript.summary.conversation.contextID) == nil
            return PortalPage.render(
                "transcript", title: "Conversation",
                model: TranscriptModel(transcript, canDelete: canDelete), visit: visit,
                section: "Conversations")
        }
    }

    /// `POST /admin/conversations/{id}/delete`: for the context's owners and admins; audited
    /// (what it held, never its messages).
    @Sendable func deleteConversation(_ request: Request, context: TernRequestContext) async throws
        -> Response
    {
        try await action(request, context) { visit, _ in
            let summary = try await transcript(context, visit, needs: .manageMembers).summary
            let id = summary.conversation.id
            guard try await portal.conversations.delete(id, in: summary.conversation.contextID) else {
                throw PortalFailure.notFound("conversation '\(id.rawValue)' (it was deleted meanwhile)")
            }
            await audit(
                visit, request, context, action: "conversation.delete",
                object: ("conversation", id.rawValue),
                in: summary.conversation.contextID,
                before: [
                    "platform": .string(summary.conversation.platform),
                    "started_by": summary.startedBy.map { .string($0.rawValue) } ?? .null,
                    "messages": .number(Double(summary.messageCount)),
                    // Not `total_tokens`: the audit log masks every key that contains "token".
                    "total_usage": .number(Double(summary.totalTokens)),
                ])
            return PortalPage.redirect(to: "/admin/conversations")
        }
    }
}
