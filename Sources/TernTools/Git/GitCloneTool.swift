import Foundation
package import Logging
package import TernCore
package import TernNetwork

/// `git_clone`: a shallow clone of a public repository into the context's workspace.
///
/// The URL passes ``GitURLPolicy`` first; the host's addresses pass the ``NetworkGuard``
/// (https is pinned to the checked address with `http.curloptResolve`; ssh resolves on its
/// own, so it is checked but not pinned). git runs through the ``ProcessRunner`` (timeout,
/// output caps, process-group kill) with a minimal environment, no system or global config,
/// only the checked protocol allowed (`GIT_ALLOW_PROTOCOL`), no redirects, no hooks or
/// templates, no symlinks checked out, and objects verified (`transfer.fsckObjects`).
package struct GitCloneTool: Tool {
    package static let name = "git_clone"
    package let spec: ToolSpec
    private let workspace: Workspace
    private let networkGuard: NetworkGuard
    private let runner: ProcessRunner
    private let git: String
    private let logger: Logger

    package init(
        workspace: Workspace, networkGuard: NetworkGuard, runner: ProcessRunner = ProcessRunner(),
        git: String = "/usr/bin/git", logger: Logger = Logger(label: "tern.tools.git_clone")
    ) throws(ToolError) {
        spec = try ToolSpec(
            name: Self.name,
            description:
                "Clones a git repository (https or ssh, latest commit only) into the workspace, where list_files, read_file and search_files can read it.",
            inputSchema: [
                "type": "object", "required": ["url"], "additionalProperties": false,
                "properties": [
                    "url": ["type": "string", "minLength": 1, "maxLength": 2048],
                    "directory": [
                        "type": "string", "minLength": 1, "maxLength": 255,
                        "description": "folder name in the workspace; default: the repository's name",
                    ],
                ],
            ],
            risk: .write)
        self.workspace = workspace
        self.networkGuard = networkGuard
        self.runner = runner
        self.git = git
        self.logger = logger
    }

    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        guard let url = input["url"]?.stringValue else { return .error("'url' is required") }
        let policy = networkGuard.policy
        let target: GitURLPolicy.Target
        do {
            target = try GitURLPolicy.check(url) { host, port in
                (try? HostNormalizer.normalize(host)).map { normalized in  // unparsable: not allow-listed
                    policy.allowList.contains { $0.matches(host: normalized, port: port, allowedPorts: policy.allowedPorts) }
                } ?? false
            }
        } catch {
            return .error(error.description)
        }
        // The address rules, on the URL itself for http(s), on the host for ssh.
        let pinned: AuthorizedTarget
        do {
            let host = target.host.contains(":") ? "[\(target.host)]" : target.host
            pinned = try await networkGuard.authorize(target.transport == .ssh ? "https://\(host)/" : url)
        } catch {
            try Task.checkCancellation()
            return .error(error.description)
        }
        let name = input["directory"]?.stringValue ?? target.repositoryName
        let destination: URL
        do {
            guard try Workspace.components(of: name).count == 1 else {
                return .error("'directory' must be one folder name, not a path")
            }
            destination = try workspace.resolve(name, in: context.contextID)
            try FileManager.default.createDirectory(
                at: try workspace.directory(for: context.contextID), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch let error as WorkspaceError {
            return .error(error.description)
        }
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            return .error("'\(name)' already exists in the workspace; pass another 'directory'")
        }
        return await clone(target, pinned: pinned, into: destination, name: name)
    }

    private func clone(_ target: GitURLPolicy.Target, pinned: AuthorizedTarget, into destination: URL, name: String) async
        -> ToolOutput
    {
        var arguments = [
            "-c", "protocol.file.allow=never", "-c", "protocol.ext.allow=never", "-c", "http.followRedirects=false",
            "-c", "core.symlinks=false", "-c", "core.hooksPath=/dev/null", "-c", "transfer.fsckObjects=true",
            "-c", "submodule.recurse=false",
        ]
        if target.transport != .ssh, case .name(let host) = pinned.target.normalizedHost {
            arguments += ["-c", "http.curloptResolve=\(host):\(target.port):\(pinned.address.description)"]
        }
        arguments += [
            "clone", "--depth", "1", "--single-branch", "--no-tags", "--template=", "--", target.url, destination.path,
        ]
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_ALLOW_PROTOCOL": target.transport.rawValue,
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/dev/null",
            "LC_ALL": "C",
        ]
        do {
            let outcome = try await runner.run(git, arguments, environment: environment)
            guard outcome.succeeded else {
                removePartial(destination)
                let reason = outcome.standardError.split(separator: "\n").suffix(3).joined(separator: " / ")
                return .error("git clone failed (exit \(outcome.exitCode.map(String.init) ?? "signal")): \(reason)")
            }
            let files = (FileManager.default.enumerator(atPath: destination.path)?.allObjects.count ?? 0)
            return .text("cloned \(target.url) into '\(name)' (\(files) entries, latest commit only)")
        } catch {
            removePartial(destination)
            return .error("\(error)")
        }
    }

    /// A failed or stopped clone leaves nothing behind.
    private func removePartial(_ destination: URL) {
        guard FileManager.default.fileExists(atPath: destination.path) else { return }
        do {
            try FileManager.default.removeItem(at: destination)
        } catch {
            logger.warning("could not remove a partial clone", metadata: ["path": "\(destination.path)", "error": "\(error)"])
        }
    }
}
