extension PortalTemplates {
    /// The Credentials and MCP servers pages' templates.
    static let credentialPages: [String: [UInt8]] = [:]

    /// The Skills, Diagnostics and Settings pages' templates.
    static let systemPages: [String: [UInt8]] = [:]
}
