import CCrypt
#if canImport(Glibc)
import Glibc
#endif

/// Password hashes in the crypt(3) format, through libxcrypt: bcrypt (`$2b$`) by default, the
/// format Apache, nginx and most admin tools read; and werkzeug's PBKDF2 (`pbkdf2:sha256:…`,
/// `PBKDF2Hash`), the format smoking-pi's web admin took. Hashing is slow by design (cost 12 is
/// about a quarter of a second): call it off the cooperative pool.
public enum PasswordHash {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A new bcrypt hash of `password` with a fresh salt from the OS CSPRNG.
    public static func bcrypt(_ password: String, cost: Int = 12) throws(Failure) -> String {
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        // A nil random buffer: libxcrypt reads the salt from the OS (getrandom).
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else {
            throw Failure(description: "cannot make a bcrypt salt: \(String(cString: strerror(errno)))")
        }
        let hash = try hash(password, setting: setting)
        guard hash.hasPrefix("$2b$") else { throw Failure(description: "libcrypt has no bcrypt") }
        return hash
    }

    /// Whether `password` matches `hash` (crypt(3) or werkzeug PBKDF2), comparing the whole
    /// result in constant time.
    public static func verify(_ password: String, against hash: String) -> Bool {
        if hash.hasPrefix("pbkdf2") { return PBKDF2Hash(parsing: hash)?.matches(password) ?? false }
        guard hash.hasPrefix("$"), let computed = try? Self.hash(password, setting: Array(hash.utf8CString)) else { return false }
        return constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }

    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }

    private static func hash(_ password: String, setting: [CChar]) throws(Failure) -> String {
        // crypt_data is large (about 32 KiB): on the heap, zeroed, and wiped after use since it
        // held the password.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        memset(data, 0, MemoryLayout<crypt_data>.size)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        guard let result = crypt_rn(password, setting, data, Int32(MemoryLayout<crypt_data>.size)), result.pointee != 0x2A /* "*" */ else {
            throw Failure(description: "libcrypt refused the hash setting")
        }
        return String(cString: result)
    }
}
