import Foundation
import Hummingbird
import NIOCore

/// Reads a request's JSON body: JSON only (415), at most `limit` bytes (413), nested at most
/// `maximumDepth` levels (400: a deep document costs recursion, never a useful request).
enum RequestBody {
    static let maximumDepth = 64

    static func json(_ request: Request, limit: Int) async throws(APIError) -> JSONValue {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw APIError(status: .unsupportedMediaType, message: "the body must be JSON (Content-Type: application/json)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(status: .contentTooLarge, message: "the body is larger than \(limit) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, message: "the body is larger than \(limit) bytes")
        } catch {
            throw APIError(status: .badRequest, message: "the body could not be read")
        }
        let bytes = Array(buffer.readableBytesView)
        if let offset = tooDeep(bytes) {
            throw APIError.invalid("the JSON body is nested deeper than \(maximumDepth) levels (at byte \(offset))")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw APIError.invalid("the body is not valid JSON")
        }
    }

    /// The offset where nesting passes the limit, counting brackets outside strings.
    static func tooDeep(_ bytes: [UInt8]) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for (offset, byte) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { return offset }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }
}
