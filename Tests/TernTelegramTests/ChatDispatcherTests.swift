import Synchronization
import Testing
import TernCore
import TernTelegram
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct ChatDispatcherTests {
    @Test func oneChat_keepsOrder_whileAnotherChatProceeds() async throws {
        let dispatcher = ChatDispatcher(limit: 4)
        let log = Mutex<[String]>([])
        let release = OneShotSignal()
        let otherDone = OneShotSignal()
        // Chat 1's first message blocks until chat 2 has finished: chat 2 must not wait for it.
        await dispatcher.submit(chat: 1) {
            await release.wait()
            log.withLock { $0.append("1:a") }
        }
        for name in ["b", "c", "d", "e"] {
            await dispatcher.submit(chat: 1) { log.withLock { $0.append("1:\(name)") } }
        }
        await dispatcher.submit(chat: 2) {
            log.withLock { $0.append("2:x") }
            otherDone.fire()
        }
        await otherDone.wait()
        release.fire()
        await dispatcher.waitUntilIdle()
        let entries = log.withLock { $0 }
        #expect(entries.first == "2:x")
        #expect(entries.filter { $0.hasPrefix("1:") } == ["1:a", "1:b", "1:c", "1:d", "1:e"])
    }

    @Test func limit_capsConcurrentChats() async throws {
        let dispatcher = ChatDispatcher(limit: 2)
        let running = Mutex((now: 0, most: 0))
        // Each piece waits for a partner: with the limit at 2 they run in pairs (a limit of 1
        // would hang); a limit that were ignored lets more run at once.
        let pairs = PairGate()
        for chat in 0..<10 {
            await dispatcher.submit(chat: Int64(chat)) {
                running.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                await pairs.arrive()
                running.withLock { $0.now -= 1 }
            }
        }
        await dispatcher.waitUntilIdle()
        #expect(running.withLock { $0.most } == 2)
        #expect(await dispatcher.queueDepth == 0)
    }
}
