import Testing
import TernTelegram

@Suite struct TelegramTests {
    @Test func messageLimit_isTelegrams() {
        #expect(Telegram.maxMessageLength == 4096)
    }
}
