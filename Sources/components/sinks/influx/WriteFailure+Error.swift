import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

extension WriteFailure {
    /// A request that got no answer: unreachable when no connection could be made, else no
    /// answer. The message is short, without NIO's nested descriptions.
    init(_ error: any Error, server: InfluxServer) {
        if let error = error as? NIOConnectionError {
            // Every address refused or timed out (a host name may have several).
            let cause = error.connectionErrors.first.map { Self.describe($0.error) } ?? "cannot resolve the host name"
            self.init(kind: .unreachable, message: cause)
        } else if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            self.init(kind: .unreachable, message: Self.describe(error))
        } else if let error = error as? ChannelError, case .connectTimeout = error {
            self.init(kind: .unreachable, message: "connect timed out")
        } else if let error = error as? HTTPClientError, error == .connectTimeout {
            self.init(kind: .unreachable, message: "connect timed out")
        } else if let error = error as? HTTPClientError, error == .deadlineExceeded {
            self.init(kind: .noAnswer, message: "no answer within request_timeout")
        } else if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            self.init(kind: .noAnswer, message: "connection closed before the answer")
        } else {
            self.init(kind: .noAnswer, message: server.redacted(Self.describe(error)))
        }
    }

    /// `connection refused` from an errno, rather than NIO's nested description.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connect timed out" }
        return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
