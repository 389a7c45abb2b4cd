import Foundation
import Hummingbird
import Logging

/// An error answer: `{"error": "...", "error_id": "...", "field": "...", "errors": [...]}`.
/// The message names the field or the record and never carries exception text, SQL or a
/// secret; the `error_id` is logged with the details.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var field: String?
    /// Per-item problems of a list of operations (`POST /targets/bulk`).
    var problems: [StoreRejection.Problem] = []
    /// What the log gets beside the id (never the response).
    var detail: String?

    static func invalid(field: String? = nil, _ message: String) -> APIError {
        APIError(status: .badRequest, message: message, field: field)
    }

    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }

    /// The status for a rejected list: 404 or 409 when every problem is of that kind, else 422.
    static func rejected(_ rejection: StoreRejection, single: Bool) -> APIError {
        let kinds = Set(rejection.problems.map(\.kind))
        let status: HTTPResponse.Status = switch kinds.count == 1 ? kinds.first : nil {
        case .notFound?: .notFound
        case .conflict?: .conflict
        default: .unprocessableContent
        }
        let first = rejection.problems.first
        let message = single ? (first?.message ?? "rejected")
            : "\(rejection.problems.count) problem(s); nothing was written"
        let listed = !single || rejection.problems.count > 1
        return APIError(status: status, message: message, field: single ? first?.field : nil, problems: listed ? rejection.problems : [])
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    struct Body: Encodable {
        struct Item: Encodable {
            var index: Int
            var field: String?
            var error: String
        }

        var error: String
        var error_id: String
        var field: String?
        var errors: [Item]?
    }

    func response(id: String) -> Response {
        let body = Body(
            error: message, error_id: id, field: field,
            errors: problems.isEmpty ? nil : problems.map { .init(index: $0.index, field: $0.field, error: $0.message) }
        )
        return JSONResponse.make(body, status: status)
    }
}

enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"cannot encode the answer\"}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
