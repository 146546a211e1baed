import Foundation
import Mustache

/// The portal's Mustache templates, compiled into the binary (`resources: [.embedInCode(…)]`
/// in Package.swift: SwiftPM writes each file as a byte array of `PackageResources`, so Tern
/// stays one file with nothing to install beside it). A new template is a file in `Templates/`
/// and one line here; `PortalTemplatesTests` fails when a file is not listed.
enum PortalTemplates {
    /// Every template by the name pages and partials use.
    static let sources: [String: [UInt8]] = corePages.merging(credentialPages) { first, _ in first }
        .merging(systemPages) { first, _ in first }

    /// The templates of the first pages and the layout.
    static let corePages: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache,
        "problem": PackageResources.problem_mustache,
        "dashboard": PackageResources.dashboard_mustache,
        "turns": PackageResources.turns_mustache,
        "contexts": PackageResources.contexts_mustache,
        "context": PackageResources.context_mustache,
        "approvals": PackageResources.approvals_mustache,
        "users": PackageResources.users_mustache,
        "user": PackageResources.user_mustache,
        "account": PackageResources.account_mustache,
        "keys": PackageResources.keys_mustache,
        "key-created": PackageResources.key_created_mustache,
        "conversations": PackageResources.conversations_mustache,
        "transcript": PackageResources.transcript_mustache,
        "audit": PackageResources.audit_mustache,
    ]

    /// The parsed library; a template that does not parse is a programming error caught by the
    /// tests (every template is rendered there), reported here with its name.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in sources {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("portal template \(name).mustache does not parse: \(error)")
            }
        }
        return library
    }()
}
