@testable import PasswordHash
import Testing

/// werkzeug's PBKDF2 hashes (smoking-pi's `WEB_ADMIN_PASSWORD_HASH`), checked against vectors
/// made by Python: werkzeug 3.1.8's `generate_password_hash` and `hashlib.pbkdf2_hmac`.
@Suite struct PasswordHashPBKDF2Tests {
    // generate_password_hash('correct horse battery staple', method='pbkdf2:sha256:600000')
    static let werkzeugSHA256 = "pbkdf2:sha256:600000$rCI7Q0cy7fTIsNcv$e4743f26738eee2dec01a5e55f17c534941ce8d25daf096ebe8825fc3edf28bc"
    // generate_password_hash('pässwörd', method='pbkdf2:sha512:1000', salt_length=12)
    static let werkzeugSHA512 =
        "pbkdf2:sha512:1000$kBveBQks2aYy$e9ee15b8f0e22ca279847caca5d1abc43221de3743ad96f2d0e425ab7649a13164aee2cd50406295f550952d2c8f30f938faa5c048cac52e681a20b080e3be68"

    @Test func hashesWerkzeugMadeVerify() {
        #expect(PasswordHash.verify("correct horse battery staple", against: Self.werkzeugSHA256))
        #expect(!PasswordHash.verify("correct horse battery stapl", against: Self.werkzeugSHA256))
        #expect(PasswordHash.verify("pässwörd", against: Self.werkzeugSHA512))
        #expect(!PasswordHash.verify("passwörd", against: Self.werkzeugSHA512))
    }

    @Test func derivedKeysMatchPythonsHashlib() throws {
        // hashlib.pbkdf2_hmac('sha256', b'password', b'abc', 1000).hex()
        let key = try PBKDF2Hash.derive("password", salt: "abc", iterations: 1000, digest: .sha256)
        #expect(PBKDF2Hash.hexText(key) == "7bffbb452b87bd31e275e0ee664a6f157b6aeb9fa81ccf7138d02c11525a57ab")
        // hashlib.pbkdf2_hmac('sha256', 'correct horse'.encode(), b'sa1tSALT', 600000).hex()
        #expect(PasswordHash.verify("correct horse", against: "pbkdf2:sha256:600000$sa1tSALT$9ec0a37bd6f1ace25bc71a14644110da33b286f3fd70dfd17fa87b8cc6104df4"))
        // hashlib.pbkdf2_hmac('sha512', 'pässwörd'.encode(), b'NaCl', 2000).hex()
        let sha512 = "pbkdf2:sha512:2000$NaCl$2f6a8fbfd5b486a238b16cf9372fdc1205ad22ca2c3567d4724b50f085ff076b16a5ab0b6f41651ec151c0067bb54c62074c81e4d090e5a6dc71d22765051e52"
        #expect(PasswordHash.verify("pässwörd", against: sha512))
    }

    @Test func aHashWithoutIterationsUsesWerkzeugsDefault() throws {
        // hashlib.pbkdf2_hmac('sha256', b'hunter2', b'DefaultIt', 1000000).hex(); werkzeug 3.1.8's
        // check_password_hash accepts this text.
        let hex = "95b6f4394d44649e23e5f70ddbc977702fa706e120443ff11520653617ed15c6"
        let parsed = try #require(PBKDF2Hash(parsing: "pbkdf2:sha256$DefaultIt$\(hex)"))
        #expect(parsed.iterations == 1_000_000 && parsed.digest == .sha256)
        #expect(PasswordHash.verify("hunter2", against: "pbkdf2:sha256$DefaultIt$\(hex)"))
        #expect(PasswordHash.verify("hunter2", against: "pbkdf2$DefaultIt$\(hex)"))
        // Upper-case hex is the same key.
        #expect(PasswordHash.verify("hunter2", against: "pbkdf2:sha256$DefaultIt$\(hex.uppercased())"))
    }

    @Test func malformedHashesAreRefusedNotCrashed() {
        let hex = String(repeating: "ab", count: 32)
        for text in [
            "", "pbkdf2", "pbkdf2:sha256:1000$salt", "pbkdf2:sha256:1000$$\(hex)", "pbkdf2:sha256:0$s$\(hex)",
            "pbkdf2:sha256:-5$s$\(hex)", "pbkdf2:md5:1000$s$\(hex)", "pbkdf2:sha256:1000$s$\(hex.dropLast())",
            "pbkdf2:sha256:1000$s$\(String(repeating: "zz", count: 32))", "pbkdf2:sha256:1000:9$s$\(hex)",
            "pbkdf2:sha512:1000$s$\(hex)", "scrypt:32768:8:1$s$\(hex)", "pbkdf2:sha256:1000$s$\(hex)$extra",
            "pbkdf2:sha256:99999999999$s$\(hex)",
        ] {
            #expect(!PasswordHash.verify("x", against: text), "\(text)")
        }
    }

    @Test func generatedHashesRoundTripAndDiffer() throws {
        let first = try PasswordHash.pbkdf2("s3cret", iterations: 1000)
        let second = try PasswordHash.pbkdf2("s3cret", iterations: 1000)
        #expect(first.hasPrefix("pbkdf2:sha256:1000$") && first != second)
        let parsed = try #require(PBKDF2Hash(parsing: first))
        #expect(parsed.salt.count == 16 && parsed.salt.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(PasswordHash.verify("s3cret", against: first) && !PasswordHash.verify("s3cret ", against: first))
        let sha512 = try PasswordHash.pbkdf2("s3cret", digest: .sha512, iterations: 1000, saltLength: 8)
        #expect(sha512.hasPrefix("pbkdf2:sha512:1000$") && PasswordHash.verify("s3cret", against: sha512))
        #expect(try PasswordHash.pbkdf2("x").hasPrefix("pbkdf2:sha256:600000$"))
    }

    @Test func bcryptStillVerifies() throws {
        let hash = try PasswordHash.bcrypt("s3cret", cost: 4)
        #expect(PasswordHash.verify("s3cret", against: hash) && !PasswordHash.verify("s3creT", against: hash))
    }
}
