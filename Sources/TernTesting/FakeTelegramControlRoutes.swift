import Foundation
import Hummingbird
import NIOCore
import TernCore

/// What a test in another process (the replica fault suite drives `tern-fake-telegram` from
/// Python) needs of the fake Bot API, under `/_control/` — never part of Telegram's API:
///
/// - `POST /_control/messages` `{"chat_id": 42, "from": 7, "text": "hi"}`: a user writes to the
///   bot; answers `{"update_id": n}`.
/// - `GET /_control/requests`: every API call so far, in order, as
///   `{"requests": [{"caller": "replica-a", "method": "getUpdates"}, …],
///   "conflicts": ["replica-b", …], "pending": n, "waiting": "replica-a"}` (`caller` is the path
///   segment before `bot<token>`, `null` without one; `conflicts` are long polls ended by a
///   newer one with 409; `waiting` is the caller whose long poll is parked now, `null` if none).
/// - `GET /_control/sent?chat_id=42`: the final texts of the bot's messages in that chat.
struct FakeTelegramControlRoutes: Sendable {
    let state: FakeTelegramState

    func register(on router: Router<BasicRequestContext>) {
        let control = router.group("_control")
        control.post("messages") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            guard let fields = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
                let chatID = FakeTelegramRoutes.integer(fields["chat_id"]),
                let userID = FakeTelegramRoutes.integer(fields["from"]),
                let text = fields["text"]?.stringValue
            else {
                return Self.json(["error": "send {\"chat_id\": int, \"from\": int, \"text\": string}"], status: .badRequest)
            }
            let id = state.addUserMessage(
                chatID: chatID, userID: userID, username: fields["username"]?.stringValue, text: text)
            return Self.json(["update_id": .number(Double(id))])
        }
        control.get("requests") { _, _ in
            let requests = state.requests.map { request -> JSONValue in
                ["caller": request.caller.map(JSONValue.string) ?? .null, "method": .string(request.method)]
            }
            let conflicts = state.conflicts.map { $0.map(JSONValue.string) ?? .null }
            return Self.json([
                "requests": .array(requests), "conflicts": .array(conflicts),
                "pending": .number(Double(state.pendingUpdates)),
                "waiting": state.waitingCaller.map(JSONValue.string) ?? .null,
            ])
        }
        control.get("sent") { request, _ in
            guard let chatID = request.uri.queryParameters.get("chat_id").flatMap({ Int64($0) }) else {
                return Self.json(["error": "add ?chat_id=<int>"], status: .badRequest)
            }
            return Self.json(["data": .array(state.botMessages(chatID: chatID).map { .string($0.text) })])
        }
    }

    private static func json(_ fields: [String: JSONValue], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(fields).jsonText)))
    }
}
