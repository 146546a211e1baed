extension ConfigKey {
    /// Names after `TERN_` that Tern's scripts and tests read from the same environment, so
    /// they are not mistaken for misspelt settings (`TERN_TEST_POSTGRES_URL`, `TERN_BIN_DIR`…).
    /// Spelt without the prefix so no source file names a `TERN_` key `ConfigKey` lacks.
    static let nonConfigurationPrefixes = ["TEST_", "BENCH_"]
    /// Exact names after `TERN_` used by `scripts/` and the interop tests.
    static let nonConfigurationNames: Set<String> = [
        "BIN_DIR", "VENV", "ARTIFACTS_DIR", "LLAMA_PYTHON", "OPENWEBUI_PYTHON", "OPENWEBUI_BIN", "OPENWEBUI_NO_APT",
        "OPENWEBUI_ALLOW_CUDA_TORCH", "OPENWEBUI_STARTUP_TIMEOUT", "OPENWEBUI_LOG_LEVEL",
    ]

    /// The known key whose YAML name is closest to `name`, if one is close enough to be a typo.
    static func closest(toYAMLName name: String) -> ConfigKey? {
        closest(to: name.lowercased(), by: \.yamlName)
    }

    /// The known key whose environment name is closest to `name` (`TERN_…`), if one is close
    /// enough. The shared prefix is left out of the comparison, so it does not make every key look near.
    static func closest(toEnvironmentName name: String) -> ConfigKey? {
        let upper = name.uppercased()
        let bare = upper.hasPrefix("TERN_") ? String(upper.dropFirst("TERN_".count)) : upper
        return closest(to: bare.lowercased(), by: \.yamlName)
    }

    /// A warning for every `TERN_*` variable in `environment` that is no setting (and not one of
    /// the scripts' own), naming the closest known key. Sorted, so the output is stable.
    static func unknownEnvironmentWarnings(_ environment: [String: String]) -> [String] {
        let known = Set(allCases.map(\.rawValue))
        return environment.keys.filter { name in
            guard name.hasPrefix("TERN_"), !known.contains(name) else { return false }
            let rest = name.dropFirst("TERN_".count)
            return !nonConfigurationNames.contains(String(rest)) && !nonConfigurationPrefixes.contains { rest.hasPrefix($0) }
        }.sorted().map { name in
            let hint = closest(toEnvironmentName: name).map { "; did you mean \($0.rawValue)?" } ?? ""
            return "environment \(name) is not a Tern setting and is ignored\(hint)"
        }
    }

    private static func closest(to name: String, by spelling: (ConfigKey) -> String) -> ConfigKey? {
        // A third of the name, at least 2: catches a dropped, doubled or swapped letter or two,
        // not an unrelated word.
        let limit = max(2, name.count / 3)
        var best: (key: ConfigKey, distance: Int)?
        for key in allCases {
            let distance = editDistance(Array(name), Array(spelling(key)))
            if distance <= limit, distance < (best?.distance ?? .max) { best = (key, distance) }
        }
        return best?.key
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// neighbours each cost 1.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
