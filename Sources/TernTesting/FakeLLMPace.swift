import TernCore

/// How fast a ``FakeLLMServer`` streams, for benchmarks that hold many slow answers open
/// (`tern-fake-llm --slow-stream SECONDS --tokens N`). Without a pace (the default) every
/// chunk is written at once.
///
/// A paced server waits ``interval`` before each content or tool-call chunk of a streamed
/// answer (the role chunk and the end come at once), so an answer of N chunks takes
/// N × interval. With ``tokens`` the echo (the reply when nothing is scripted or directed) has
/// exactly that many chunks: `Echo:`, then the last user message's words, repeated from the
/// start as often as needed (or cut). Non-streamed answers are not paced, and neither is a call
/// whose last user message contains ``unpacedMarker`` (a benchmark's other client, measuring
/// Tern's own turn rate while slow streams are open).
package struct FakeLLMPace: Sendable, Equatable {
    /// A last user message containing this is answered at full speed.
    package static let unpacedMarker = "[[unpaced]]"

    /// The wait before each content or tool-call chunk.
    package var interval: Duration
    /// The number of chunks of an echo answer; `nil` keeps one chunk per word.
    package var tokens: Int?

    /// A pace of one chunk every `interval`, echo answers of `tokens` chunks (`nil`: as many
    /// as the echo has words).
    package init(interval: Duration, tokens: Int? = nil) {
        self.interval = interval
        self.tokens = tokens
    }

    /// Whether a call with these messages is paced (its last user message lacks ``unpacedMarker``).
    func applies(to messages: [JSONValue]) -> Bool {
        let lastUser = messages.last { $0["role"]?.stringValue == "user" }.map(FakeLLMRoutes.text(of:)) ?? ""
        return !lastUser.contains(Self.unpacedMarker)
    }

    /// `pieces` (an echo's words) repeated or cut to ``tokens`` pieces; unchanged without it.
    func sized(_ pieces: [String]) -> [String] {
        guard let tokens, !pieces.isEmpty else { return pieces }
        return (0..<tokens).map { index in
            let piece = pieces[index % pieces.count]
            return index > 0 && index % pieces.count == 0 ? " " + piece : piece
        }
    }
}
