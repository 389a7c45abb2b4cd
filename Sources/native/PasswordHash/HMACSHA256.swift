import CLibCrypto

/// HMAC-SHA256 through OpenSSL's one-shot `HMAC()`: what signs the web admin's session cookies.
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticationCode(key: [UInt8], message: [UInt8]) throws(PasswordHash.Failure) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        // OpenSSL wants a pointer even for zero bytes; a one-byte stand-in of which it reads none.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        let result = keyBytes.withUnsafeBufferPointer { keyBuffer in
            messageBytes.withUnsafeBufferPointer { messageBuffer in
                HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(key.count), messageBuffer.baseAddress, message.count, &code, &length)
            }
        }
        guard result != nil, length == UInt32(byteCount) else { throw PasswordHash.Failure(description: "OpenSSL's HMAC-SHA256 failed") }
        return code
    }
}
