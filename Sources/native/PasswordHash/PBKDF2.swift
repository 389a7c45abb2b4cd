import CLibCrypto
#if canImport(Glibc)
import Glibc
#endif

/// werkzeug's PBKDF2 hashes, the format smoking-pi's `WEB_ADMIN_PASSWORD_HASH` holds:
/// `pbkdf2:<digest>[:<iterations>]$<salt>$<hex>`, where the salt is used as its UTF-8 text (not
/// decoded) and the hex is the derived key of the digest's own length. OpenSSL does the work.
public struct PBKDF2Hash: Sendable, Equatable {
    public enum Digest: String, Sendable, CaseIterable {
        case sha256, sha512

        var byteCount: Int { self == .sha256 ? 32 : 64 }
    }

    /// What werkzeug 3.1 uses when a hash names no iterations (`pbkdf2:sha256$…`). werkzeug has
    /// raised this over releases, but always writes the count into the hashes it makes, so only a
    /// hash written by hand omits it.
    public static let werkzeugDefaultIterations = 1_000_000

    public var digest: Digest
    public var iterations: Int
    public var salt: String
    /// The derived key, lower-case hex.
    public var hex: String

    /// Reads `pbkdf2:sha256:600000$salt$hex`, `pbkdf2:sha256$salt$hex` or `pbkdf2$salt$hex`; nil
    /// for anything else (a bcrypt hash included).
    public init?(parsing text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        let method = parts[0].split(separator: ":", omittingEmptySubsequences: false)
        guard method[0] == "pbkdf2", method.count <= 3 else { return nil }
        guard let digest = method.count > 1 ? Digest(rawValue: String(method[1])) : .sha256 else { return nil }
        var iterations = Self.werkzeugDefaultIterations
        if method.count == 3 {
            guard let count = Int(method[2]), count > 0 else { return nil }
            iterations = count
        }
        let hex = parts[2].lowercased()
        guard hex.utf8.count == digest.byteCount * 2, hex.utf8.allSatisfy({ Self.hexValue($0) != nil }) else { return nil }
        self.init(digest: digest, iterations: iterations, salt: String(parts[1]), hex: hex)
    }

    public init(digest: Digest, iterations: Int, salt: String, hex: String) {
        self.digest = digest
        self.iterations = iterations
        self.salt = salt
        self.hex = hex
    }

    /// werkzeug's text of this hash (the iteration count always written).
    public var text: String { "pbkdf2:\(digest.rawValue):\(iterations)$\(salt)$\(hex)" }

    /// Whether `password` derives this key; the comparison takes the same time wherever the keys differ.
    public func matches(_ password: String) -> Bool {
        guard let derived = try? Self.derive(password, salt: salt, iterations: iterations, digest: digest) else { return false }
        return PasswordHash.constantTimeEqual(Array(Self.hexText(derived).utf8), Array(hex.utf8))
    }

    /// PBKDF2-HMAC of `password` and `salt` (both as UTF-8), the digest's length long.
    public static func derive(_ password: String, salt: String, iterations: Int, digest: Digest) throws(PasswordHash.Failure) -> [UInt8] {
        guard iterations > 0, iterations <= Int(Int32.max) else { throw PasswordHash.Failure(description: "iterations must be 1 to \(Int32.max)") }
        var key = [UInt8](repeating: 0, count: digest.byteCount)
        let passwordBytes = Array(password.utf8)
        let saltBytes = Array(salt.utf8)
        let algorithm = digest == .sha256 ? EVP_sha256() : EVP_sha512()
        let status = passwordBytes.withUnsafeBufferPointer { passwordBuffer in
            saltBytes.withUnsafeBufferPointer { saltBuffer in
                passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                    PKCS5_PBKDF2_HMAC(
                        passwordChars.baseAddress, Int32(passwordChars.count), saltBuffer.baseAddress, Int32(saltBuffer.count),
                        Int32(iterations), algorithm, Int32(key.count), &key
                    )
                }
            }
        }
        guard status == 1 else { throw PasswordHash.Failure(description: "OpenSSL's PKCS5_PBKDF2_HMAC failed") }
        return key
    }

    static func hexText(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension PasswordHash {
    /// A new werkzeug-format PBKDF2 hash of `password`: a salt of 16 characters from the OS
    /// CSPRNG (werkzeug's alphabet, letters and digits), 600,000 iterations by default (OWASP's
    /// figure for SHA-256).
    public static func pbkdf2(
        _ password: String, digest: PBKDF2Hash.Digest = .sha256, iterations: Int = 600_000, saltLength: Int = 16
    ) throws(Failure) -> String {
        let salt = randomSalt(length: saltLength)
        let key = try PBKDF2Hash.derive(password, salt: salt, iterations: iterations, digest: digest)
        return PBKDF2Hash(digest: digest, iterations: iterations, salt: salt, hex: PBKDF2Hash.hexText(key)).text
    }

    /// Swift's system generator reads the OS CSPRNG (getrandom on Linux), and `randomElement`
    /// draws without modulo bias.
    static func randomSalt(length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<max(1, length)).map { _ in alphabet.randomElement(using: &generator)! }
        return String(decoding: salt, as: UTF8.self)
    }
}
