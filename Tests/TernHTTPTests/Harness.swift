import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOFoundationCompat
import SQLKit
import Synchronization
import TernAgent
import TernCore
import TernHTTP
import TernLLM
import TernStore
import TernTesting

/// A Tern HTTP app wired to a temporary SQLite file and a scripted fake LLM.
struct Harness {
    let fake: FakeLLMServer?
    let store: RecordingConversationStore
    let database: SQLiteDatabase
    let tenants: SQLTenantStore
    let keys: SQLAPIKeyStore
    let identity: IdentityResolver
    let connections: ConnectionWatch
    /// Approvals of the agent (with tools only).
    let approvals: ApprovalCenter?
    /// Fires each time the agent stores a new approval request.
    let approvalRequested: ApprovalSignal

    static let apiKey = "test-key-0123456789abcdef"

    /// Runs `body` against a live server. `llm: false` leaves the model unconfigured; `mcp` builds
    /// the admin API's MCP servers over the harness database (none: those routes answer 503);
    /// `clock` is the HTTP layer's (the `created` of answers, snapshot tests fix it).
    static func run(
        apiKeys: [String] = [apiKey], proxyKeys: [String] = [], forwardedTokens: (any ForwardedTokenVerifier)? = nil,
        llm: Bool = true, tools: [any Tool] = [],
        settings: AgentSettings = .init(model: "fake-model"),
        mcp: (@Sendable (SQLiteDatabase, Logger) -> any MCPServerAdmin)? = nil,
        databaseLogger: Logger = Logger(label: "tern.store.sqlite"),
        cacheMaxAge: Duration = TenantCache.defaultMaxAge, clock: any WallClock = SystemWallClock(),
        _ body: @Sendable (Harness, any TestClientProtocol) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(
            path: directory.appendingPathComponent("t.sqlite").path, logger: databaseLogger)
        try await Migrator(database: database).migrate()
        let fake = llm ? try await FakeLLMServer.start() : nil
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "tern.test")
        logger.logLevel = .critical
        let model: any ModelProvider =
            if let fake {
                OpenAIClient(
                    configuration: .init(
                        baseURL: fake.baseURL, readTimeout: .seconds(30), maxRetries: 1,
                        retryBaseDelay: .milliseconds(1)),
                    httpClient: httpClient, logger: logger)
            } else {
                UnconfiguredModel()
            }
        let store = RecordingConversationStore(SQLConversationStore(database: database))
        // A turn that fails before its first event must get its real status however loaded the
        // machine is: the start grace is long here (StreamKeepAliveTests set their own).
        let connections = ConnectionWatch(limits: ServerLimits(streamStartGrace: .seconds(60)))
        let epoch = MembershipEpoch()
        let tenants = SQLTenantStore(database: database, epoch: epoch, cacheMaxAge: cacheMaxAge)
        let signal = ApprovalSignal()
        let approvals = ApprovalCenter(
            store: SignallingApprovalStore(base: SQLApprovalStore(database: database), signal: signal),
            pollInterval: .milliseconds(50), logger: logger)
        let tooling =
            tools.isEmpty
            ? nil
            : AgentTooling(
                sources: [ListToolSource(list: tools)], permissions: SQLToolPermissionStore(database: database, cacheMaxAge: cacheMaxAge),
                skills: NoSkills(), approvals: approvals, epoch: epoch,
                memberRole: { user, context in try await tenants.memberships(of: user).first { $0.contextID == context }?.role })
        let agent = AgentService(
            store: store, model: model, settings: settings, tooling: tooling,
            usageStore: SQLUsageStore(database: database), logger: logger)
        let keys = SQLAPIKeyStore(
            database: database, hasher: APIKeyHasher(secretKey: Array(repeating: 7, count: 32)), epoch: epoch,
            cacheMaxAge: cacheMaxAge)
        let identity = IdentityResolver(
            tenants: tenants, keys: keys, staticKeys: apiKeys, proxyKeys: proxyKeys, forwardedTokens: forwardedTokens,
            logger: logger)
        let router = buildRouter(
            HTTPDependencies(
                conversations: store, storeHealth: DatabaseHealth(database: database), agent: agent,
                modelReachability: ModelReachability(model: fake == nil ? nil : model, logger: logger),
                identity: identity, tenants: tenants, apiKeys: keys, connections: connections, clock: clock,
                mcpServers: mcp?(database, logger)))
        let app = Application(
            router: router, server: connections.serverBuilder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logger)
        let harness = Harness(
            fake: fake, store: store, database: database, tenants: tenants, keys: keys, identity: identity,
            connections: connections,
            approvals: tooling?.approvals, approvalRequested: signal)
        do {
            try await app.test(.live) { client in try await body(harness, client) }
        } catch {
            try await httpClient.shutdown()
            await fake?.stop()
            try await database.close()
            throw error
        }
        try await httpClient.shutdown()
        await fake?.stop()
        try await database.close()
    }

    /// Rows in a table, to check that bad requests store nothing.
    func count(_ table: String) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}

