import Testing
import TernStore

@Suite struct PostgresURLTests {
    @Test func parse_readsEveryPart() throws {
        let url = try PostgresURL(parsing: "postgresql://tern:pa%40ss@db.example:6543/tern_prod?sslmode=verify-full&connect_timeout=3")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.username == "tern")
        #expect(url.password == "pa@ss")
        #expect(url.database == "tern_prod")
        #expect(url.tls == .verifyFull)
        #expect(url.connectTimeout == .seconds(3))
        #expect(url.location == "db.example:6543/tern_prod")
    }

    @Test func parse_defaults_portTLSAndTimeout() throws {
        let url = try PostgresURL(parsing: "postgres://tern@localhost/tern")
        #expect(url.port == 5432)
        #expect(url.password == nil)
        #expect(url.tls == .disable)
        #expect(url.connectTimeout == .seconds(5))
        #expect(try PostgresURL(parsing: "postgres://u@h/d?sslmode=prefer").tls == .disable)
        #expect(try PostgresURL(parsing: "postgres://u@h/d?sslmode=require").tls == .require)
    }

    @Test func description_hidesThePassword_secretURLRoundTrips() throws {
        let url = try PostgresURL(parsing: "postgres://tern:p%3Aw%2Fd%40x@127.0.0.1:5433/tern?sslmode=require")
        #expect(url.password == "p:w/d@x")
        #expect(url.description == "postgres://tern:***@127.0.0.1:5433/tern?sslmode=require")
        #expect(try PostgresURL(parsing: url.secretURLString) == url)
    }

    @Test(arguments: [
        ("mysql://u:topsecret@h/d", "must start with postgres://"),
        ("postgres://u:topsecret@/d", "has no host"),
        ("postgres://:topsecret@h/d", "has no user name"),
        ("postgres://u:topsecret@h", "needs exactly one database name"),
        ("postgres://u:topsecret@h/a/b", "needs exactly one database name"),
        ("postgres://u:topsecret@h/d?sslmode=sometimes", "sslmode must be"),
        ("postgres://u:topsecret@h/d?connect_timeout=0", "connect_timeout must be"),
        ("postgres://u:topsecret@h/d?pool=5", "unsupported parameter 'pool'"),
    ])
    func parse_rejectsBadURLs_withoutRepeatingThePassword(_ input: String, _ problem: String) {
        #expect {
            _ = try PostgresURL(parsing: input)
        } throws: { error in
            "\(error)".contains(problem) && !"\(error)".contains("topsecret")
        }
    }
}
