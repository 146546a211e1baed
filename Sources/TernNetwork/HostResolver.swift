import Foundation

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns a host name into the addresses it has, so the guard can check them before a connection.
package protocol HostResolver: Sendable {
    /// Every address `host` resolves to, in the order a client would try them. Throws
    /// ``HostResolutionError/notFound(_:)`` when the name does not exist.
    func resolve(host: String, port: Int) async throws -> [IPAddress]
}

/// Why a name could not be resolved.
package enum HostResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name does not exist.
    case notFound(String)
    /// The lookup failed; the detail is the resolver's message.
    case failed(String, detail: String)
    /// No answer within the time limit.
    case timedOut(String, Duration)

    /// What went wrong, naming the host.
    package var description: String {
        switch self {
        case .notFound(let host): "\(host) does not exist"
        case .failed(let host, let detail): "looking up \(host) failed: \(detail)"
        case .timedOut(let host, let limit): "looking up \(host) took longer than \(limit)"
        }
    }
}

/// Resolves names with the system resolver (`getaddrinfo`, so `/etc/hosts`, search domains and
/// the container's DNS apply, as they would for any other client on the machine).
///
/// `getaddrinfo` blocks, so each lookup runs on a thread of its own, never on the concurrency
/// pool. The caller gets an answer, a ``HostResolutionError/timedOut(_:_:)`` after `timeout`, or
/// a `CancellationError` as soon as its task is cancelled; a lookup that outlives that keeps its
/// thread until the system resolver gives up (its own timeouts, `resolv.conf`), and the answer
/// is dropped. Every address family is asked for, so a name cannot hide a private IPv6 address
/// behind a public IPv4 one.
package struct SystemHostResolver: HostResolver {
    /// How long a caller waits for an answer.
    package var timeout: Duration

    /// Builds a resolver that waits at most `timeout` for each answer.
    package init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    /// Resolves `host` on a dedicated thread; see the type's documentation.
    package func resolve(host: String, port: Int) async throws -> [IPAddress] {
        try Task.checkCancellation()
        let pending = PendingLookup()
        let timeout = timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pending.install(continuation)
                let thread = Thread {
                    do {
                        pending.finish(.success(try Self.lookup(host)))
                    } catch {
                        pending.finish(.failure(error))
                    }
                }
                thread.name = "tern.dns"
                thread.start()
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(max(0, nanoseconds))) {
                    pending.finish(.failure(HostResolutionError.timedOut(host, timeout)))
                }
            }
        } onCancel: {
            pending.finish(.failure(CancellationError()))
        }
    }

    /// One blocking `getaddrinfo` call: TCP, any family, addresses deduplicated in the system's order.
    static func lookup(_ host: String) throws(HostResolutionError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            if status == EAI_NONAME { throw .notFound(host) }
            throw .failed(host, detail: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var node = list
        while let info = node?.pointee {
            node = info.ai_next
            guard let socketAddress = info.ai_addr else { continue }
            let raw = UnsafeRawPointer(socketAddress)
            let address: IPAddress?
            switch info.ai_family {
            case AF_INET:
                address = .v4(UInt32(bigEndian: raw.loadUnaligned(as: sockaddr_in.self).sin_addr.s_addr))
            case AF_INET6:
                let sin6 = raw.loadUnaligned(as: sockaddr_in6.self)
                address = withUnsafeBytes(of: sin6.sin6_addr) { IPAddress(bytes: $0) }
            default:
                address = nil
            }
            if let address, !addresses.contains(address) { addresses.append(address) }
        }
        return addresses
    }
}

/// One lookup's outcome, delivered once: by the lookup thread, the timer or cancellation,
/// whichever comes first; later deliveries are dropped. The lock guards both fields.
private final class PendingLookup: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<[IPAddress], any Error>?
    private var outcome: Result<[IPAddress], any Error>?

    func install(_ continuation: CheckedContinuation<[IPAddress], any Error>) {
        lock.lock()
        if let outcome {
            lock.unlock()
            continuation.resume(with: outcome)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func finish(_ result: Result<[IPAddress], any Error>) {
        lock.lock()
        guard outcome == nil else {
            lock.unlock()
            return
        }
        outcome = result
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(with: result)
    }
}
