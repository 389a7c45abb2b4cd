import NIOPosix
import PasswordHash

/// The one admin user, from the env file `smokeflow init` wrote: `WEB_ADMIN_USERNAME`, and
/// `WEB_ADMIN_PASSWORD_HASH` (bcrypt or PBKDF2, preferred) or a plain `WEB_ADMIN_PASSWORD`.
public struct WebCredentials: Sendable {
    public let username: String
    let passwordHash: String?
    let password: String?

    public init(username: String, passwordHash: String?, password: String?) {
        self.username = username
        self.passwordHash = passwordHash.flatMap { $0.isEmpty ? nil : $0 }
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
    }

    public init(environment: [String: String]) {
        self.init(
            username: environment["WEB_ADMIN_USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "admin",
            passwordHash: environment["WEB_ADMIN_PASSWORD_HASH"], password: environment["WEB_ADMIN_PASSWORD"])
    }

    /// What the session key covers: a new user or password signs every session out.
    var sessionStamp: String { username + "\u{0}" + (passwordHash ?? password ?? "") }

    /// With neither a hash nor a password, nobody can sign in and the login page says why.
    public var configured: Bool { passwordHash != nil || password != nil }

    /// Whether the pair matches. A hash costs a quarter of a second by design: it runs on NIO's
    /// thread pool, never on the cooperative pool.
    func verify(username candidate: String, password given: String) async -> Bool {
        let userMatches = PasswordHash.constantTimeEqual(Array(candidate.utf8), Array(username.utf8))
        let passwordMatches: Bool
        if let passwordHash {
            passwordMatches = (try? await NIOThreadPool.singleton.runIfActive { PasswordHash.verify(given, against: passwordHash) }) ?? false
        } else if let password {
            passwordMatches = PasswordHash.constantTimeEqual(Array(given.utf8), Array(password.utf8))
        } else {
            passwordMatches = false
        }
        return userMatches && passwordMatches
    }
}
