/// Compares two secrets in time that depends only on their lengths, never on where they differ.
///
/// Use it for every comparison of a presented secret (API key, proxy key, CSRF token) with a
/// stored one.
package func constantTimeEquals(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    if a.count != b.count { difference |= 1 }
    let length = max(a.count, b.count)
    for index in 0..<length {
        let x = index < a.count ? a[index] : 0
        let y = index < b.count ? b[index] : 0
        difference |= x ^ y
    }
    return difference == 0
}
