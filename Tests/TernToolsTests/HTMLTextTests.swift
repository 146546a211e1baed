import Foundation
import Testing
import TernCore

@Suite struct HTMLTextTests {
    @Test func keepsStructure_dropsChrome() {
        let html = """
            <!doctype html><html><head><title>The &amp; Page</title><style>p{color:red}</style>
            <script>alert("x < y")</script></head>
            <body><nav><a href="/home">Home</a></nav>
            <h1>Main  title</h1>
            <p>First <b>bold</b> paragraph with a <a href="/docs/a?b=1">link</a>.</p>
            <!-- a comment <p>hidden</p> -->
            <ul><li>one</li><li>two &lt;3</li></ul>
            <table><tr><th>Name</th><th>Price</th></tr><tr><td>Tea</td><td>&#8364;3</td></tr></table>
            <pre>let x = 1
              let y = 2</pre>
            <footer>© footer</footer></body></html>
            """
        let page = HTMLText.convert(html, base: URL(string: "https://example.com/start/"))
        #expect(page.title == "The & Page")
        #expect(
            page.text == """
                # Main title

                First bold paragraph with a link (https://example.com/docs/a?b=1).

                - one
                - two <3

                Name | Price
                Tea | €3

                let x = 1
                  let y = 2
                """)
    }

    @Test(arguments: [
        ("<p>a<br>b</p>", "a\nb"),
        ("<p>unclosed <b>tags", "unclosed tags"),
        ("text with < sign and &unknown; entity", "text with"),
        ("<script>never closed", ""),
        ("<a href=\"javascript:alert(1)\">x</a>", "x"),
        ("<img alt=\"a cat\" src=x>", "[image: a cat]"),
        ("&#x41;&#66;&quot;", "AB\""),
    ])
    func forgivingInput(html: String, expectedPrefix: String) {
        #expect(HTMLText.convert(html).text.hasPrefix(expectedPrefix), "\(HTMLText.convert(html).text)")
    }
}
