import Foundation
import PasswordHash
import Synchronization

/// One browser's session, read from its cookie or about to be written into one.
struct WebSession: Sendable {
    /// The cookie's value: the fields below and their signature.
    let cookie: String
    /// 128 random bits naming this session (what a sign-out ends).
    let nonce: String
    let csrfToken: String
    let user: String?
    /// Seconds since 1970: wall-clock time, since another replica checks it.
    let expires: Int64
    /// "Remember me": the cookie outlives the browser (30 days) instead of ending with it.
    let persistent: Bool

    var signedIn: Bool { user != nil }

    func checksCSRF(_ candidate: String?) -> Bool {
        guard let candidate else { return false }
        return PasswordHash.constantTimeEqual(Array(candidate.utf8), Array(csrfToken.utf8))
    }
}

/// Sessions as signed cookies: the cookie carries who, until when and a nonce, with an
/// HMAC-SHA256 under a key derived from `SECRET_KEY`, so any replica with the same key serves any
/// user and a restart signs nobody out. The key also covers the admin's password (hash), so a new
/// password ends every session. Without `SECRET_KEY`, a random key of this process: a restart
/// signs everyone out, as smoking-pi's did. The CSRF token is derived from the nonce, the same
/// on every replica. A login always makes a new nonce (no fixation).
final class WebSessions: Sendable {
    static let lifetime: Int64 = 12 * 3600
    static let rememberedLifetime: Int64 = 30 * 24 * 3600
    static let anonymousLifetime: Int64 = 3600
    /// 256 bits as `smokeflow init` writes them (64 hex digits); a shorter key could be guessed.
    static let minimumSecretLength = 32
    static let version = "v1"

    struct KeyProblem: Error, CustomStringConvertible {
        let description: String
    }

    private let key: [UInt8]
    private let now: @Sendable () -> Int64
    /// Nonces signed out here, with when they would have expired. A replica that did not see the
    /// sign-out still takes the cookie until then (docs/deploy.md says so).
    private let ended = Mutex<[String: Int64]>([:])

    /// `secretKey` is `SECRET_KEY` (nil: a random key of this process); `credentialStamp` is
    /// what changes with the admin's password.
    init(secretKey: String?, credentialStamp: String, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) throws {
        let secret: [UInt8]
        if let secretKey {
            guard secretKey.utf8.count >= Self.minimumSecretLength else {
                throw KeyProblem(description: "SECRET_KEY is shorter than \(Self.minimumSecretLength) characters: sessions signed with it could be forged (smokeflow init writes one of 64)")
            }
            secret = Array(secretKey.utf8)
        } else {
            secret = Array(Self.randomToken().utf8)
        }
        key = try HMACSHA256.authenticationCode(key: secret, message: Array("smokeflow web session \(Self.version)\u{0}\(credentialStamp)".utf8))
        self.now = now
    }

    static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        var random = [UInt8](repeating: 0, count: bytes)
        for index in random.indices { random[index] = generator.next() }
        return hex(random)
    }

    /// The session of a cookie: nil when it is missing, malformed, signed with another key,
    /// expired or signed out here.
    func find(_ cookie: String?) -> WebSession? {
        guard let cookie, cookie.utf8.count < 512 else { return nil }
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == Self.version, let expires = Int64(parts[1]),
            parts[2] == "p" || parts[2] == "s", parts[4].utf8.count == 32,
            let signature = try? signature(of: parts[0..<5].joined(separator: ".")),
            PasswordHash.constantTimeEqual(Array(parts[5].utf8), Array(signature.utf8)),
            expires > now()
        else { return nil }
        let nonce = String(parts[4])
        if ended.withLock({ $0[nonce] != nil }) { return nil }
        let user: String?
        if parts[3] == "-" {
            user = nil
        } else {
            guard let bytes = Self.bytes(hex: parts[3]) else { return nil }
            user = String(decoding: bytes, as: UTF8.self)
        }
        guard let csrfToken = try? csrfToken(nonce) else { return nil }
        return WebSession(cookie: cookie, nonce: nonce, csrfToken: csrfToken, user: user, expires: expires, persistent: parts[2] == "p")
    }

    /// A session for a browser not signed in: it carries the login form's CSRF token.
    func anonymous() throws -> WebSession {
        try issue(user: nil, lifetime: Self.anonymousLifetime, persistent: false)
    }

    /// Signs `user` in: the old session (if any) ends and a new nonce is issued.
    func signIn(_ user: String, replacing old: WebSession?, remember: Bool) throws -> WebSession {
        if let old { end(old) }
        return try issue(user: user, lifetime: remember ? Self.rememberedLifetime : Self.lifetime, persistent: remember)
    }

    func end(_ session: WebSession) {
        let now = now()
        ended.withLock { ended in
            // Entries go once their cookie would have expired anyway: the table stays bounded.
            if ended.count > 10_000 { ended = ended.filter { $0.value > now } }
            ended[session.nonce] = session.expires
        }
    }

    private func issue(user: String?, lifetime: Int64, persistent: Bool) throws -> WebSession {
        let nonce = Self.randomToken(bytes: 16)
        let expires = now() + lifetime
        let fields = [Self.version, String(expires), persistent ? "p" : "s", user.map { Self.hex(Array($0.utf8)) } ?? "-", nonce].joined(separator: ".")
        let cookie = fields + "." + (try signature(of: fields))
        return WebSession(cookie: cookie, nonce: nonce, csrfToken: try csrfToken(nonce), user: user, expires: expires, persistent: persistent)
    }

    private func signature(of fields: String) throws -> String {
        Self.hex(try HMACSHA256.authenticationCode(key: key, message: Array(fields.utf8)))
    }

    private func csrfToken(_ nonce: String) throws -> String {
        Self.hex(try HMACSHA256.authenticationCode(key: key, message: Array("csrf\u{0}\(nonce)".utf8)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}

/// Five failed logins from one address lock it out for five minutes (429), as smoking-pi's.
/// The counts are this process's: behind a load balancer, each replica counts its own.
final class LoginThrottle: Sendable {
    static let limit = 5
    static let lockout: Duration = .seconds(300)

    private struct Entry { var failures: Int; var lockedUntil: ContinuousClock.Instant? }
    private let entries = Mutex<[String: Entry]>([:])

    /// Seconds left when `address` is locked out, nil when it may try.
    func lockedFor(_ address: String) -> Int? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let until = entries[address]?.lockedUntil else { return nil }
            if until <= now {
                entries[address] = nil
                return nil
            }
            return Int((until - now).components.seconds) + 1
        }
    }

    func failed(_ address: String) {
        entries.withLock { entries in
            var entry = entries[address] ?? Entry(failures: 0, lockedUntil: nil)
            entry.failures += 1
            if entry.failures >= Self.limit { entry.lockedUntil = .now + Self.lockout }
            entries[address] = entry
        }
    }

    func succeeded(_ address: String) {
        _ = entries.withLock { $0.removeValue(forKey: address) }
    }
}
