package import TernCore

/// How an OpenAI-API request is tied to a stored conversation.
///
/// - With `X-Tern-Conversation-Id: <id>` the client names the conversation itself.
/// - Through Open WebUI (a trusted proxy key), its `X-OpenWebUI-Chat-Id` names it.
/// - Otherwise the key is derived from the OpenAI `user` field and a fingerprint of the first
///   user message: clients such as Open WebUI resend the whole thread on every turn, so every
///   turn of one thread maps to the same conversation, and a new thread to a new one.
///
/// Keys are namespaced by context and caller, so two tenants (or two members of one shared
/// context) using the same id never collide.
package enum ConversationKey {
    /// The `platform` of conversations started through the OpenAI-compatible API.
    package static let platform = "openai"

    /// The `platform_id` for a request.
    ///
    /// - Parameter chatID: Open WebUI's `X-OpenWebUI-Chat-Id`, taken only from a trusted proxy;
    ///   one Open WebUI chat is one conversation, whatever its first words.
    package static func platformID(
        context: ContextID, caller: UserID, headerID: String?, chatID: String? = nil, user: String?,
        messages: [ChatMessage]
    ) -> String {
        if let headerID, !headerID.isEmpty {
            return "\(context.rawValue)/\(caller.rawValue)/id/\(headerID)"
        }
        if let chatID, !chatID.isEmpty {
            return "\(context.rawValue)/\(caller.rawValue)/openwebui/\(chatID)"
        }
        let first = messages.first(where: { $0.role == .user })?.content ?? ""
        return "\(context.rawValue)/\(caller.rawValue)/user/\(user ?? "-")/\(fingerprint(first))"
    }

    /// FNV-1a 64-bit: a stable, fast fingerprint. Not a security boundary: a collision only
    /// merges two threads of the same user in the same context.
    package static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
