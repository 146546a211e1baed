import Testing
import TernTools

@Suite struct GitURLPolicyTests {
    @Test(arguments: [
        ("https://github.com/apple/swift.git", GitURLPolicy.Transport.https, "github.com", 443, "swift"),
        ("https://git.example.org:8443/team/project", .https, "git.example.org", 8443, "project"),
        ("ssh://git@github.com/apple/swift.git", .ssh, "github.com", 22, "swift"),
        ("ssh://git@[2001:db8::1]:2222/repo.git", .ssh, "2001:db8::1", 2222, "repo"),
        ("git@github.com:apple/swift-nio.git", .ssh, "github.com", 22, "swift-nio"),
        ("HTTPS://GitHub.com/Apple/Swift", .https, "github.com", 443, "Swift"),
    ])
    func accepts(url: String, transport: GitURLPolicy.Transport, host: String, port: Int, name: String) throws {
        let target = try GitURLPolicy.check(url)
        #expect(target.transport == transport)
        #expect(target.host == host)
        #expect(target.port == port)
        #expect(target.repositoryName == name)
        #expect(target.url == url)
    }

    @Test(arguments: [
        ("https://user:secret@github.com/a/b.git", "credentials"),
        ("https://ghp_token123@github.com/a/b.git", "credentials"),
        ("git:pass@github.com:a/b.git", "credentials"),
        ("https://github.com/a/b.git extra", "white space"),
        ("https://github.com/a/b\t.git", "control characters"),
        ("https://github.com/a/b\u{0}.git", "control characters"),
        ("https://github.com/a/b\n.git", "control characters"),
        ("-uhttps://github.com/a/b.git", "starts with '-'"),
        ("--upload-pack=touch%20/tmp/pwned", "starts with '-'"),
        ("ssh://-oProxyCommand=touch%20x/repo", "host starts with '-'"),
        ("ssh://-oProxyCommand=x@github.com/repo", "user starts with '-'"),
        ("-oProxyCommand=x@github.com:repo", "starts with '-'"),
        ("git@-oProxyCommand=x:repo", "host starts with '-'"),
        ("https://github.com/-repo/x", "path component starts with '-'"),
        ("git@github.com:-repo.git", "path component starts with '-'"),
        ("ext::sh -c touch% /tmp/pwned", "white space"),
        ("ext::sh", "'<transport>::'"),
        ("fd::17", "'<transport>::'"),
        ("file:///etc/passwd", "scheme \"file\" is not allowed"),
        ("git://github.com/a/b.git", "scheme \"git\" is not allowed"),
        ("ftp://example.com/repo.git", "scheme \"ftp\" is not allowed"),
        ("http://github.com/a/b.git", "plain http is only allowed for allow-listed hosts"),
        ("/srv/git/repo.git", "local paths"),
        ("./repo", "local paths"),
        ("../../etc", "local paths"),
        ("~/repo", "local paths"),
        ("repo", "local paths"),
        ("C:/repo", "must name a user"),
        ("https:///a/b", "not a valid URL with a host"),
        ("https://github.com/", "names no repository path"),
        ("https://github.com/a/../../b", "'..' in the path"),
        ("https://github.com/a/b?upload-pack=x", "queries and fragments"),
        ("https://gïthub.com/a/b", "non-ASCII"),
        ("", "1 to 2048 bytes"),
    ])
    func refuses(url: String, rule: String) {
        do {
            let target = try GitURLPolicy.check(url)
            Issue.record("accepted \(url) as \(target)")
        } catch {
            #expect(error.description.contains(rule), "\(error.description)")
        }
    }

    @Test func plainHTTP_onlyForAllowListedHosts() throws {
        let allow: (String, Int) -> Bool = { host, port in host == "127.0.0.1" && port == 9418 }
        #expect(try GitURLPolicy.check("http://127.0.0.1:9418/repo.git", allowHTTP: allow).transport == .http)
        #expect(throws: GitURLPolicy.Refusal.self) { try GitURLPolicy.check("http://127.0.0.1:9419/repo.git", allowHTTP: allow) }
    }

    @Test func refusal_escapesControlCharacters() {
        #expect(throws: GitURLPolicy.Refusal(url: "https://x/\u{1b}[31m", reason: "it contains control characters")) {
            try GitURLPolicy.check("https://x/\u{1b}[31m")
        }
        #expect(
            GitURLPolicy.Refusal(url: "a\u{1b}b", reason: "r").description == #"refused repository URL a\x1bb: r"#)
    }
}
