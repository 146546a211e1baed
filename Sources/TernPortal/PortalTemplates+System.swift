extension PortalTemplates {
    /// The Skills, Diagnostics and Settings pages' templates.
    static let systemPages: [String: [UInt8]] = [
        "skills": PackageResources.skills_mustache,
        "skill": PackageResources.skill_mustache,
        "skill-check": PackageResources.skill_check_mustache,
        "skill-check-form": PackageResources.skill_check_form_mustache,
        "diagnostics": PackageResources.diagnostics_mustache,
        "settings": PackageResources.settings_mustache,
    ]
}
