import TernHTTP
import Testing

/// Query parameters as HTML forms and `requests` encode them.
@Suite struct FormQueryTests {
    @Test func plusIsASpace_percentEscapesDecode_firstValueWins() {
        let query = FormQuery("q=billing+team&cursor=a%2Bb%3D&empty=&flag&q=second&bad=%ZZ+x&caf%C3%A9=%E2%9C%93")
        #expect(query["q"] == "billing team")
        #expect(query["cursor"] == "a+b=")
        #expect(query["empty"] == "" && query["flag"] == "")
        #expect(query["bad"] == "%ZZ x")
        #expect(query["café"] == "✓")
        #expect(query["missing"] == nil)
        #expect(FormQuery(nil)["q"] == nil)
    }
}
