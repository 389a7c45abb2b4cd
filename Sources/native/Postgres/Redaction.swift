import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps a connection string's password out of every message: libpq does not print it, but
/// a server or a malformed string could echo it back, so messages are scrubbed anyway.
struct Redaction: Sendable {
    let password: String?

    init(connectionString: String) throws(PostgresError) {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &error) else {
            if let error { PQfreemem(error) }
            // libpq's message quotes the string, which may hold the password: say less.
            throw PostgresError(.connection, message: "the connection string is neither a postgresql:// URL nor key=value pairs")
        }
        defer { PQconninfoFree(options) }
        var password: String?
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val { password = String(cString: value) }
            option += 1
        }
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
    }

    func apply(_ message: String) -> String {
        guard let password else { return message }
        return message.replacingOccurrences(of: password, with: "<redacted>")
    }
}
