import Foundation
import Hummingbird
import Logging
import NIOCore
import TernCore

/// The endpoints of the fake Bot API: `POST /bot<token>/<method>` with a JSON body.
struct FakeTelegramRoutes: Sendable {
    let state: FakeTelegramState
    let token: String
    let logger: Logger

    /// Telegram's limit on a message text, in UTF-16 code units.
    static let maxTextLength = 4096
    /// The actions `sendChatAction` accepts.
    static let chatActions: Set<String> = [
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    ]

    /// Adds the routes: the token is the path's first segment, as in `/bot<token>/getMe`, or the
    /// second after a caller's name (`/replica-a/bot<token>/getMe`), recorded with the request.
    func register(on router: Router<BasicRequestContext>) {
        // One catch-all route: the router refuses two parameter names at the same position.
        FakeTelegramControlRoutes(state: state).register(on: router)
        router.post("**") { request, context in
            let parts = context.parameters.getCatchAll().map(String.init)
            switch parts.count {
            case 2: return try await handle(request, bot: parts[0], method: parts[1], caller: nil)
            case 3: return try await handle(request, bot: parts[1], method: parts[2], caller: parts[0])
            default: return Self.error(404, "Not Found")
            }
        }
    }

    private func handle(_ request: Request, bot: String, method: String, caller: String?) async throws -> Response {
        let segment = bot
        var request = request
        let buffer = try await request.collectBody(upTo: 4 * 1024 * 1024)
        let body = Data(buffer.readableBytesView)
        let json = body.isEmpty ? nil : try? JSONDecoder().decode(JSONValue.self, from: body)  // nil: not JSON
        let accepted = segment == "bot" + token || segment.removingPercentEncoding == "bot" + token
        state.record(FakeTelegramRequest(method: method, json: json, tokenAccepted: accepted, caller: caller))
        guard accepted else { return Self.error(401, "Unauthorized") }
        if let failure = state.takeFailure(method: method) {
            if case .stall = failure { await state.stopping.wait() }
            return Self.response(for: failure)
        }
        do throws(FakeTelegramState.Rejection) {
            return try await answer(method, json?.objectValue ?? [:], caller: caller)
        } catch {
            return Self.error(error.code, error.description)
        }
    }

    /// Runs one API method; Telegram matches method names case-insensitively.
    private func answer(_ method: String, _ fields: [String: JSONValue], caller: String?) async throws(FakeTelegramState.Rejection)
        -> Response
    {
        switch method.lowercased() {
        case "getme":
            return Self.ok(state.bot)
        case "getupdates":
            return await getUpdates(fields, caller: caller)
        case "sendmessage":
            let chatID = try Self.chatID(fields)
            let text = try Self.text(fields)
            let keyboard = try Self.keyboard(fields)
            return Self.ok(state.sendMessage(chatID: chatID, text: text, keyboard: keyboard))
        case "editmessagetext":
            let chatID = try Self.chatID(fields)
            guard let messageID = Self.integer(fields["message_id"]) else {
                throw .init(code: 400, description: "Bad Request: message identifier is not specified")
            }
            let text = try Self.text(fields)
            let keyboard = try Self.keyboard(fields)
            return Self.ok(try state.editMessage(chatID: chatID, messageID: messageID, text: text, keyboard: keyboard))
        case "sendchataction":
            let chatID = try Self.chatID(fields)
            guard let action = fields["action"]?.stringValue, Self.chatActions.contains(action) else {
                throw .init(code: 400, description: "Bad Request: wrong parameter action in request")
            }
            state.chatAction(chatID: chatID, action: action)
            return Self.ok(.bool(true))
        case "answercallbackquery":
            guard let id = fields["callback_query_id"]?.stringValue else {
                throw .init(code: 400, description: "Bad Request: query_id is empty")
            }
            try state.answerCallback(id: id, text: fields["text"]?.stringValue)
            return Self.ok(.bool(true))
        default:
            return Self.error(404, "Not Found")
        }
    }

