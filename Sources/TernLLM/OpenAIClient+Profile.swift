import Foundation
import Logging
import NIOHTTP1
import Synchronization
import TernCore

/// The server profile an `auto` client detected, and the one detection under way.
final class ProfileCache: Sendable {
    private struct State {
        var detected: ModelServerProfile?
        var detection: Task<ModelServerProfile?, Never>?
    }

    private let state = Mutex(State())

    /// The detected profile, once known.
    var detected: ModelServerProfile? { state.withLock { $0.detected } }

    /// Remembers `profile`; returns `false` when one was already known.
    func settle(_ profile: ModelServerProfile) -> Bool {
        state.withLock { state in
            guard state.detected == nil else { return false }
            state.detected = profile
            return true
        }
    }

    /// The detection under way, or a new one started with `start`; concurrent callers share it.
    func detection(_ start: () -> Task<ModelServerProfile?, Never>) -> Task<ModelServerProfile?, Never> {
        state.withLock { state in
            if let running = state.detection { return running }
            let task = start()
            state.detection = task
            return task
        }
    }

    /// Forgets a failed detection so the next call tries again.
    func detectionFailed() {
        state.withLock { $0.detection = nil }
    }
}

extension OpenAIClient {
    /// The profile requests are shaped for: the configured one, else the detected one. The first
    /// call of an `auto` client detects it with `GET /models` (before its own request, so it
    /// cannot interrupt it); while the server cannot be asked, calls use ``ModelServerProfile/openai``
    /// and the next call asks again.
    func profile() async -> ModelServerProfile {
        if let fixed = configuration.profile { return fixed }
        if let known = profiles.detected { return known }
        let detection = profiles.detection { Task { await detectProfile() } }
        if let detected = await detection.value { return detected }
        profiles.detectionFailed()
        return .openai
    }

    /// Asks `GET /models` once, briefly; `nil` when the server did not answer with a model list.
    private func detectProfile() async -> ModelServerProfile? {
        let call = call(.GET, "/models")
        let limits = CallLimits(head: .seconds(5), idle: .seconds(5), total: .seconds(10))
        do {
            let (data, serverHeader) = try await exchange(call, body: nil, limits: limits, retries: false)
            let owners = try decode(WireModelList.self, from: data, for: call).data.compactMap(\.ownedBy)
            return settleProfile(ownedBy: owners, serverHeader: serverHeader)
        } catch {
            logger.warning(
                "could not detect the model server profile, using openai for now",
                metadata: ["server": "\(serverName)", "error": "\(error)"])
            return nil
        }
    }

    /// Settles the profile a `GET /models` answer points to (``ModelServerProfile/openai`` when
    /// unknown) and logs it once.
    @discardableResult
    func settleProfile(ownedBy: [String], serverHeader: String?) -> ModelServerProfile {
        let detected = ModelServerProfile.detect(ownedBy: ownedBy, serverHeader: serverHeader) ?? .openai
        if profiles.settle(detected) {
            logger.info(
                "model server profile detected",
                metadata: [
                    "server": "\(serverName)", "profile": "\(detected.rawValue)",
                    "owned_by": "\(ownedBy.first ?? "")", "server_header": "\(serverHeader ?? "")",
                ])
        }
        return profiles.detected ?? detected
    }
}
