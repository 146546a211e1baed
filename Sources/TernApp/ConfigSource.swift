import Foundation
import Yams
import TernConfigFiles

/// Where a configuration value came from, so a problem says where to fix it: `--port`,
/// `environment TERN_PORT`, `tern.yaml:12: port`, or the default.
package enum ConfigSource: Sendable, Equatable {
    /// A command-line flag.
    case flag
    /// A `TERN_*` environment variable.
    case environment
    /// `tern.yaml`, at this 1-based line when known.
    case file(path: String, line: Int?)
    /// Nothing set the key; its default applies.
    case defaultValue

    /// How a problem names `key` set from here: `--port`, `environment TERN_PORT`,
    /// `/srv/tern.yaml:12: port`, or `TERN_PORT` for a default.
    package func subject(_ key: ConfigKey) -> String {
        switch self {
        case .flag: key.flagName
        case .environment: "environment \(key.rawValue)"
        case .file(let path, let line): "\(path)\(line.map { ":\($0)" } ?? ""): \(key.yamlName)"
        case .defaultValue: key.rawValue
        }
    }
}

extension ConfigKey {
    /// The command-line flag that sets the key (only a few keys have one).
    package var flagName: String {
        self == .configFile ? "--config" : "--" + yamlName.replacingOccurrences(of: "_", with: "-")
    }
}

/// The values of `tern.yaml`: each known key's text and line, and every problem in the file.
struct ConfigFileValues {
    /// Text of each key that was read, by YAML name.
    var values: [String: String] = [:]
    /// 1-based line of each key that was read, by YAML name.
    var lines: [String: Int] = [:]
    /// Every problem, each naming the file and line. A bad key never hides the others: the
    /// valid keys are still read and checked.
    var problems: [String] = []

    /// Reads a flat YAML mapping of `key: scalar` (lists allowed for `api_keys` and
    /// `trusted_proxy_keys`).
    static func read(at path: String) -> ConfigFileValues {
        var file = ConfigFileValues()
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            file.problems.append("\(path): cannot read: \(error.localizedDescription)")
            return file
        }
        let node: Node?
        do {
            node = try YAMLReader.compose(text)
        } catch {
            file.problems.append("\(path)\(error.line.map { ":\($0)" } ?? ""): invalid YAML: \(error.message)")
            return file
        }
        guard let node else { return file }
        guard let mapping = node.mapping else {
            file.problems.append("\(path): the top level must be a mapping of key: value")
            return file
        }
        let known = Dictionary(uniqueKeysWithValues: ConfigKey.allCases.map { ($0.yamlName, $0) })
        for (keyNode, valueNode) in mapping {
            let line = YAMLReader.line(of: keyNode)
            let at = "\(path)\(line.map { ":\($0)" } ?? "")"
            guard let name = keyNode.string, let key = known[name] else {
                let written = keyNode.string ?? YAMLReader.describe(keyNode)
                let hint = ConfigKey.closest(toYAMLName: written).map { "; did you mean '\($0.yamlName)'?" }
                file.problems.append(
                    "\(at): unknown key '\(written)'"
                        + (hint ?? "; known keys: " + known.keys.sorted().joined(separator: ", ")))
                continue
            }
            if key == .configFile {
                file.problems.append("\(at): config_file cannot be set inside the config file")
            } else if let scalar = valueNode.scalar {
                file.values[name] = scalar.string
                file.lines[name] = line
            } else if key == .apiKeys || key == .trustedProxyKeys, let list = valueNode.sequence {
                file.values[name] = list.compactMap(\.string).joined(separator: ",")
                file.lines[name] = line
            } else {
                file.problems.append("\(at): \(name) must be a single value, got \(YAMLReader.describe(valueNode))")
            }
        }
        return file
    }
}
