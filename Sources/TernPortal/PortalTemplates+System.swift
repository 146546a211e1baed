extension PortalTemplates {
    /// The Skills, Diagnostics and Settings pages' templates.
    static let systemPages: [String: [UInt8]] = [:]
}
