import Foundation
import TernConfigFiles
import Testing
import TernCore
import TernMCP

@Suite struct MCPConfigFileTests {
    static let environment = ["TIME_API_TOKEN": "t0k3n", "SEARCH_TOKEN": "s3cr3t", "EMPTY": "", "PRICE": "$5"]

    private func parse(_ yaml: String) throws -> [MCPServerDefinition] {
        try MCPConfigFile.parse(yaml, file: "mcp.yaml", environment: Self.environment)
    }

    @Test func parse_readsEveryKey() throws {
        let yaml = """
            # Servers every context gets.
            servers:
              time:
                command: python3
                args: ["-m", "mcp_server_time", "--local-timezone", UTC, 8080, true]
                env:
                  TZ: UTC
                  API_TOKEN: ${TIME_API_TOKEN}
                  LOG_LEVEL: debug
                secret_env: [LOG_LEVEL]
                enabled: true
              search:
                url: https://mcp.example.com/mcp
                headers:
                  Authorization: Bearer ${SEARCH_TOKEN}
                  X-Team: ops
                  X-Tenant: blue
                secret_headers: [x-tenant]
                enabled: false
              bare:
                command: /usr/local/bin/bare-mcp
                args:
                env:
            """
        #expect(
            try parse(yaml) == [
                MCPServerDefinition(
                    name: "time", transport: .stdio, command: "python3",
                    arguments: ["-m", "mcp_server_time", "--local-timezone", "UTC", "8080", "true"],
                    environment: [
                        .init(name: "TZ", value: "UTC"), .init(name: "API_TOKEN", value: "t0k3n", secret: true),
                        .init(name: "LOG_LEVEL", value: "debug", secret: true),
                    ]),
                MCPServerDefinition(
                    name: "search", transport: .http, url: "https://mcp.example.com/mcp",
                    headers: [
                        .init(name: "Authorization", value: "Bearer s3cr3t", secret: true),
                        .init(name: "X-Team", value: "ops"), .init(name: "X-Tenant", value: "blue", secret: true),
                    ],
                    enabled: false),
                MCPServerDefinition(name: "bare", transport: .stdio, command: "/usr/local/bin/bare-mcp"),
            ])
    }

    @Test(arguments: ["", "# nothing here\n", "---\n", "servers:\n", "servers: {}\n"])
    func parse_emptyFileMeansNoServers(_ yaml: String) throws {
        #expect(try parse(yaml) == [])
    }

    @Test func parse_expandsVariablesAndEscapes() throws {
        let yaml = """
            servers:
              time:
                command: run$$me
                args: ["echo $$", "$${TIME_API_TOKEN}", "$HOME", "5$", "a$b"]
                env:
                  JOINED: ${TIME_API_TOKEN}-${SEARCH_TOKEN}
                  ESCAPED: $${TIME_API_TOKEN}
                  NESTED: ${PRICE}$$
                  BLANK: "${EMPTY}"
                  LITERAL: "cost: 5$"
            """
        let server = try #require(try parse(yaml).first)
        #expect(server.command == "run$me")
        #expect(server.arguments == ["echo $", "${TIME_API_TOKEN}", "$HOME", "5$", "a$b"])
        #expect(
            server.environment == [
                .init(name: "JOINED", value: "t0k3n-s3cr3t", secret: true),
                .init(name: "ESCAPED", value: "${TIME_API_TOKEN}", secret: false),
                // An expanded value is not expanded again.
                .init(name: "NESTED", value: "$5$", secret: true),
                .init(name: "BLANK", value: "", secret: true),
                .init(name: "LITERAL", value: "cost: 5$", secret: false),
            ])
    }

    /// Bad files and the (line, message fragment) of each problem, in line order.
    static let bad: [(String, [(Int?, String)])] = [
        ("colour: red", [(1, "unknown key 'colour'; expected one of servers")]),
        ("- a\n- b", [(1, "the top level must be a mapping with keys servers; got a list")]),
        ("servers: [time]", [(1, "servers must be a mapping of server name to server; got a list")]),
        ("servers:\n  [a]: {command: x}", [(2, "servers: a list is not a valid server name")]),
        (
            "servers:\n  time: python3",
            [
                (
                    2,
                    "servers.time must be a mapping with keys command, args, env, secret_env, url, headers, "
                        + "secret_headers, enabled; got a string"
                )
            ]
        ),
        ("servers:\n  time:", [(2, "servers.time must be a mapping with keys command, ")]),
        (
            "servers:\n  time:\n    command: x\n    comand: y",
            [
                (
                    4,
                    "servers.time: unknown key 'comand'; expected one of command, args, env, secret_env, url, headers, "
                        + "secret_headers, enabled"
                )
            ]
        ),
        (
            "servers:\n  time:\n    command: python3\n    url: https://mcp.example.com/mcp",
            [(2, "servers.time has both command and url; a server is either stdio (command) or http (url)")]
        ),
        ("servers:\n  time:\n    enabled: true", [(2, "servers.time needs command (stdio) or url (http)")]),
        (
            "servers:\n  bad name:\n    command: x",
            [(2, "servers: server name 'bad name' must be 1 to 32 letters, digits, '_' or '-'")]
        ),
        ("servers:\n  a__b:\n    command: x", [(2, "servers: server name 'a__b' must not contain '__'")]),
        ("servers:\n  ternal:\n    command: x", [(2, "servers: server name 'ternal' must not start with 'tern'")]),
        ("servers:\n  a:\n    command: x\n  a:\n    command: y", [(2, "invalid YAML: duplicate key 'a'")]),
        ("servers:\n  1:\n    command: x\n  '1':\n    command: y", [(4, "servers: '1' is defined twice (first at line 2)")]),
        ("servers:\n  time:\n    command: [python3]", [(3, "servers.time.command must be text; got a list")]),
        ("servers:\n  time:\n    command: ''", [(2, "servers.time: a stdio server needs a command")]),
        ("servers:\n  time:\n    url: ~", [(3, "servers.time.url must be text; got a null")]),
        (
            "servers:\n  time:\n    command: x\n    headers: {A: b}",
            [(2, "servers.time: a stdio server takes environment variables, not headers")]
        ),
        ("servers:\n  s:\n    url: https://x\n    args: [a]", [(2, "servers.s: an http server takes a url, not a command")]),
        (
            "servers:\n  s:\n    url: https://x\n    env: {A: b}",
            [(2, "servers.s: an http server takes headers, not environment variables")]
        ),
        (
            "servers:\n  s:\n    url: https://x\n    headers:\n      Authorization: a\n      authorization: b",
            [(2, "servers.s: header 'authorization' is given twice")]
        ),
        (
            "servers:\n  time:\n    command: x\n    args: -v",
            [(4, "servers.time.args must be a list of text, like [\"--port\", \"8080\"]; got a string")]
        ),
        ("servers:\n  time:\n    command: x\n    args:\n      - a\n      - [b]", [(6, "servers.time.args[1] must be text; got a list")]),
        ("servers:\n  time:\n    command: x\n    args: [a, ~]", [(4, "servers.time.args[1] must be text; got a null")]),
        ("servers:\n  time:\n    command: x\n    env: [A]", [(4, "servers.time.env must be a mapping of name to value; got a list")]),
        (
            "servers:\n  time:\n    command: x\n    env:\n      API-TOKEN: x",
            [(5, "servers.time.env: environment variable name 'API-TOKEN' must match [A-Za-z_][A-Za-z0-9_]*")]
        ),
        ("servers:\n  time:\n    command: x\n    env:\n      A: {b: c}", [(5, "servers.time.env.A must be text; got a mapping")]),
        (
            "servers:\n  s:\n    url: https://x\n    headers:\n      Bad Header: x",
            [(5, "servers.s.headers: header name 'Bad Header' is not a valid HTTP header name")]
        ),
        (
            "servers:\n  time:\n    command: x\n    env: {A: b}\n    secret_env:\n      - A\n      - B",
            [(7, "servers.time.secret_env: 'B' is not a key of env")]
        ),
        (
            "servers:\n  s:\n    url: https://x\n    secret_headers: [Authorization]",
            [(4, "servers.s.secret_headers: 'Authorization' is not a key of headers")]
        ),
        (
            "servers:\n  time:\n    command: x\n    secret_env: A",
            [(4, "servers.time.secret_env must be a list of names, like [API_TOKEN]; got a string")]
        ),
        ("servers:\n  time:\n    command: x\n    secret_env: [[A]]", [(4, "servers.time.secret_env: a list is not a name")]),
        ("servers:\n  time:\n    command: x\n    enabled: maybe", [(4, "servers.time.enabled must be true or false; got 'maybe'")]),
        ("servers:\n  time:\n    command: x\n    enabled: 'true'", [(4, "servers.time.enabled must be true or false; got 'true'")]),
        ("servers:\n  time:\n    command: x\n    env:\n      A: ${MISSING}", [(5, "${MISSING} is not set in Tern's environment")]),
        (
            "servers:\n  s:\n    url: https://x\n    headers:\n      A: ${NOPE} and ${NADA}",
            [(5, "${NOPE} is not set in Tern's environment"), (5, "${NADA} is not set in Tern's environment")]
        ),
        (
            "servers:\n  time:\n    command: x\n    env:\n      A: ${1X}",
            [(5, "servers.time.env.A: '${1X}' is not a valid reference; NAME in ${NAME} must match [A-Za-z_][A-Za-z0-9_]*")]
        ),
        ("servers:\n  time:\n    command: x\n    env:\n      A: ${}", [(5, "servers.time.env.A: '${}' is not a valid reference")]),
        (
            "servers:\n  time:\n    command: x\n    env:\n      A: x${TIME_API_TOKEN",
            [(5, "servers.time.env.A: '${' is not closed; write ${NAME}, or $$ for a literal $")]
        ),
        (
            "servers:\n  time:\n    command: x\n    args: [\"--token=${TIME_API_TOKEN}\"]",
            [(4, "servers.time.args[0]: ${TIME_API_TOKEN} can only be used in env and headers values")]
        ),
        (
            "servers:\n  s:\n    url: https://${SEARCH_TOKEN}.example.com/mcp",
            [(3, "servers.s.url: ${SEARCH_TOKEN} can only be used in env and headers values")]
        ),
        ("servers:\n  time:\n    command: x\n    args: [a, b\n", [(5, "invalid YAML: ")]),
        ("servers:\n\tx: 1", [(2, "invalid YAML: ")]),
    ]

    @Test(arguments: bad)
    func parse_reportsEveryProblemWithItsLine(_ yaml: String, _ expected: [(Int?, String)]) {
        expectProblems(yaml, expected)
    }

    @Test func parse_reportsEveryProblemOfTheFile() {
        let yaml = """
            colour: red
            servers:
              good:
                command: python3
              both:
                command: python3
                url: https://mcp.example.com/mcp
                timeout: 5
              bad name:
                url: https://mcp.example.com/mcp
                headers:
                  Authorization: Bearer ${UNSET_TOKEN}
                secret_headers: [X-Missing]
              time:
                command: ''
            """
        expectProblems(
            yaml,
            [
                (1, "unknown key 'colour'"),
                (5, "servers.both has both command and url"),
                (8, "servers.both: unknown key 'timeout'"),
                (9, "servers: server name 'bad name' must be"),
                (12, "${UNSET_TOKEN} is not set in Tern's environment"),
                (13, "servers.bad name.secret_headers: 'X-Missing' is not a key of headers"),
                (14, "servers.time: a stdio server needs a command"),
            ])
    }

    @Test func problems_describeFileAndLine() {
        #expect {
            try MCPConfigFile.parse("servers:\n  time:\n    enabled: true\n", file: "/etc/tern/mcp.yaml", environment: [:])
        } throws: { error in
            (error as? MCPConfigFileError)?.description
                == "/etc/tern/mcp.yaml:2: servers.time needs command (stdio) or url (http)"
        }
    }

    @Test func load_readsTheFileAndReportsAMissingOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-mcp-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mcp.yaml").path
        try "servers:\n  time:\n    command: python3\n    env: {TZ: '${ZONE}'}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(
            try MCPConfigFile.load(path: path, environment: ["ZONE": "UTC"]) == [
                MCPServerDefinition(
                    name: "time", transport: .stdio, command: "python3",
                    environment: [.init(name: "TZ", value: "UTC", secret: true)])
            ])

        let missing = directory.appendingPathComponent("absent.yaml").path
        #expect(throws: MCPConfigFileError(problems: [.init(file: missing, line: nil, message: "file not found")])) {
            try MCPConfigFile.load(path: missing, environment: [:])
        }
    }

    private func expectProblems(
        _ yaml: String, _ expected: [(Int?, String)], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(sourceLocation: sourceLocation) {
            try MCPConfigFile.parse(yaml, file: "config/mcp.yaml", environment: Self.environment)
        } throws: { error in
            guard let error = error as? MCPConfigFileError else { return false }
            #expect(error.problems.count == expected.count, "\(error)", sourceLocation: sourceLocation)
            for (problem, (line, message)) in zip(error.problems, expected) {
                #expect(problem.file == "config/mcp.yaml", sourceLocation: sourceLocation)
                #expect(problem.line == line, "\(problem)", sourceLocation: sourceLocation)
                #expect(problem.message.contains(message), "\(problem)", sourceLocation: sourceLocation)
            }
            return true
        }
    }
}
