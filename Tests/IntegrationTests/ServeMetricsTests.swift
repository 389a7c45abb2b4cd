import ConfigManager
import Foundation
import Logging
import ServiceLifecycle
import SmokeflowApp
import SmokeflowTesting
import Testing

/// `smokeflow serve --metrics-bind`: the API's and the web admin's requests counted by status
/// class, the process series, and `/ready` following the configuration store.
@Suite(.timeLimit(.minutes(2)))
struct ServeMetricsTests {
    static let logger = Logger(label: "serve-metrics-test") { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .error
        return handler
    }

    func serving(_ configure: (inout ServeSettings) -> Void, _ body: (_ api: String, _ metrics: String) async throws -> Void) async throws {
        let directory = temporaryDirectory()
        let metricsPort = Servers.freePort()
        var settings = ServeSettings()
        settings.noAuth = true
        settings.bind = "127.0.0.1:0"
        settings.webBind = "off"
        settings.metricsBind = "127.0.0.1:\(metricsPort)"
        settings.stateDirectory = directory + "/state"
        configure(&settings)
        let stack = try await ServeSetup(settings: settings, logger: Self.logger, environment: [:]).server()
        let group = ServiceGroup(services: stack.services, logger: Self.logger)
        let running = Task { try await group.run() }
        let api = "http://127.0.0.1:\(await stack.api.boundPort.value())"
        let metrics = "http://127.0.0.1:\(metricsPort)"
        let listening = await eventually(within: .seconds(30), every: .milliseconds(50)) { (try? await Servers.get(metrics + "/health"))?.status == 200 }
        #expect(listening, "no /health on \(metrics)")
        do {
            try await body(api, metrics)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    @Test func theAPIsAnswersAreCountedByStatusClass() async throws {
        try await serving({ $0.targetsFile = temporaryDirectory() + "/targets.yaml" }) { api, metrics in
            #expect(try await Servers.get(api + "/targets").status == 200)
            #expect(try await Servers.get(api + "/no-such-endpoint").status == 404)
            let (status, text) = try await Servers.get(metrics + "/metrics")
            #expect(status == 200)
            #expect(text.contains(#"smokeflow_http_requests_total{listener="api",status="2xx"} 1"#), "\(text)")
            #expect(text.contains(#"smokeflow_http_requests_total{listener="api",status="4xx"} 1"#), "\(text)")
            #expect(text.contains(#"smokeflow_http_request_duration_seconds_count{listener="api"} 2"#), "\(text)")
            #expect(text.contains("process_resident_memory_bytes "), "\(text)")
            let (readyStatus, ready) = try await Servers.get(metrics + "/ready")
            #expect(readyStatus == 200, "\(ready)")
        }
    }

    @Test func anUnreachableStoreMakesTheServerNotReady() async throws {
        // A port nothing listens on: every connection is refused.
        let url = "postgresql://smokeflow:secret-password@127.0.0.1:\(Servers.freePort())/smokeflow?connect_timeout=2"
        try await serving({ $0.databaseURL = url }) { api, metrics in
            _ = try await Servers.get(api + "/targets")
            let (status, ready) = try await Servers.get(metrics + "/ready")
            #expect(status == 503, "\(ready)")
            #expect(ready.contains(#""component":"configuration_store""#) && ready.contains("unreachable"), "\(ready)")
            #expect(!ready.contains("secret-password"))
        }
    }
}
