import Foundation
import Logging
import TernCore

/// Clients that resend the whole thread each turn (Open WebUI) also resend it after an edit or
/// a "regenerate": then the thread is shorter than what is stored. The stored messages from the
/// rewound point on are marked superseded (kept, but never history again), so the new answer
/// replaces the old one instead of duplicating the turn.
extension AgentService {
    /// How many stored messages are compared with the client's thread.
    static let reconcileWindow = 200

    @inline(never)
    func reconcile(_ turn: AgentTurn) async throws {
        guard let prior = turn.priorMessages, !turn.sessionIsNew else { return }
        let stored: [MessageOutline]
        if let read = turn.storedOutline {
            stored = read  // read with the session, in the turn's first statement
        } else {
            stored = try await store.outline(of: turn.session, in: turn.context, limit: Self.reconcileWindow)
        }
        let storedUsers = stored.filter { $0.role == .user }
        guard let lastStored = storedUsers.last else { return }
        let clientUsers = prior.filter { $0.role == .user }.map { $0.content ?? "" }
        let firstReplaced: MessageOutline?
        if stored.count < Self.reconcileWindow {
            // The whole session is in view: the client's k user messages are the stored first k,
            // so a thread with fewer than Tern stored was rewound (edit or regenerate).
            firstReplaced = clientUsers.count < storedUsers.count ? storedUsers[clientUsers.count] : nil
        } else if clientUsers.last == lastStored.userContent {
            // A long session (only its tail in view) whose thread ends where Tern's does.
            firstReplaced = nil
        } else if let last = clientUsers.last,
            let match = storedUsers.lastIndex(where: { $0.userContent == last }), match + 1 < storedUsers.count
        {
            firstReplaced = storedUsers[match + 1]
        } else {
            firstReplaced = nil
        }
        guard let firstReplaced else { return }
        let count = try await store.supersede(from: firstReplaced.id, in: turn.context)
        logger.info(
            "client rewound the thread; stored tail superseded",
            metadata: [
                "context": "\(turn.context)", "session": "\(turn.session)", "from": "\(firstReplaced.id)",
                "messages": "\(count)",
            ])
    }
}
