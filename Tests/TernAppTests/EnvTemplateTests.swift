import Foundation
import Testing
@testable import TernApp

/// `.env.template` documents exactly the keys the code reads.
@Suite struct EnvTemplateTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func keys(in text: String, pattern: String) throws -> Set<String> {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        let range = NSRange(text.startIndex..., in: text)
        return Set(
            regex.matches(in: text, range: range).compactMap { match in
                Range(match.range(at: 1), in: text).map { String(text[$0]) }
            })
    }

    @Test func template_listsExactlyTheConfigKeys() throws {
        let template = try String(contentsOf: Self.root.appendingPathComponent(".env.template"), encoding: .utf8)
        let documented = try Self.keys(in: template, pattern: #"^(TERN_[A-Z0-9_]+)="#)
        let read = Set(ConfigKey.allCases.map(\.rawValue))
        #expect(read.subtracting(documented).isEmpty, "read by code but missing from .env.template")
        #expect(documented.subtracting(read).isEmpty, "in .env.template but read by no code")
    }

    @Test func sources_nameNoKeyOutsideConfigKey() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files =
            FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(!files.isEmpty)
        let known = Set(ConfigKey.allCases.map(\.rawValue))
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let named = try Self.keys(in: text, pattern: #""(TERN_[A-Z0-9_]+)""#)
            #expect(named.subtracting(known).isEmpty, "\(file.lastPathComponent) reads a key ConfigKey lacks")
        }
    }
}
