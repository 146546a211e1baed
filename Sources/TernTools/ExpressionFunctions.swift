import Foundation

/// The constants and functions ``ExpressionParser`` knows. Names are matched case-insensitively.
///
/// Angles are in radians. `log(x)` is the base-10 logarithm, like a pocket calculator's `log`
/// key (`ln` is the natural one); `log(x, b)` is the base-`b` logarithm. `round(x)` rounds half
/// away from zero; `round(x, n)` to `n` decimal places (0…15).
enum ExpressionFunctions {
    /// A function: how many arguments it takes and how to apply it.
    struct Function: Sendable {
        /// Fewest arguments.
        var minimum: Int
        /// Most arguments; `nil` for variadic.
        var maximum: Int?
        /// Applies the function; arguments are already counted. Returns `nil` for an argument it
        /// rejects (reported as a non-finite result).
        var apply: @Sendable ([Double]) -> Double?

        /// `2`, `1 or 2`, `at least 1`, for messages.
        var arity: String {
            guard let maximum else { return "at least \(minimum)" }
            if maximum == minimum { return "\(minimum)" }
            if maximum == minimum + 1 { return "\(minimum) or \(maximum)" }
            return "\(minimum) to \(maximum)"
        }
    }

    /// `pi` and `e`.
    static let constants: [String: Double] = ["pi": Double.pi, "e": M_E]

    /// Every function by lowercase name.
    static let functions: [String: Function] = [
        "sqrt": unary { $0.squareRoot() },
        "abs": unary { Swift.abs($0) },
        "floor": unary { $0.rounded(.down) },
        "ceil": unary { $0.rounded(.up) },
        "exp": unary { Foundation.exp($0) },
        "ln": unary { Foundation.log($0) },
        "log10": unary { Foundation.log10($0) },
        "sin": unary { Foundation.sin($0) },
        "cos": unary { Foundation.cos($0) },
        "tan": unary { Foundation.tan($0) },
        "pow": Function(minimum: 2, maximum: 2) { Foundation.pow($0[0], $0[1]) },
        "min": Function(minimum: 1, maximum: nil) { $0.min() },
        "max": Function(minimum: 1, maximum: nil) { $0.max() },
        "log": Function(minimum: 1, maximum: 2) { arguments in
            guard arguments.count == 2 else { return Foundation.log10(arguments[0]) }
            let base = arguments[1]
            guard base > 0, base != 1 else { return nil }
            return Foundation.log(arguments[0]) / Foundation.log(base)
        },
        "round": Function(minimum: 1, maximum: 2) { arguments in
            guard arguments.count == 2 else { return arguments[0].rounded() }
            let places = arguments[1]
            guard places.rounded() == places, (0...15).contains(places) else { return nil }
            let scale = Foundation.pow(10, places)
            return (arguments[0] * scale).rounded() / scale
        },
    ]

    /// Sorted constant names, for messages.
    static let constantNames = constants.keys.sorted()
    /// Sorted function names, for messages.
    static let functionNames = functions.keys.sorted()

    private static func unary(_ body: @escaping @Sendable (Double) -> Double) -> Function {
        Function(minimum: 1, maximum: 1) { body($0[0]) }
    }
}
