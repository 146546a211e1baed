import Foundation
import Logging
import Synchronization
import TernAgent
import TernCore
import TernStore
import TernTesting

/// A gateway over a temporary SQLite database: the one resolver knows a static key, a proxy key
/// and Telegram links (Telegram user 99 is allow-listed as the local user).
struct TurnGatewayRig {
    static let staticKey = "static-key-0123456789"
    static let proxyKey = "proxy-key-0123456789"
    static let allowedTelegramUser: Int64 = 99

    let database: SQLiteDatabase
    let tenants: SQLTenantStore
    let keys: SQLAPIKeyStore
    let channels: SQLChannelStore
    let store: WatchedStore
    let gateway: TurnGateway

    static func run(model: any ModelProvider, _ body: (TurnGatewayRig) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        do {
            try await Migrator(database: database).migrate()
            let hasher = APIKeyHasher(secretKey: Array(repeating: 7, count: 32))
            let tenants = SQLTenantStore(database: database)
            let keys = SQLAPIKeyStore(database: database, hasher: hasher)
            let channels = SQLChannelStore(database: database, hasher: hasher)
            let store = WatchedStore(SQLConversationStore(database: database))
            var logger = Logger(label: "tern.test.gateway")
            logger.logLevel = .critical
            let identity = IdentityResolver(
                tenants: tenants, keys: keys, staticKeys: [staticKey], proxyKeys: [proxyKey],
                linkedAccounts: LinkedAccounts(channels: channels, allowedTelegramUsers: [allowedTelegramUser]),
                logger: logger)
            let agent = AgentService(store: store, model: model, settings: AgentSettings(model: "m"), logger: logger)
            let rig = TurnGatewayRig(
                database: database, tenants: tenants, keys: keys, channels: channels, store: store,
                gateway: TurnGateway(identity: identity, store: store, agent: agent))
            try await body(rig)
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
    }

    /// A conversation address namespaced like the channels' own.
    static func address(_ name: String) -> ConversationAddress {
        ConversationAddress(platform: "test") { caller in "\(caller.context.rawValue)/\(caller.user.id.rawValue)/\(name)" }
    }

    /// A new user message from `caller`.
    static func message(_ text: String, from caller: TurnCaller, in name: String = "c") -> TurnRequest {
        TurnRequest(caller: caller, conversation: address(name), kind: .message(text))
    }

    /// The stored messages of a turn's session.
    func stored(_ turn: Turn) async throws -> [Message] {
        guard let session = turn.session else { return [] }
        return try await store.history(of: session, in: turn.identity.context, limit: 100)
    }
}

/// A conversation store that remembers which conversations were opened and the session of the
/// latest, so a test can check what a refused caller left behind and a model can read the store.
final class WatchedStore: ConversationStore {
    private let base: any ConversationStore
    private let opened = Mutex<[(platformID: String, session: SessionID?)]>([])
    private let reads = Mutex<(outlineLimits: [Int], outlineCalls: Int)>(([], 0))

    init(_ base: any ConversationStore) { self.base = base }

    /// The `outlineLimit` of every ``openSession(in:platform:platformID:firstMessage:outlineLimit:)``.
    var outlineLimits: [Int] { reads.withLock { $0.outlineLimits } }

    /// How many times the stored thread was read on its own (``outline(of:in:limit:)``).
    var outlineCalls: Int { reads.withLock { $0.outlineCalls } }

    /// How many times a conversation was looked up or created.
    var openedCount: Int { opened.withLock { $0.count } }

    /// The session of the conversation opened last.
    var lastSession: SessionID? { opened.withLock { $0.last?.session } }

    func conversation(in context: ContextID, platform: String, platformID: String) async throws -> Conversation {
        opened.withLock { $0.append((platformID, nil)) }
        return try await base.conversation(in: context, platform: platform, platformID: platformID)
    }

    func currentSession(of conversation: ConversationID, in context: ContextID) async throws -> Session {
        try await base.currentSession(of: conversation, in: context)
    }

    func openSession(
        in context: ContextID, platform: String, platformID: String, firstMessage: String?, outlineLimit: Int
    ) async throws -> OpenedSession {
        reads.withLock { $0.outlineLimits.append(outlineLimit) }
        let opened = try await base.openSession(
            in: context, platform: platform, platformID: platformID, firstMessage: firstMessage,
            outlineLimit: outlineLimit)
        self.opened.withLock { $0.append((platformID, opened.session.id)) }
        return opened
    }

    func outline(of session: SessionID, in context: ContextID, limit: Int) async throws -> [MessageOutline] {
        reads.withLock { $0.outlineCalls += 1 }
        return try await base.outline(of: session, in: context, limit: limit)
    }

    func startSession(of conversation: ConversationID, in context: ContextID) async throws -> Session {
        try await base.startSession(of: conversation, in: context)
    }

    func append(_ message: NewMessage, in context: ContextID) async throws -> Message {
        try await base.append(message, in: context)
    }

    func history(of session: SessionID, in context: ContextID, limit: Int) async throws -> [Message] {
        try await base.history(of: session, in: context, limit: limit)
    }

    func supersede(from message: MessageID, in context: ContextID) async throws -> Int {
        try await base.supersede(from: message, in: context)
    }
}

/// A model that, when called, reads the session the gateway just opened and notes what the user
/// said that is already stored; then answers "ok".
final class StoreReadingModel: ModelProvider {
    private let store = Mutex<WatchedStore?>(nil)
    private let seen = Mutex<[String]>([])

    /// The user messages stored when the model was called.
    var storedAtCall: [String] { seen.withLock { $0 } }

    func watch(_ store: WatchedStore) { self.store.withLock { $0 = store } }

    func complete(_ request: ChatRequest) async throws -> ChatCompletion { ChatCompletion(content: "ok") }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatStreamEvent.self)
        let store = store.withLock { $0 }
        let task = Task {
            do {
                if let store, let session = store.lastSession {
                    let stored = try await store.history(of: session, in: .defaultContext, limit: 100)
                    seen.withLock { $0 = stored.filter { $0.role == .user }.map(\.content) }
                }
                continuation.yield(.content("ok"))
                continuation.yield(.finished(ChatCompletion(content: "ok", finishReason: "stop")))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    func models() async throws -> [ModelInfo] { [] }
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { [] }
}

/// A model that says "part of the answer" and then nothing, until its call is cancelled.
struct StallingModel: ModelProvider {
    func complete(_ request: ChatRequest) async throws -> ChatCompletion { ChatCompletion(content: "") }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatStreamEvent.self)
        let task = Task {
            continuation.yield(.content("part of the answer"))
            // Nothing is ever sent on `silence`: iterating it ends only when this task is cancelled.
            let (silence, open) = AsyncStream.makeStream(of: Never.self)
            for await _ in silence {}
            open.finish()
            continuation.finish(throwing: CancellationError())
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    func models() async throws -> [ModelInfo] { [] }
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { [] }
}
