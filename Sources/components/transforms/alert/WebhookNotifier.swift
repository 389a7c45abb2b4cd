import Alerting
import AsyncHTTPClient
import Foundation
import NIOCore
import PipelineConfig

/// `type: webhook`: POSTs the notification's JSON to `url` with `headers`. The URL and the
/// headers may hold secrets (a token, a Slack hook's path), so no message names them.
struct WebhookNotifier: AlertNotifier {
    let name: String
    let url: Secret
    let headers: [(String, Secret)]
    let timeout: Duration

    func deliver(_ notification: AlertNotification) async throws(NotificationFailure) {
        var request = HTTPClientRequest(url: url.value)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "smokeflow-alert")
        for (header, value) in headers { request.headers.replaceOrAdd(name: header, value: value.value) }
        request.body = .bytes(ByteBuffer(bytes: notification.jsonBody))
        let status: UInt
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            status = response.status.code
            // The answer's body is not needed; reading it lets the connection be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw NotificationFailure(message: redacted(WriteFailure.describe(error)), retryable: true)
        }
        guard (200..<300).contains(status) else {
            throw NotificationFailure(message: "HTTP \(status)", retryable: status == 408 || status == 429 || status >= 500)
        }
    }

    /// A transport error's text without the URL or a header's value, should it quote them.
    func redacted(_ text: String) -> String {
        var text = text.replacingOccurrences(of: url.value, with: "<url>")
        for (_, value) in headers where !value.value.isEmpty { text = text.replacingOccurrences(of: value.value, with: "<redacted>") }
        return text
    }
}
