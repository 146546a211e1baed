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
import TernApp
import TernCore
import TernHTTP
import TernLLM
import TernStore
import TernTesting

/// A Tern server as `tern serve` wires it (``LiveTern``), with a scripted fake LLM as its model
/// server, a temporary SQLite file and the API key ``apiKey``.
struct Harness {
    let fake: FakeLLMServer?
    let store: RecordingConversationStore
    let database: any DatabaseHandle
    let tenants: any TenantStore
    let keys: any APIKeyStore
    let identity: IdentityResolver
    let connections: ConnectionWatch
    /// Approvals of the agent.
    let approvals: ApprovalCenter?
    /// Fires each time the agent stores a new approval request.
    let approvalRequested: ApprovalSignal

    static let apiKey = "test-key-0123456789abcdef"

    /// Runs `body` against a live server. `llm: false` leaves the model server unconfigured (as
    /// `tern serve` without `TERN_LLM_BASE_URL`); `tools` replaces the built-in tools;
    /// `environment` is more configuration; `clock` is the HTTP layer's (the `created` of
    /// answers, snapshot tests fix it).
    static func run(
        apiKeys: [String] = [apiKey], proxyKeys: [String] = [], forwardedTokens: (any ForwardedTokenVerifier)? = nil,
        llm: Bool = true, tools: [any Tool]? = nil, environment: [String: String] = [:],
        databaseLogger: Logger? = nil, cacheMaxAge: Duration? = nil, clock: (any WallClock)? = nil,
        _ body: @Sendable (Harness, any TestClientProtocol) async throws -> Void
    ) async throws {
        let fake = llm ? try await FakeLLMServer.start() : nil
        var settings = [
            "TERN_API_KEYS": apiKeys.joined(separator: ","), "TERN_TRUSTED_PROXY_KEYS": proxyKeys.joined(separator: ","),
        ]
        if let fake { settings["TERN_LLM_BASE_URL"] = fake.baseURL }
        let signal = ApprovalSignal()
        let overrides = DependencyOverrides(
            conversations: { RecordingConversationStore($0) },
            approvalStore: { SignallingApprovalStore(base: $0, signal: signal) }, tools: tools,
            forwardedTokens: forwardedTokens, cacheMaxAge: cacheMaxAge, databaseLogger: databaseLogger, clock: clock)
        do {
            try await LiveTern.run(
                environment: settings.merging(environment) { $1 },
                // A turn that fails before its first event must get its real status however loaded
                // the machine is: the start grace is long here (StreamKeepAliveTests set their own).
                configure: { $0.server.streamStartGrace = .seconds(60) }, overrides: overrides
            ) { dependencies, client in
                guard let store = dependencies.conversations as? RecordingConversationStore else {
                    throw HarnessError.notAnObject("conversation store is \(type(of: dependencies.conversations))")
                }
                let harness = Harness(
                    fake: fake, store: store, database: dependencies.database, tenants: dependencies.tenants,
                    keys: dependencies.apiKeys, identity: dependencies.identity, connections: dependencies.connections,
                    approvals: dependencies.approvals, approvalRequested: signal)
                try await body(harness, client)
            }
        } catch {
            await fake?.stop()
            throw error
        }
        await fake?.stop()
    }

    /// Rows in a table, to check that bad requests store nothing.
    func count(_ table: String) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
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
