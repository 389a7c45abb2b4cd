import PasswordHash
import Synchronization
import Testing
@testable import WebAdmin

/// Signed session cookies: what one replica signs another with the same SECRET_KEY takes, and
/// nothing else is taken.
@Suite struct WebSessionTests {
    static let secret = String(repeating: "5e", count: 32)
    static let stamp = "admin\u{0}$2b$12$hash"

    /// A clock the test moves.
    final class Clock: Sendable {
        let seconds = Mutex<Int64>(1_800_000_000)
        var read: @Sendable () -> Int64 { { self.seconds.withLock { $0 } } }
        func advance(_ by: Int64) { seconds.withLock { $0 += by } }
    }

    @Test func aReplicaWithTheSameKeyTakesTheCookieAndItsCSRFToken() throws {
        let first = try WebSessions(secretKey: Self.secret, credentialStamp: Self.stamp)
        let second = try WebSessions(secretKey: Self.secret, credentialStamp: Self.stamp)
        let session = try first.signIn("admin", replacing: nil, remember: false)
        let found = try #require(second.find(session.cookie))
        #expect(found.user == "admin")
        #expect(found.csrfToken == session.csrfToken)
        #expect(found.checksCSRF(session.csrfToken))
        #expect(!found.persistent)
        let anonymous = try first.anonymous()
        let foundAnonymous = try #require(second.find(anonymous.cookie))
        #expect(foundAnonymous.user == nil && !foundAnonymous.signedIn)
        #expect(foundAnonymous.csrfToken == anonymous.csrfToken)
    }

    @Test func anotherKeyOrAnotherPasswordTakesNone() throws {
        let session = try WebSessions(secretKey: Self.secret, credentialStamp: Self.stamp).signIn("admin", replacing: nil, remember: true)
        let otherKey = try WebSessions(secretKey: String(repeating: "a1", count: 32), credentialStamp: Self.stamp)
        #expect(otherKey.find(session.cookie) == nil)
        let newPassword = try WebSessions(secretKey: Self.secret, credentialStamp: "admin\u{0}$2b$12$other")
        #expect(newPassword.find(session.cookie) == nil, "a new password ends every session")
        let perProcess = try WebSessions(secretKey: nil, credentialStamp: Self.stamp)
        #expect(perProcess.find(session.cookie) == nil)
        #expect(perProcess.find(try perProcess.signIn("admin", replacing: nil, remember: false).cookie) != nil)
    }

    @Test func aTamperedCookieIsRefused() throws {
        let sessions = try WebSessions(secretKey: Self.secret, credentialStamp: Self.stamp)
        let anonymous = try sessions.anonymous()
        var parts = anonymous.cookie.split(separator: ".").map(String.init)
        #expect(parts.count == 6)
        // Claim a user on an anonymous cookie, or a later expiry, keeping the signature.
        parts[3] = WebSessions.hex(Array("admin".utf8))
        #expect(sessions.find(parts.joined(separator: ".")) == nil)
        parts = anonymous.cookie.split(separator: ".").map(String.init)
        parts[1] = String(Int64(parts[1])! + 86_400)
        #expect(sessions.find(parts.joined(separator: ".")) == nil)
        for garbage in ["", "v1", "v1.1.s.-.x.y", anonymous.cookie + ".", String(anonymous.cookie.dropLast()), "v2" + anonymous.cookie.dropFirst(2),
                        String(repeating: "a", count: 4096)] {
            #expect(sessions.find(garbage) == nil, "\(garbage.prefix(40))")
        }
        #expect(sessions.find(nil) == nil)
    }

    @Test func aCookieExpiresAtItsLifetime() throws {
        let clock = Clock()
        let sessions = try WebSessions(secretKey: Self.secret, credentialStamp: Self.stamp, now: clock.read)
        let session = try sessions.signIn("admin", replacing: nil, remember: false)
        let remembered = try sessions.signIn("admin", replacing: nil, remember: true)
        clock.advance(WebSessions.lifetime - 1)
        #expect(sessions.find(session.cookie) != nil)
        clock.advance(1)
        #expect(sessions.find(session.cookie) == nil)
        #expect(sessions.find(remembered.cookie)?.persistent == true)
        clock.advance(WebSessions.rememberedLifetime)
        #expect(sessions.find(remembered.cookie) == nil)
    }

    @Test func signingInMakesANewSessionAndEndsTheOldOne() throws {
        let sessions = try WebSessions(secretKey: Self.secret, credentialStamp: Self.stamp)
        let anonymous = try sessions.anonymous()
        let signedIn = try sessions.signIn("admin", replacing: anonymous, remember: false)
        #expect(signedIn.nonce != anonymous.nonce)
        #expect(signedIn.csrfToken != anonymous.csrfToken)
        #expect(sessions.find(anonymous.cookie) == nil)
        #expect(sessions.find(signedIn.cookie)?.user == "admin")
        sessions.end(signedIn)
        #expect(sessions.find(signedIn.cookie) == nil, "signed out here")
    }

    @Test func aShortSecretKeyIsRefusedWithoutShowingIt() {
        #expect {
            _ = try WebSessions(secretKey: "short-secret-value", credentialStamp: Self.stamp)
        } throws: { error in
            let text = "\(error)"
            return text.contains("SECRET_KEY") && text.contains("32") && !text.contains("short-secret-value")
        }
    }

    @Test func hmacSHA256MatchesRFC4231() throws {
        // RFC 4231, test case 2.
        let code = try HMACSHA256.authenticationCode(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(WebSessions.hex(code) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(WebSessions.bytes(hex: "00ff7a") == [0, 255, 122])
        #expect(WebSessions.bytes(hex: "0g") == nil)
        #expect(WebSessions.bytes(hex: "abc") == nil)
    }
}
