import Hummingbird

extension ConfigAPI {
    func registerStatusRoutes(_ router: Router<BasicRequestContext>, _ table: inout RouteTable) {
        router.route(.get, "/health", &table) { _, _ in
            JSONResponse.make(["status": "healthy", "service": "smokeflow", "timestamp": StoreClock.now()])
        }
        router.route(.get, "/openapi.yaml", &table) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text))
            )
        }
        router.route(.get, "/status", &table) { _, _ in JSONResponse.make(await status()) }
        router.route(.post, "/generate", &table) { _, _ in
            let (report, reload, error) = await publisher.publish(reason: "manual", reloadWhenChanged: false)
            guard let report else {
                throw APIError(status: .conflict, message: "SmokePing's files were not written: \(error ?? "no SmokePing directory configured (--smokeping-dir)")")
            }
            _ = reload
            return JSONResponse.make(GenerateAnswer(
                success: true, message: report.changed.isEmpty ? "SmokePing's files are up to date" : "SmokePing's files written",
                generated_at: StoreClock.now(), changed: report.changed, targets: report.targets, probes: report.probes,
                verified: report.verified, check: report.message
            ))
        }
        for path in ["/reload", "/restart"] {
            router.route(.post, path, &table) { _, _ in
                let report = await publisher.reloadNow()
                let answer = ReloadAnswer(
                    success: report.success, message: report.message, action: report.action, verified: report.verified,
                    reloaded_at: StoreClock.now()
                )
                return JSONResponse.make(answer, status: report.success ? .ok : .conflict)
            }
        }
    }

    struct GenerateAnswer: Encodable {
        var success: Bool
        var message: String
        var generated_at: String
        var changed: [String]
        var targets: Int
        var probes: Int
        var verified: Bool
        var check: String
    }

    struct ReloadAnswer: Encodable {
        var success: Bool
        var message: String
        var action: String
        var verified: Bool
        var reloaded_at: String
    }

    struct StatusAnswer: Encodable {
        struct Store: Encodable {
            var mode: String
            var reachable: Bool
            var stale: Bool
            var error: String?
        }

        struct Counts: Encodable {
            var targets: Int
            var active_targets: Int
            var categories: Int
            var probes: Int
        }

        struct Event: Encodable {
            var at: String
            var success: Bool
            var message: String
            var verified: Bool?
        }

        var status: String
        var store: Store
        var counts: Counts?
        var generated_files: [GeneratedFile]
        var smokeping: DaemonState?
        var last_generation: Event?
        var last_reload: Event?
        var checked_at: String
    }

    func status() async -> StatusAnswer {
        let read = try? await gateway.snapshot()
        let reachable = await gateway.reachable
        let counts = read.map {
            StatusAnswer.Counts(targets: $0.snapshot.targets.count, active_targets: $0.snapshot.activeCount,
                                categories: $0.snapshot.categories.count, probes: $0.snapshot.probes.count)
        }
        let generation = await publisher.lastGeneration.map {
            StatusAnswer.Event(at: $0.at, success: $0.report != nil, message: $0.report?.message ?? "not written: \($0.error ?? "")", verified: $0.report?.verified)
        }
        let reload = await publisher.lastReload.map {
            StatusAnswer.Event(at: $0.at, success: $0.report.success, message: $0.report.message, verified: $0.report.verified)
        }
        let healthy = reachable && read?.stale == false && (generation?.success ?? true)
        return StatusAnswer(
            status: healthy ? "healthy" : (read == nil ? "error" : "degraded"),
            store: .init(mode: gateway.mode.rawValue, reachable: reachable, stale: read?.stale ?? true,
                         error: reachable ? nil : "the store is unreachable; reads are stale, writes are refused"),
            counts: counts,
            generated_files: await publisher.publishing?.files() ?? [],
            smokeping: await publisher.publishing?.daemon(),
            last_generation: generation, last_reload: reload, checked_at: StoreClock.now()
        )
    }
}
