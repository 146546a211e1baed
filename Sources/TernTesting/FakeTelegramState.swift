import Foundation
import Synchronization
import TernCore

/// The mutable side of ``FakeTelegramServer``: the update queue, chats, recordings, scripted
/// failures and the signals tests and long polls wait on.
final class FakeTelegramState: Sendable {
    /// A queued update and its kind (`message`, `callback_query`).
    struct QueuedUpdate {
        var id: Int64
        var kind: String
        var json: JSONValue
    }

    /// A message in a chat: the users' (from ``FakeTelegramServer/sendText(chatID:from:text:username:)``)
    /// and the bot's.
    struct StoredMessage {
        var fromBot: Bool
        var from: JSONValue
        var text: String
        var keyboard: [[FakeTelegramButton]]?
        var edits = 0
    }

    /// The messages of one chat; IDs count up per chat, as in Telegram.
    struct ChatLog {
        var lastMessageID: Int64 = 0
        var messages: [Int64: StoredMessage] = [:]
        var botMessageIDs: [Int64] = []
    }

    struct Shared {
        var queue: [QueuedUpdate] = []
        var nextUpdateID: Int64 = 1
        /// The highest update ID an offset has confirmed.
        var confirmedID: Int64 = 0
        /// Fired (and replaced) whenever an update is queued; long polls wait on it.
        var arrival = OneShotSignal()
        /// Fired when another `getUpdates` replaces the one waiting now.
        var waitingPoll: OneShotSignal?
        /// Who sent ``waitingPoll`` (the caller segment of its path).
        var waitingCaller: String?
        /// The kinds the last `allowed_updates` asked for; empty means all.
        var allowedKinds: Set<String> = []
        var chats: [Int64: ChatLog] = [:]
        var events: [FakeTelegramEvent] = []
        var requests: [FakeTelegramRequest] = []
        var conflicts: [String?] = []
        var failures: [String: [FakeTelegramFailure]] = [:]
        var openCallbacks: Set<String> = []
        var nextCallbackID = 0
        var sentCounters: [Int64: FakeLLMCounter] = [:]
        var requestCounters: [String: FakeLLMCounter] = [:]
        var stopped = false
    }

    /// The bot `getMe` describes.
    let bot: JSONValue
    /// Fired when the server starts stopping; long polls end at once.
    let stopping = OneShotSignal()
    /// Recorded events (sent, edited, actions, answers).
    let eventCount = FakeLLMCounter()
    /// `getUpdates` calls that found nothing and started waiting.
    let parkedPolls = FakeLLMCounter()
    /// The highest update ID a `getUpdates` offset has confirmed (offset − 1), 0 before any.
    let confirmed = FakeLLMCounter()
    let shared = Mutex(Shared())

    init(botID: Int64, username: String) {
        bot = .object([
            "id": .number(Double(botID)), "is_bot": .bool(true), "first_name": .string("Tern Test Bot"),
            "username": .string(username), "can_join_groups": .bool(true),
            "can_read_all_group_messages": .bool(false), "supports_inline_queries": .bool(false),
        ])
    }

    // MARK: Requests and scripted failures

    func record(_ request: FakeTelegramRequest) {
        let counter = shared.withLock { state in
            state.requests.append(request)
            return Self.counter(for: request.method, in: &state)
        }
        counter.increment()
    }

    var requests: [FakeTelegramRequest] { shared.withLock { $0.requests } }

    /// A waiting `getUpdates` of `caller` was ended by a newer one (409 Conflict).
    func recordConflict(caller: String?) {
        shared.withLock { $0.conflicts.append(caller) }
    }

    /// The callers whose long polls were ended with 409 Conflict, in order.
    var conflicts: [String?] { shared.withLock { $0.conflicts } }

    func requestCounter(method: String) -> FakeLLMCounter {
        shared.withLock { Self.counter(for: method, in: &$0) }
    }

    private static func counter(for method: String, in state: inout Shared) -> FakeLLMCounter {
        if let counter = state.requestCounters[method] { return counter }
        let counter = FakeLLMCounter()
        if state.stopped { counter.close() }
        state.requestCounters[method] = counter
        return counter
    }

    func addFailure(_ failure: FakeTelegramFailure, method: String) {
        shared.withLock { $0.failures[method, default: []].append(failure) }
    }

