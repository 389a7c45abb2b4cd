import HTTPTypes
import Hummingbird
import Logging
import Postgres

/// Turns every failure into a JSON answer with an `error_id`, logged with what happened:
/// an `APIError` as it says, the router's 404 as 404 (405 when the path exists with another
/// method), anything else as 500 whose message says nothing of the cause.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTableBox
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return answer(error, request)
        } catch let error as StoreUnavailable {
            return answer(APIError(status: .serviceUnavailable, message: error.message), request)
        } catch let error as PostgresPool.PoolExhausted {
            var busy = APIError(status: .serviceUnavailable, message: "the server is busy (every database connection is in use); retry")
            busy.detail = "\(error)"
            return answer(busy, request)
        } catch let error as HTTPError where error.status == .notFound {
            let table = routes.value
            let methods = table.methods(forPath: request.uri.path)
            if methods.isEmpty { return answer(.notFound("no such endpoint: \(request.method.rawValue) \(table.shownPath(request.uri.path))"), request) }
            var error = APIError(status: .methodNotAllowed, message: "\(request.method.rawValue) is not allowed here (allowed: \(methods.joined(separator: ", ")))")
            error.detail = "method not allowed"
            var response = answer(error, request)
            response.headers[.allow] = methods.joined(separator: ", ")
            return response
        } catch let error as any HTTPResponseError {
            return answer(APIError(status: error.status, message: error.status.reasonPhrase), request)
        } catch {
            var failure = APIError(status: .internalServerError, message: "internal error; the server log has the details under this error_id")
            failure.detail = "\(error)"
            return answer(failure, request)
        }
    }

    func answer(_ error: APIError, _ request: Request) -> Response {
        let id = APIError.newID()
        let level: Logger.Level = error.status.code >= 500 ? .error : .info
        logger.log(level: level, "request failed", metadata: [
            "error_id": "\(id)", "status": "\(error.status.code)", "method": "\(request.method.rawValue)",
            "path": "\(request.uri.path)", "error": "\(error.message)", "detail": "\(error.detail ?? "")",
        ])
        return error.response(id: id)
    }
}

/// Every route but `GET /health` needs the API token, as `Authorization: Bearer <token>` or
/// `X-API-Token: <token>`, compared in constant time.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    static var apiTokenHeader: HTTPField.Name { HTTPField.Name("X-API-Token")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Any method: other methods than GET get their 405 from the router, not a 401.
        if request.uri.path == "/health" { return try await next(request, context) }
        var offered: Substring?
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            offered = authorization.dropFirst(7)
        } else if let header = request.headers[Self.apiTokenHeader] {
            offered = header[...]
        }
        guard let offered, ConstantTime.equal(Array(offered.utf8), token) else {
            var error = APIError(status: .unauthorized, message: "missing or wrong API token (Authorization: Bearer <API_TOKEN> or X-API-Token)")
            error.detail = offered == nil ? "no token" : "wrong token"
            throw error
        }
        return try await next(request, context)
    }
}

enum ConstantTime {
    /// Compares without an early exit, so the time taken does not tell how much matched.
    static func equal(_ offered: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = offered.count ^ expected.count
        for index in 0..<expected.count {
            let byte = index < offered.count ? offered[index] : ~expected[index]
            difference |= Int(byte ^ expected[index])
        }
        return difference == 0 && !expected.isEmpty
    }
}
