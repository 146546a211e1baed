import Foundation
import Testing

@testable import TernPortal

/// Every template file is compiled in and registered, none renders unescaped output, and user
/// data is escaped.
@Suite struct PortalTemplatesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/TernPortal/Templates").standardized

    @Test func everyTemplateFile_isRegistered_andEscapes() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".mustache") }
        #expect(!files.isEmpty)
        for file in files {
            let name = String(file.dropLast(".mustache".count))
            #expect(PortalTemplates.sources[name] != nil, "\(file) is not listed in PortalTemplates.sources")
            let text = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("{{{") && !text.contains("{{&"), "\(file) renders something unescaped")
            #expect(!text.contains("<script>") && !text.contains(" style="), "\(file) has inline script or style")
        }
        #expect(PortalTemplates.sources.count == files.count)
        _ = PortalTemplates.library  // every template parses (a failure stops here)
    }

    @Test func userData_isEscaped() {
        let body = PortalPage.text(
            "problem", title: "<b>t</b>", model: ProblemModel(message: "<i>m</i> & \"q\"", next: nil), visit: nil)
        #expect(body.contains("&lt;i&gt;m&lt;/i&gt; &amp; &quot;q&quot;"))
        #expect(body.contains("&lt;b&gt;t&lt;/b&gt;"))
        #expect(!body.contains("<i>m</i>"))
    }
}
