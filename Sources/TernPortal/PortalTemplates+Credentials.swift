extension PortalTemplates {
    /// The Credentials and MCP servers pages' templates.
    static let credentialPages: [String: [UInt8]] = [
        "credentials": PackageResources.credentials_mustache,
        "mcp-servers": PackageResources.mcp_servers_mustache,
        "mcp-test": PackageResources.mcp_test_mustache,
    ]
}
