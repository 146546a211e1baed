import Foundation
import Hummingbird
import TernCore
import TernHTTP

/// The idempotency token of a create form: rendered by the server as a hidden field, claimed
/// when the form is posted.
struct FormToken: Sendable {
    /// The hidden field's name.
    static let field = "idempotency"
    let value: String

    /// A fresh token for a form being rendered.
    static func make() -> FormToken { FormToken(value: AdminSession.makeToken()) }
}

extension PortalController {
    /// What a create did: where its object is, and the answer to give now (a redirect there
    /// unless the first answer must show something once, such as a new API key).
    struct Created: Sendable {
        var location: String
        var response: Response?
    }

    /// Runs `create` at most once per form: the form's idempotency token is claimed first, so
    /// the same form posted twice (a double click, a resent POST, with or without JavaScript)
    /// creates one object and the second post is redirected to it. A failed create gives the
    /// token back, so the corrected form can be sent again.
    func once(_ visit: PortalVisit, _ form: PortalForm, create: () async throws -> Created) async throws -> Response {
        guard let token = form.value(FormToken.field), (20...128).contains(token.count) else {
            throw PortalFailure.invalid("The form has no valid idempotency token; reload the page and send it again.")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            switch try await portal.formTokens.claim(token, session: visit.session.id) {
            case .fresh:
                let created: Created
                do {
                    created = try await create()
                } catch {
                    try await portal.formTokens.release(token)
                    throw error
                }
                try await portal.formTokens.complete(token, location: created.location)
                return created.response ?? PortalPage.redirect(to: created.location)
            case .done(let location):
                return PortalPage.redirect(to: location)
            case .foreign:
                throw PortalFailure(.forbidden, "This form was sent from another session; reload the page and send it again.")
            case .inProgress:
                // The first post of this form is still creating; its result is where this one goes.
                guard ContinuousClock.now < deadline else {
                    throw PortalFailure(.conflict, "This form is still being processed from an earlier click; reload the page in a moment.")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