    /// Confirms by `offset`, then answers at once with what is pending, or long-polls: waits up to
    /// `timeout` seconds for an update, ending early when the server stops (empty answer) or a
    /// newer `getUpdates` takes over (409, as Telegram does).
    private func getUpdates(_ fields: [String: JSONValue], caller: String?) async -> Response {
        let offset = Self.integer(fields["offset"])
        let limit = Self.integer(fields["limit"]).map { Int(min(max($0, 1), 100)) } ?? 100
        let timeout = max(0, Self.integer(fields["timeout"]) ?? 0)
        let allowed = fields["allowed_updates"]?.arrayValue?.compactMap(\.stringValue)
        let deadline = ContinuousClock.now + .seconds(timeout)
        var waiting: OneShotSignal?
        defer { if let waiting { state.endWaiting(waiting) } }
        while true {
            let (updates, arrival) = state.poll(offset: offset, limit: limit, allowed: allowed)
            if !updates.isEmpty || ContinuousClock.now >= deadline || state.stopping.isFired {
                return Self.ok(.array(updates))
            }
            let superseded = waiting ?? state.beginWaiting(caller: caller)
            waiting = superseded
            switch await fakeTelegramWait(for: [arrival, superseded, state.stopping], until: deadline) {
            case 1:
                state.recordConflict(caller: caller)
                return Self.error(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                        + "make sure that only one bot instance is running")
            case 2, nil:
                return Self.ok(.array([]))
            default:
                continue  // an update arrived: answer with it
            }
        }
    }

    private static func chatID(_ fields: [String: JSONValue]) throws(FakeTelegramState.Rejection) -> Int64 {
        guard let id = integer(fields["chat_id"]) else {
            throw .init(code: 400, description: "Bad Request: chat_id is empty")
        }
        return id
    }

    /// The `text` field, checked the way Telegram checks it (UTF-16 length, not empty).
    private static func text(_ fields: [String: JSONValue]) throws(FakeTelegramState.Rejection) -> String {
        let text = fields["text"]?.stringValue ?? ""
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .init(code: 400, description: "Bad Request: message text is empty")
        }
        guard text.utf16.count <= maxTextLength else {
            throw .init(code: 400, description: "Bad Request: message is too long")
        }
        return text
    }

    private static func keyboard(_ fields: [String: JSONValue]) throws(FakeTelegramState.Rejection)
        -> [[FakeTelegramButton]]?
    {
        guard let markup = fields["reply_markup"] else { return nil }
        guard let rows = FakeTelegramButton.rows(from: markup) else {
            throw .init(code: 400, description: "Bad Request: can't parse reply keyboard markup JSON object")
        }
        return rows
    }

    /// An integer field; Telegram also accepts numbers sent as strings.
    static func integer(_ value: JSONValue?) -> Int64? {
        switch value {
        case .number(let number) where number.rounded() == number && abs(number) < 9e15: Int64(number)
        case .string(let text): Int64(text)
        default: nil
        }
    }

    private static func response(for failure: FakeTelegramFailure) -> Response {
        switch failure {
        case .status(let status, let retryAfter, let description):
            error(status, description, retryAfter: retryAfter)
        case .garbled:
            Response(
                status: .ok, headers: [.contentType: "text/html"],
                body: .init(byteBuffer: ByteBuffer(string: "<html><body>502 Bad Gateway</body></html>")))
        case .stall:
            error(500, "Internal Server Error: stopped while stalled")
        }
    }

    /// `{"ok": true, "result": …}`.
    static func ok(_ result: JSONValue) -> Response {
        json(.object(["ok": .bool(true), "result": result]), status: 200)
    }

    /// `{"ok": false, "error_code": …, "description": …}` with that HTTP status, as Telegram answers.
    static func error(_ code: Int, _ description: String, retryAfter: Int? = nil) -> Response {
        var body: [String: JSONValue] = [
            "ok": .bool(false), "error_code": .number(Double(code)), "description": .string(description),
        ]
        if let retryAfter { body["parameters"] = .object(["retry_after": .number(Double(retryAfter))]) }
        return json(.object(body), status: code)
    }

    private static func json(_ value: JSONValue, status: Int) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}
