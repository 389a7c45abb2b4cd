import CoreMetrics
public import Hummingbird
public import Telemetry

/// Counts a listener's answers by status class and times them (`smokeflow_http_requests_total`,
/// `smokeflow_http_request_duration_seconds`); the series exist per class, never per path.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let answers: [CoreMetrics.Counter]
    let duration: CoreMetrics.Timer

    /// `listener`: `api` or `web`.
    public init(registry: MetricsRegistry, listener: String) {
        answers = ["1xx", "2xx", "3xx", "4xx", "5xx"].map {
            registry.counter(.httpRequests, [("listener", listener), ("status", $0)])
        }
        duration = registry.timer(.httpRequestDuration, [("listener", listener)])
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        defer {
            let elapsed = (ContinuousClock.now - start).components
            duration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        }
        do {
            let response = try await next(request, context)
            count(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            count(error.status.code)
            throw error
        } catch {
            count(500)
            throw error
        }
    }

    private func count(_ status: Int) {
        answers[min(max(status / 100, 1), 5) - 1].increment()
    }
}