struct ListToolSource: ToolSource {
    let list: [any Tool]
    func tools(for context: ContextID) async throws -> [any Tool] { list }
}

struct NoSkills: SkillCatalog {
    func skills(for context: ContextID) async -> [String: Skill] { [:] }
}

/// Signals the approval requests the agent stores, so a test can act on one without polling.
final class ApprovalSignal: Sendable {
    private let created = Mutex<[Approval]>([])
    private let signal = Mutex(OneShotSignal())

    func record(_ approval: Approval) {
        created.withLock { $0.append(approval) }
        signal.withLock { $0 }.fire()
    }

    /// The first request stored.
    func first() async -> Approval? {
        await signal.withLock { $0 }.wait()
        return created.withLock { $0.first }
    }
}

struct SignallingApprovalStore: ApprovalStore {
    let base: any ApprovalStore
    let signal: ApprovalSignal

    func create(_ approval: NewApproval) async throws -> Approval {
        let created = try await base.create(approval)
        signal.record(created)
        return created
    }
    func approval(_ id: ApprovalID, in context: ContextID) async throws -> Approval? {
        try await base.approval(id, in: context)
    }
    func decide(_ id: ApprovalID, in context: ContextID, _ decision: ApprovalDecision) async throws -> Approval {
        try await base.decide(id, in: context, decision)
    }
    func pending(in context: ContextID) async throws -> [Approval] { try await base.pending(in: context) }
    func expireOrphaned(seenBefore cutoff: Date, keep: InstanceID?, reason: String, at time: Date) async throws -> Int {
        try await base.expireOrphaned(seenBefore: cutoff, keep: keep, reason: reason, at: time)
    }
}

/// What Tern uses when no model server is configured (mirrors TernApp's).
struct UnconfiguredModel: ModelProvider {
    let error = ModelError.notConfigured(hint: "set TERN_LLM_BASE_URL")
    func complete(_ request: ChatRequest) async throws -> ChatCompletion { throw error }
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { $0.finish(throwing: error) }
    }
    func models() async throws -> [ModelInfo] { throw error }
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { throw error }
}

extension HTTPFields {
    static var authorized: HTTPFields {
        [.authorization: "Bearer \(Harness.apiKey)", .contentType: "application/json"]
    }
}

/// Decodes a JSON body into a dictionary for assertions.
func json(_ buffer: ByteBuffer) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(buffer: buffer))
    guard let dictionary = object as? [String: Any] else { throw HarnessError.notAnObject(String(buffer: buffer)) }
    return dictionary
}

/// The `error` object of an OpenAI-shaped error answer.
func errorBody(_ buffer: ByteBuffer) throws -> [String: Any] {
    guard let error = try json(buffer)["error"] as? [String: Any] else {
        throw HarnessError.notAnObject(String(buffer: buffer))
    }
    return error
}

/// The `data:` payloads of an SSE body.
func sseData(_ buffer: ByteBuffer) -> [String] {
    String(buffer: buffer).components(separatedBy: "\n\n").compactMap { frame in
        frame.hasPrefix("data: ") ? String(frame.dropFirst("data: ".count)) : nil
    }
}

enum HarnessError: Error {
    case notAnObject(String)
}

func chatBody(_ text: String = "hello there", stream: Bool = false, extra: String = "") -> ByteBuffer {
    ByteBuffer(string: #"{"model":"tern","stream":\#(stream),"messages":[{"role":"user","content":"\#(text)"}]\#(extra)}"#)
}
