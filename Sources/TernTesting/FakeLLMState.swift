import Foundation
import NIOCore
import Synchronization
import TernCore

/// The mutable side of ``FakeLLMServer``: script queue, recordings, signals. Shared by the
/// route handlers and the per-connection ``FakeLLMDisconnectWatcher``s.
final class FakeLLMState: Sendable {
    private struct Shared {
        var queue: [FakeLLMReply] = []
        var records: [FakeLLMRecordedRequest] = []
        var connections: [ObjectIdentifier: FakeLLMSignal] = [:]
        var nextID = 0
        var runningStreams: [Int: FakeLLMSignal] = [:]
        var frozen: FakeLLMGate?
    }

    /// The real-server quirks this server reproduces.
    let quirks: FakeLLMQuirks
    /// How fast streamed answers come; `nil`: at once.
    let pace: FakeLLMPace?

    init(quirks: FakeLLMQuirks = .none, pace: FakeLLMPace? = nil) {
        self.quirks = quirks
        self.pace = pace
    }

    /// Fired when the server starts stopping; every waiting handler gives up.
    let stopping = FakeLLMSignal()
    /// Requests received so far.
    let requestCount = FakeLLMCounter()
    /// Chat completion requests received so far.
    let chatRequestCount = FakeLLMCounter()
    /// Requests whose client went away before the answer was complete.
    let disconnectCount = FakeLLMCounter()
    /// Running streams a later request cut (``FakeLLMQuirks/interruptsStreamsOnNewRequest``).
    let interruptCount = FakeLLMCounter()
    /// `GET /docs` requests (not recorded: they take no model lock).
    let docsCount = FakeLLMCounter()
    private let shared = Mutex(Shared())

    func enqueue(_ replies: [FakeLLMReply]) {
        shared.withLock { $0.queue += replies }
    }

    func dequeue() -> FakeLLMReply? {
        shared.withLock { $0.queue.isEmpty ? nil : $0.queue.removeFirst() }
    }

    /// Records a request; with ``FakeLLMQuirks/interruptsStreamsOnNewRequest`` it interrupts
    /// every running stream.
    func record(_ request: FakeLLMRecordedRequest) {
        let interrupted = shared.withLock { state in
            state.records.append(request)
            return quirks.interruptsStreamsOnNewRequest ? Array(state.runningStreams.values) : []
        }
        for signal in interrupted where !signal.isFired {
            signal.fire()
            interruptCount.increment()
        }
        requestCount.increment()
        if request.path == FakeLLMRecordedRequest.chatPath { chatRequestCount.increment() }
    }

    /// Registers a running stream; the signal fires when a later request interrupts it.
    func streamStarted() -> (id: Int, interrupted: FakeLLMSignal) {
        let signal = FakeLLMSignal()
        let id = makeID()
        shared.withLock { $0.runningStreams[id] = signal }
        return (id, signal)
    }

    /// Forgets a stream registered with ``streamStarted()``.
    func streamEnded(_ id: Int) {
        _ = shared.withLock { $0.runningStreams.removeValue(forKey: id) }
    }

    /// Makes every request wait (unanswered) until ``thaw()``.
    func freeze() {
        shared.withLock { state in
            if state.frozen == nil { state.frozen = FakeLLMGate() }
        }
    }

    /// Lets frozen requests go on.
    func thaw() {
        shared.withLock { state in
            defer { state.frozen = nil }
            return state.frozen
        }?.open()
    }

    /// The gate requests wait on while frozen.
    var frozenGate: FakeLLMGate? { shared.withLock { $0.frozen } }

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
        chatRequestCount.close()
        disconnectCount.close()
        interruptCount.close()
        docsCount.close()
    }
}
