import Foundation
import Testing
import TernCore
import TernStore

@Suite struct SecretBoxTests {
    let secret = Array(repeating: UInt8(7), count: 32)
    let other = Array(repeating: UInt8(9), count: 32)

    @Test func seal_thenOpen_givesThePlaintext_andNeverStoresIt() throws {
        let box = AESGCMSecretBox(secretKey: secret)
        let sealed = try box.seal("ghp_super-secret-token", context: "mcp_servers/1/env/GITHUB_TOKEN")
        #expect(try box.open(sealed, context: "mcp_servers/1/env/GITHUB_TOKEN") == "ghp_super-secret-token")
        #expect(!String(decoding: sealed.combined, as: UTF8.self).contains("super-secret"))
        #expect(sealed.keyID == box.currentKeyID)
        // A fresh nonce each time: the same secret seals differently.
        #expect(try box.seal("ghp_super-secret-token", context: "x").combined != box.seal("ghp_super-secret-token", context: "x").combined)
    }

    @Test func movedChangedOrForeign_doesNotOpen() throws {
        let box = AESGCMSecretBox(secretKey: secret)
        let sealed = try box.seal("value", context: "row/1")
        #expect(throws: SecretBoxError.tampered) { try box.open(sealed, context: "row/2") }
        var flipped = sealed
        flipped.combined[flipped.combined.count - 1] ^= 0x01
        #expect(throws: SecretBoxError.tampered) { try box.open(flipped, context: "row/1") }
        let foreign = AESGCMSecretBox(secretKey: other)
        #expect(throws: SecretBoxError.unknownKey(sealed.keyID)) { try foreign.open(sealed, context: "row/1") }
        var relabelled = sealed
        relabelled.keyID = foreign.currentKeyID
        #expect(throws: SecretBoxError.tampered) { try foreign.open(relabelled, context: "row/1") }
    }

    @Test func rotation_opensWhatThePreviousSecretSealed() throws {
        let old = try AESGCMSecretBox(secretKey: secret).seal("kept", context: "c")
        let rotated = AESGCMSecretBox(secretKey: other, previous: [secret])
        #expect(try rotated.open(old, context: "c") == "kept")
        #expect(try rotated.seal("new", context: "c").keyID == rotated.currentKeyID)
        #expect(rotated.currentKeyID != old.keyID)
        #expect(!SecretBoxError.unknownKey("abc").description.contains("kept"))
    }
}
