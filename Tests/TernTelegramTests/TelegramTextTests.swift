import Foundation
import Testing
import TernTelegram

@Suite struct TelegramTextTests {
    @Test func shortText_isOneMessage() {
        #expect(TelegramText.split("hello") == ["hello"])
        #expect(TelegramText.split("  ") == [])
    }

    @Test func tenThousandCharacters_splitOnParagraphs_andNothingIsLost() {
        let paragraph = String(repeating: "word ", count: 199) + "end."  // 999 characters
        let text = Array(repeating: paragraph, count: 10).joined(separator: "\n\n")  // 10,008
        let pieces = TelegramText.split(text)
        #expect(pieces.count == 3)
        #expect(pieces.allSatisfy { $0.utf16.count <= 4096 })
        #expect(pieces.allSatisfy { $0.hasSuffix("end.") })  // cut between paragraphs
        #expect(pieces.joined(separator: "\n\n") == text)
    }

    @Test func noBreaks_cutAtSpaces_thenHard() {
        let words = String(repeating: "abcd ", count: 2000)  // 10,000 characters, spaces only
        let pieces = TelegramText.split(words)
        #expect(pieces.allSatisfy { $0.utf16.count <= 4096 && !$0.hasPrefix(" ") })
        #expect(pieces.joined(separator: " ") == words.trimmingCharacters(in: .whitespaces))
        let solid = String(repeating: "x", count: 9000)
        #expect(TelegramText.split(solid).map(\.count) == [4096, 4096, 808])
    }

    @Test func emoji_areNeverCutInHalf_andCountAsTwoUnits() {
        let text = String(repeating: "😀", count: 3000)  // 6,000 UTF-16 units
        let pieces = TelegramText.split(text)
        #expect(pieces.map { $0.count } == [2048, 952])
        #expect(pieces.allSatisfy { $0.utf16.count <= 4096 })
    }

    @Test func markdownSpecialCharacters_passThroughUntouched() {
        let text = #"*bold* _it_ `code` [link](http://x) <b>&amp; \ # + - = | { } . ! > ~"#
        #expect(TelegramText.split(text) == [text])
    }
}
