import ConfigManager
import Foundation
import Testing

/// `smokeflow serve`'s routes against both store modes (a file, the real PostgreSQL).
@Suite(.timeLimit(.minutes(3)))
struct ConfigServerTests {
    @Test(arguments: StoreMode.testable)
    func healthIsOpenAndEverythingElseNeedsTheToken(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let health = try await server.call(.GET, "/health", auth: .none)
            #expect(health.status == 200)
            #expect(health.object["status"] as? String == "healthy")
            #expect(health.object["service"] as? String == "smokeflow")
            for auth in [RunningConfigServer.Auth.none, .wrong] {
                let refused = try await server.call(.GET, "/targets", auth: auth)
                #expect(refused.status == 401, "\(refused)")
                #expect(refused.object["error_id"] as? String != nil)
                #expect(!refused.body.contains(server.token))
            }
            #expect(try await server.call(.GET, "/targets", auth: .header).status == 200)
            #expect(try await server.call(.GET, "/targets", auth: .bearer).status == 200)
            let spec = try await server.call(.GET, "/openapi.yaml")
            #expect(spec.status == 200 && spec.body.hasPrefix("openapi: 3.1"))
        }
    }

    @Test(arguments: StoreMode.testable)
    func targetsAreCreatedReadUpdatedToggledAndDeleted(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let created = try await server.call(.POST, "/targets", json: #"{"name":"r1","host":"192.0.2.1","title":"Router one","category":"default","site":"ams"}"#)
            #expect(created.status == 201, "\(created)")
            let target = try #require(created.object["target"] as? [String: Any])
            let id = try #require(target["id"] as? Int)
            #expect(target["probe"] as? String == "FPing")
            #expect(target["is_active"] as? Bool == true)
            #expect(target["lookup"] is NSNull)
            #expect(target["record"] is NSNull)

            let dns = try await server.call(.POST, "/targets", json: #"{"name":"resolver","host":"192.0.2.53","probe":"DNS","lookup":"example.com","record":"MX","category_id":2}"#)
            #expect(dns.status == 201, "\(dns)")
            let dnsTarget = try #require(dns.object["target"] as? [String: Any], "\(dns)")
            #expect(dnsTarget["record"] as? String == "MX")
            let badRecord = try await server.call(.POST, "/targets", json: #"{"name":"resolver3","host":"192.0.2.55","probe":"DNS","lookup":"example.com","record":"QUAD"}"#)
            #expect(badRecord.status == 422 && badRecord.object["field"] as? String == "record", "\(badRecord)")
            let icmpRecord = try await server.call(.POST, "/targets", json: #"{"name":"r9","host":"192.0.2.56","record":"A"}"#)
            #expect(icmpRecord.status == 422 && icmpRecord.object["field"] as? String == "record", "\(icmpRecord)")
            // Alert rule names, comma-separated as stored; spaces or an empty name are refused.
            let watched = try await server.call(.POST, "/targets", json: #"{"name":"watched","host":"192.0.2.57","alerts":"someloss,bigrtt"}"#)
            #expect(watched.status == 201, "\(watched)")
            let watchedTarget = try #require(watched.object["target"] as? [String: Any])
            #expect(watchedTarget["alerts"] as? String == "someloss,bigrtt")
            #expect(target["alerts"] is NSNull)
            let watchedID = try #require(watchedTarget["id"] as? Int)
            let cleared = try await server.call(.PATCH, "/targets/\(watchedID)", json: #"{"alerts":null}"#)
            #expect((cleared.object["target"] as? [String: Any])?["alerts"] is NSNull, "\(cleared)")
            #expect(try await server.call(.DELETE, "/targets/\(watchedID)").status == 200)
            let emptied = try await server.call(.POST, "/targets", json: #"{"name":"w3","host":"192.0.2.59","alerts":""}"#)
            #expect((emptied.object["target"] as? [String: Any])?["alerts"] is NSNull, "'' is none, as for every text field: \(emptied)")
            if let id = (emptied.object["target"] as? [String: Any])?["id"] as? Int {
                #expect(try await server.call(.DELETE, "/targets/\(id)").status == 200)
            }
            for bad in [#""some loss""#, #""a,,b""#, #""a, b""#, #"",a""#] {
                let refused = try await server.call(.POST, "/targets", json: #"{"name":"w2","host":"192.0.2.58","alerts":"# + bad + #"}"#)
                #expect(refused.status == 422 && refused.object["field"] as? String == "alerts", "\(bad): \(refused)")
            }
            let noLookup = try await server.call(.POST, "/targets", json: #"{"name":"resolver2","host":"192.0.2.54","probe":"DNS"}"#)
            #expect(noLookup.status == 422 && noLookup.object["field"] as? String == "lookup", "\(noLookup)")
            let duplicate = try await server.call(.POST, "/targets", json: #"{"name":"r1","host":"192.0.2.9"}"#)
            #expect(duplicate.status == 409 && duplicate.object["field"] as? String == "name", "\(duplicate)")

            let one = try await server.call(.GET, "/targets/\(id)")
            #expect((one.object["target"] as? [String: Any])?["site"] as? String == "ams")
            #expect(try await server.call(.GET, "/targets/999999").status == 404)
            #expect(try await server.call(.GET, "/targets/abc").status == 400)

            let patched = try await server.call(.PATCH, "/targets/\(id)", json: #"{"title":"Router 1","site":null}"#)
            #expect(patched.status == 200, "\(patched)")
            let after = try #require(patched.object["target"] as? [String: Any])
            #expect(after["title"] as? String == "Router 1" && after["site"] is NSNull && after["host"] as? String == "192.0.2.1")
            let put = try await server.call(.PUT, "/targets/\(id)", json: #"{"host":"r1.example.net"}"#)
            #expect((put.object["target"] as? [String: Any])?["host"] as? String == "r1.example.net", "\(put)")

            let toggled = try await server.call(.POST, "/targets/\(id)/toggle")
            #expect(toggled.object["message"] as? String == "Target deactivated successfully", "\(toggled)")
            #expect(try await server.targets("?active_only=true").map { $0["name"] as? String } == ["resolver"])
            #expect(try await server.targets("?probe=DNS").count == 1)
            #expect(try await server.targets("?category=default&site=nowhere").isEmpty)
            #expect(try await server.targets("?q=ROUTER").map { $0["name"] as? String } == ["r1"])
            let paged = try await server.call(.GET, "/targets?limit=1&offset=1")
            #expect(paged.object["total"] as? Int == 2 && (paged.object["targets"] as? [Any])?.count == 1)
            #expect(try await server.call(.GET, "/targets?limit=0").status == 400)

            #expect(try await server.call(.DELETE, "/targets/\(id)").status == 200)
            #expect(try await server.call(.DELETE, "/targets/\(id)").status == 404)
            #expect(try await server.targets().map { $0["name"] as? String } == ["resolver"])
        }
    }

    @Test(arguments: StoreMode.testable)
    func categoriesAndProbesInUseCannotBeDeleted(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let category = try await server.call(.POST, "/categories", json: #"{"name":"core/routers","display_name":"Core routers"}"#)
            #expect(category.status == 201, "\(category)")
            let categoryID = try #require((category.object["category"] as? [String: Any])?["id"] as? Int)
            let probe = try await server.call(.POST, "/probes", json: #"{"name":"FPingSlow","module":"FPing","binary_path":"/usr/bin/fping","step_seconds":600,"pings":10}"#)
            #expect(probe.status == 201, "\(probe)")
            let probeID = try #require((probe.object["probe"] as? [String: Any])?["id"] as? Int)
            for name in ["a1", "a2"] {
                let made = try await server.call(.POST, "/targets", json: #"{"name":"\#(name)","host":"192.0.2.7","category":"core/routers","probe":"FPingSlow"}"#)
                #expect(made.status == 201, "\(made)")
            }
            let usedProbe = try await server.call(.DELETE, "/probes/\(probeID)")
            #expect(usedProbe.status == 409 && usedProbe.object["error"] as? String == "probe 'FPingSlow' is used by 2 target(s)", "\(usedProbe)")
            let usedCategory = try await server.call(.DELETE, "/categories/\(categoryID)")
            #expect(usedCategory.status == 409 && (usedCategory.object["error"] as? String)?.contains("2 target(s)") == true, "\(usedCategory)")

            let listed = try await server.call(.GET, "/probes")
            let slow = (listed.object["probes"] as? [[String: Any]])?.first { $0["name"] as? String == "FPingSlow" }
            #expect(slow?["target_count"] as? Int == 2 && slow?["step_seconds"] as? Int == 600)
            let renamed = try await server.call(.PUT, "/categories/\(categoryID)", json: #"{"display_name":"Backbone"}"#)
            #expect((renamed.object["category"] as? [String: Any])?["display_name"] as? String == "Backbone", "\(renamed)")
            let newDefault = try await server.call(.PUT, "/probes/\(probeID)", json: #"{"is_default":true}"#)
            #expect(newDefault.status == 200, "\(newDefault)")
            let defaults = (try await server.call(.GET, "/probes").object["probes"] as? [[String: Any]] ?? []).filter { $0["is_default"] as? Bool == true }
            #expect(defaults.map { $0["name"] as? String } == ["FPingSlow"])
            #expect(try await server.call(.PUT, "/probes/\(probeID)", json: #"{"pings":0}"#).status == 422)

            for target in try await server.targets() {
                #expect(try await server.call(.DELETE, "/targets/\(try #require(target["id"] as? Int))").status == 200)
            }
            #expect(try await server.call(.DELETE, "/categories/\(categoryID)").status == 200)
            #expect(try await server.call(.DELETE, "/categories/\(categoryID)").status == 404)
        }
    }

    @Test(arguments: StoreMode.testable)
    func bulkOperationsApplyAllOrNothing(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let creates = (1...20).map { #"{"action":"create","target":{"name":"b\#($0)","host":"192.0.2.\#($0)"}}"# }
            let good = try await server.call(.POST, "/targets/bulk", json: #"{"operations":[\#(creates.joined(separator: ","))]}"#)
            #expect(good.status == 200, "\(good)")
            let results = try #require(good.object["results"] as? [[String: Any]])
            #expect(results.count == 20)
            let firstID = try #require(results.first?["id"] as? Int)

            let mixed = """
                {"operations":[
                  {"action":"toggle","id":\(firstID)},
                  {"action":"create","target":{"name":"b21","host":"192.0.2.21"}},
                  {"action":"create","target":{"name":"b2","host":"192.0.2.99"}},
                  {"action":"update","id":\(firstID),"target":{"host":"999.1.1.1"}},
                  {"action":"delete","id":999999}
                ]}
                """
            let refused = try await server.call(.POST, "/targets/bulk", json: mixed)
            #expect(refused.status == 422, "\(refused)")
            let problems = try #require(refused.object["errors"] as? [[String: Any]])
            #expect(problems.map { $0["index"] as? Int } == [2, 3, 4])
            #expect(problems.map { $0["field"] as? String } == ["name", "host", nil])
            // Nothing written: the toggle and the create before the failures are gone too.
            let after = try await server.targets()
            #expect(after.count == 20)
            #expect(after.allSatisfy { $0["is_active"] as? Bool == true })

            let deletes = results.compactMap { $0["id"] as? Int }.map { #"{"action":"delete","id":\#($0)}"# }
            #expect(try await server.call(.POST, "/targets/bulk", json: #"{"operations":[\#(deletes.joined(separator: ","))]}"#).status == 200)
            #expect(try await server.targets().isEmpty)
        }
    }

    @Test(arguments: StoreMode.testable)
    func configDocumentsAreReadAndReplacedWhole(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            #expect(try await server.call(.POST, "/targets", json: #"{"name":"keep","host":"192.0.2.1"}"#).status == 201)
            let keepID = try #require(try await server.targets().first?["id"] as? Int)
            let document = #"{"targets":[{"name":"keep","host":"192.0.2.11","title":"Kept","alerts":"someloss,bigrtt"},{"name":"new","host":"192.0.2.2","active":false}]}"#
            let replaced = try await server.call(.PUT, "/config/targets", json: document)
            #expect(replaced.status == 200, "\(replaced)")
            let targets = try await server.targets()
            #expect(targets.map { $0["name"] as? String } == ["keep", "new"])
            #expect(targets.first?["id"] as? Int == keepID, "a target kept by name keeps its id")
            #expect(targets.first?["host"] as? String == "192.0.2.11" && targets.last?["is_active"] as? Bool == false)
            #expect(targets.first?["alerts"] as? String == "someloss,bigrtt")

            let bad = try await server.call(.PUT, "/config/targets", json: #"{"targets":[{"name":"x","host":"192.0.2.3","probe":"Nope"}]}"#)
            #expect(bad.status == 422 && bad.object["field"] as? String == "probe", "\(bad)")
            #expect(try await server.targets().count == 2)

            let read = try await server.call(.GET, "/config/targets")
            let documentTargets = (read.object["targets"] as? [String: Any])?["targets"] as? [[String: Any]]
            #expect(documentTargets?.count == 2, "\(read)")
            #expect(documentTargets?.first?["alerts"] as? String == "someloss,bigrtt", "what a GET answers, a PUT takes back")
            #expect((read.object["metadata"] as? [String: Any])?["source"] as? String == mode.rawValue)
            let yaml = try await server.call(.GET, "/config/targets?format=yaml")
            #expect(yaml.body.hasPrefix("targets:\n  - name: \"keep\""), "\(yaml)")
            #expect(try await server.call(.GET, "/config/sources").status == 404)
            #expect(try await server.call(.GET, "/config/targets?format=xml").status == 400)

            let probes = #"{"probes":[{"name":"FPing","binary_path":"/usr/bin/fping","step_seconds":60,"pings":5,"is_default":true},{"name":"DNS","binary_path":"/usr/bin/dig","pings":3}]}"#
            let replacedProbes = try await server.call(.PUT, "/config/probes", json: probes)
            #expect(replacedProbes.status == 200, "\(replacedProbes)")
            let all = try await server.call(.GET, "/config")
            let names = ((all.object["probes"] as? [String: Any])?["probes"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["DNS", "FPing"], "\(all)")
            let dropUsed = try await server.call(.PUT, "/config/probes", json: #"{"probes":[{"name":"DNS","binary_path":"/usr/bin/dig"}]}"#)
            #expect(dropUsed.status == 409, "\(dropUsed)")
        }
    }

    @Test(arguments: StoreMode.testable)
    func unknownRoutesAndMethodsAnswerJSON(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let missing = try await server.call(.GET, "/nothing")
            #expect(missing.status == 404 && missing.object["error_id"] != nil)
            let wrongMethod = try await server.call(.DELETE, "/targets")
            #expect(wrongMethod.status == 405 && wrongMethod.header("Allow") == "GET, POST", "\(wrongMethod)")
            let status = try await server.call(.GET, "/status")
            #expect((status.object["store"] as? [String: Any])?["mode"] as? String == mode.rawValue, "\(status)")
            #expect((status.object["counts"] as? [String: Any])?["probes"] as? Int == 3)
        }
    }
}
