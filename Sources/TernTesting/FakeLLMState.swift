import Foundation
import NIOCore
import Synchronization

/// The mutable side of ``FakeLLMServer``: script queue, recordings, signals. Shared by the
/// route handlers and the per-connection ``FakeLLMDisconnectWatcher``s.
final class FakeLLMState: Sendable {
    private struct Shared {
        var queue: [FakeLLMReply] = []
        var records: [FakeLLMRecordedRequest] = []
        var connections: [ObjectIdentifier: FakeLLMSignal] = [:]
        var nextID = 0
    }

    /// Fired when the server starts stopping; every waiting handler gives up.
    let stopping = FakeLLMSignal()
    /// Requests received so far.
    let requestCount = FakeLLMCounter()
    /// Requests whose client went away before the answer was complete.
    let disconnectCount = FakeLLMCounter()
    private let shared = Mutex(Shared())

    func enqueue(_ replies: [FakeLLMReply]) {
        shared.withLock { $0.queue += replies }
    }

    func dequeue() -> FakeLLMReply? {
        shared.withLock { $0.queue.isEmpty ? nil : $0.queue.removeFirst() }
    }

    func record(_ request: FakeLLMRecordedRequest) {
        shared.withLock { $0.records.append(request) }
        requestCount.increment()
    }

    var records: [FakeLLMRecordedRequest] { shared.withLock { $0.records } }

    var pendingReplies: Int { shared.withLock { $0.queue.count } }

    func makeID() -> Int {
        shared.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    func connectionOpened(_ id: ObjectIdentifier) {
        shared.withLock { $0.connections[id] = FakeLLMSignal() }
    }

    func clientClosed(_ id: ObjectIdentifier, forget: Bool = false) {
        let signal = shared.withLock { state in
            forget ? state.connections.removeValue(forKey: id) : state.connections[id]
        }
        signal?.fire()
    }

    /// Fires when the client of `channel` closes its side; already fired if it is gone.
    func clientGone(on channel: any Channel) -> FakeLLMSignal {
        if let signal = shared.withLock({ $0.connections[ObjectIdentifier(channel)] }) { return signal }
        let gone = FakeLLMSignal()
        gone.fire()
        return gone
    }

    func stop() {
        stopping.fire()
        requestCount.close()
        disconnectCount.close()
    }
}
