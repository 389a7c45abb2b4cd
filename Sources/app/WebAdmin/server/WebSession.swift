import Foundation
import PasswordHash
import Synchronization

/// One signed-in browser (or one not yet signed in, holding the login form's CSRF token).
struct WebSession: Sendable {
    let id: String
    let csrfToken: String
    let user: String?
    let expires: ContinuousClock.Instant
    /// "Remember me": the cookie outlives the browser (30 days) instead of ending with it.
    let persistent: Bool

    var signedIn: Bool { user != nil }

    func checksCSRF(_ candidate: String?) -> Bool {
        guard let candidate else { return false }
        return PasswordHash.constantTimeEqual(Array(candidate.utf8), Array(csrfToken.utf8))
    }
}

/// The sessions of this process, in memory: a restart signs everyone out, as smoking-pi's did.
/// Ids are 256 random bits from the system's CSPRNG; a login always makes a new id (no fixation).
final class WebSessions: Sendable {
    static let lifetime: Duration = .seconds(12 * 3600)
    static let rememberedLifetime: Duration = .seconds(30 * 24 * 3600)
    static let anonymousLifetime: Duration = .seconds(3600)

    private let sessions = Mutex<[String: WebSession]>([:])

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    func find(_ id: String?) -> WebSession? {
        guard let id else { return nil }
        let now = ContinuousClock.now
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            if session.expires < now {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// A session for a browser not signed in: it carries the login form's CSRF token.
    func anonymous() -> WebSession {
        insert(WebSession(id: Self.randomToken(), csrfToken: Self.randomToken(), user: nil, expires: .now + Self.anonymousLifetime, persistent: false))
    }

    /// Signs `user` in: the old session (if any) ends and a new id is issued.
    func signIn(_ user: String, replacing old: String?, remember: Bool) -> WebSession {
        if let old { end(old) }
        let lifetime = remember ? Self.rememberedLifetime : Self.lifetime
        return insert(WebSession(id: Self.randomToken(), csrfToken: Self.randomToken(), user: user, expires: .now + lifetime, persistent: remember))
    }

    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    private func insert(_ session: WebSession) -> WebSession {
        let now = ContinuousClock.now
        sessions.withLock { sessions in
            // Expired sessions go when new ones come: the table never grows without bound.
            if sessions.count > 10_000 { sessions = sessions.filter { $0.value.expires > now } }
            sessions[session.id] = session
        }
        return session
    }
}

/// Five failed logins from one address lock it out for five minutes (429), as smoking-pi's.
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
