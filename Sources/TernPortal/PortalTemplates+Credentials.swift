extension PortalTemplates {
    /// The Credentials and MCP servers pages' templates.
    static let credentialPages: [String: [UInt8]] = [:]
}
