import Testing
import TernMemory

@Suite struct ChunkerTests {
    @Test func markdown_splitsAtHeadingsOutsideCodeFences() {
        let text = """
            # Title
            Intro line.

            # Part
            ## Setup
            Run this:
            ```
            # not a heading
            make
            ```

            ## Usage
            Call it.
            """
        let chunks = Chunker().chunks(of: text, format: .markdown)
        #expect(chunks.count == 3)
        #expect(chunks[0] == "# Title\nIntro line.")
        #expect(chunks[1].hasPrefix("# Part\n## Setup") && chunks[1].contains("# not a heading"))
        #expect(chunks[2] == "## Usage\nCall it.")
    }

    @Test func longSection_isCutAtParagraphs_withinTheCap_withOverlapAndHeading() {
        let paragraph = (1...40).map { "word\($0)" }.joined(separator: " ")  // ~300 characters
        let text = "## Long\n\n" + (1...10).map { "\($0) " + paragraph }.joined(separator: "\n\n")
        let chunker = Chunker(maxCharacters: 800, overlap: 100)
        let chunks = chunker.chunks(of: text, format: .markdown)
        #expect(chunks.count > 3)
        for chunk in chunks { #expect(chunk.count <= 800, "\(chunk.count)") }
        for chunk in chunks.dropFirst() { #expect(chunk.hasPrefix("## Long\n\n")) }
        // The overlap repeats the end of the previous chunk.
        let lastWords = chunks[0].split(separator: " ").suffix(3).joined(separator: " ")
        #expect(chunks[1].contains(lastWords))
    }

    @Test func hugeParagraph_isCutAtWhiteSpace() {
        let text = String(repeating: "alpha beta gamma ", count: 500)
        let chunks = Chunker(maxCharacters: 400, overlap: 50).chunks(of: text, format: .text)
        #expect(chunks.count > 10)
        for chunk in chunks {
            #expect(chunk.count <= 400)
            #expect(!chunk.hasPrefix("lpha") && !chunk.hasSuffix("alph"))
        }
    }

    @Test func source_isCutAtLineEnds() {
        let function = (1...30).map { "    let value\($0) = compute(\($0))" }.joined(separator: "\n")
        let text = "func a() {\n\(function)\n}\n\nfunc b() {\n\(function)\n}"
        for chunk in Chunker(maxCharacters: 400, overlap: 60).chunks(of: text, format: .source) {
            #expect(chunk.count <= 400)
            for line in chunk.split(separator: "\n") {
                #expect(line.hasPrefix("    let value") || line.hasPrefix("func") || line == "}", "\(line)")
            }
        }
    }

    @Test func html_becomesText_withTitleAndHeadings() {
        let html = """
            <html><head><title>Handbook</title><script>var x = 1;</script></head>
            <body><h1>Handbook</h1><p>The VPN rotates on Mondays.</p><h2>Holidays</h2><p>25 days.</p></body></html>
            """
        let chunks = Chunker().chunks(of: html, format: .html)
        #expect(chunks.count == 2)
        #expect(chunks[0].contains("VPN rotates on Mondays"))
        #expect(!chunks.joined().contains("var x"))
        #expect(chunks[1].hasPrefix("## Holidays"))
    }

    @Test func blankDocument_hasNoChunks() {
        #expect(Chunker().chunks(of: " \n\n \t", format: .markdown).isEmpty)
    }

    @Test func format_isToldByExtension() {
        #expect(DocumentFormat(fileName: "docs/README.md") == .markdown)
        #expect(DocumentFormat(fileName: "notes.TXT") == .text)
        #expect(DocumentFormat(fileName: "page.html") == .html)
        #expect(DocumentFormat(fileName: "Sources/main.swift") == .source)
        #expect(DocumentFormat(fileName: "Dockerfile") == .source)
        #expect(DocumentFormat(fileName: "photo.png") == nil)
        #expect(DocumentFormat(fileName: ".hidden") == nil)
    }
}