    func takeFailure(method: String) -> FakeTelegramFailure? {
        shared.withLock { state in
            guard var list = state.failures[method], !list.isEmpty else { return nil }
            let failure = list.removeFirst()
            state.failures[method] = list
            return failure
        }
    }

    // MARK: Updates

    /// Queues an update built from its ID and wakes waiting long polls; returns the ID.
    @discardableResult
    func enqueue(kind: String, _ build: (Int64, inout Shared) -> JSONValue) -> Int64 {
        let (id, arrival) = shared.withLock { state -> (Int64, OneShotSignal) in
            let id = state.nextUpdateID
            state.nextUpdateID += 1
            let payload = build(id, &state)
            let update: JSONValue = .object(["update_id": .number(Double(id)), kind: payload])
            state.queue.append(QueuedUpdate(id: id, kind: kind, json: update))
            defer { state.arrival = OneShotSignal() }
            return (id, state.arrival)
        }
        arrival.fire()
        return id
    }

    var pendingUpdates: Int { shared.withLock { $0.queue.count } }

    /// Applies `offset` like Telegram (lower IDs are confirmed and forgotten; a negative offset
    /// keeps only that many of the newest) and returns up to `limit` updates, or none and the
    /// signal that fires when the next one arrives.
    func poll(offset: Int64?, limit: Int, allowed: [String]?) -> (updates: [JSONValue], arrival: OneShotSignal) {
        let newlyConfirmed = shared.withLock { state -> Int in
            guard let offset, offset - 1 > state.confirmedID else { return 0 }
            defer { state.confirmedID = offset - 1 }
            return Int(offset - 1 - state.confirmedID)
        }
        // The counter only counts up by one: raise it to the newly confirmed ID.
        for _ in 0..<newlyConfirmed { confirmed.increment() }
        return shared.withLock { state in
            if let allowed { state.allowedKinds = Set(allowed) }
            if let offset, offset < 0 {
                state.queue = Array(state.queue.suffix(Int(min(-offset, Int64(Int.max)))))
            } else if let offset {
                state.queue.removeAll { $0.id < offset }
            }
            // Kinds not asked for are never created by Telegram; the fake drops them.
            if !state.allowedKinds.isEmpty {
                state.queue.removeAll { !state.allowedKinds.contains($0.kind) }
            }
            return (state.queue.prefix(limit).map(\.json), state.arrival)
        }
    }

    /// Registers a `getUpdates` call that is about to wait; the one waiting before it is told to
    /// end (Telegram answers it with 409 Conflict). Returns the signal that ends this one.
    func beginWaiting(caller: String? = nil) -> OneShotSignal {
        let mine = OneShotSignal()
        let previous = shared.withLock { state in
            defer {
                state.waitingPoll = mine
                state.waitingCaller = caller
            }
            return state.waitingPoll
        }
        previous?.fire()
        parkedPolls.increment()
        return mine
    }

    /// Forgets `poll` if it is still the waiting one.
    func endWaiting(_ poll: OneShotSignal) {
        shared.withLock { state in
            if state.waitingPoll === poll {
                state.waitingPoll = nil
                state.waitingCaller = nil
            }
        }
    }

    /// The caller whose long poll waits now, if any (`""` for one without a caller segment).
    var waitingCaller: String? {
        shared.withLock { $0.waitingPoll == nil ? nil : ($0.waitingCaller ?? "") }
    }

    // MARK: Stopping

    func stop() {
        let counters = shared.withLock { state in
            state.stopped = true
            return Array(state.sentCounters.values) + Array(state.requestCounters.values)
        }
        stopping.fire()
        for counter in counters + [eventCount, parkedPolls, confirmed] { counter.close() }
    }
}

/// Waits until one of `signals` fires or `deadline` passes; returns the index of the fired
/// signal, or `nil` on timeout (or when the waiting task is cancelled).
func fakeTelegramWait(for signals: [OneShotSignal], until deadline: ContinuousClock.Instant) async -> Int? {
    await withTaskGroup(of: Int?.self) { group in
        for (index, signal) in signals.enumerated() {
            group.addTask {
                await signal.wait()
                return signal.isFired ? index : nil
            }
        }
        group.addTask {
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return nil  // cancelled because a signal fired first
            }
            return -1
        }
        var fired: Int?
        for await outcome in group {
            if let outcome {
                fired = outcome >= 0 ? outcome : nil
                break
            }
        }
        group.cancelAll()
        return fired
    }
}
