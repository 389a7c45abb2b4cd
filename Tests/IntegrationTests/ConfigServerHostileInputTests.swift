import ConfigManager
import Foundation
import Testing

/// Hostile input in every field of every write: a 4xx naming the field, nothing written,
/// nothing leaked (no SQL, no exception text), in both store modes.
@Suite(.timeLimit(.minutes(5)))
struct ConfigServerHostileInputTests {
    static let hostileStrings = [
        "'; DROP TABLE targets; --", "\" OR 1=1 --", "Robert'); DELETE FROM probes;--", "line\nbreak", "tab\there",
        String(repeating: "x", count: 100_000), "\u{0}nul", "💥ünïcödé", "../../etc/passwd", "${API_TOKEN}", "$(reboot)",
    ]

    /// What no answer may contain: signs of SQL, exception text or internals.
    static let leakSigns = ["SQLSTATE", "syntax error", "postgres", "Swift.", "Error(", "DecodingError", "Fatal", "/work/", "SELECT", "INSERT"]

    @Test(arguments: StoreMode.testable)
    func hostileTargetFieldsAreRefusedAndNothingIsWritten(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            #expect(try await server.call(.POST, "/targets", json: #"{"name":"base","host":"192.0.2.1"}"#).status == 201)
            let before = [try await server.call(.GET, "/probes").body, try await server.call(.GET, "/categories").body]
            for field in ["name", "host", "title", "category", "probe", "site", "cachegroup", "lookup"] {
                for value in Self.hostileStrings {
                    // A valid name and host unless the field under test is one of them.
                    var body: [String: Any] = ["name": "victim", "host": "192.0.2.2"]
                    body[field] = value
                    let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                    let answer = try await server.call(.POST, "/targets", json: json)
                    // Free text takes anything printable up to 1 kB.
                    let acceptable = ["title", "site", "cachegroup"].contains(field) && value.utf8.count <= 1024
                        && !value.unicodeScalars.contains { $0.properties.generalCategory == .control }
                    if acceptable {
                        // Plain text where text is allowed: stored as given, then removed.
                        #expect(answer.status == 201, "\(field)=\(value.prefix(40)): \(answer)")
                        let id = try #require((answer.object["target"] as? [String: Any])?["id"] as? Int)
                        #expect((answer.object["target"] as? [String: Any])?[field] as? String == value)
                        #expect(try await server.call(.DELETE, "/targets/\(id)").status == 200)
                        continue
                    }
                    #expect((400..<500).contains(Int(answer.status)), "\(field)=\(value.prefix(40)): \(answer)")
                    #expect(answer.object["error_id"] is String, "\(answer)")
                    let shown = answer.object["field"] as? String
                    #expect(shown == field || shown == nil && answer.status == 413, "\(field): \(answer)")
                    for sign in Self.leakSigns { #expect(!answer.body.contains(sign), "\(field): \(answer)") }
                    #expect(!answer.body.contains(server.token))
                }
            }
            #expect([try await server.call(.GET, "/probes").body, try await server.call(.GET, "/categories").body] == before)
            #expect(try await server.targets().map { $0["name"] as? String } == ["base"])
        }
    }

    @Test(arguments: StoreMode.testable)
    func malformedBodiesAreRefused(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let cases: [(String, String, UInt)] = [
                ("{not json", "application/json", 400),
                (#"["a","list"]"#, "application/json", 400),
                (#"{"name":5,"host":"192.0.2.1"}"#, "application/json", 400),
                (#"{"name":"x","host":["192.0.2.1"]}"#, "application/json", 400),
                (#"{"name":"x","host":"192.0.2.1","is_active":"yes"}"#, "application/json", 400),
                (#"{"name":"x","host":"192.0.2.1","colour":"red"}"#, "application/json", 400),
                (#"{"name":"x","host":"192.0.2.1","category_id":1.5}"#, "application/json", 400),
                (#"{"name":"x","host":"192.0.2.1"}"#, "text/plain", 415),
                ("name=x&host=192.0.2.1", "application/x-www-form-urlencoded", 415),
                (String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000), "application/json", 400),
                (#"{"name":"x","host":""# + String(repeating: "a", count: 10 << 20) + #""}"#, "application/json", 413),
            ]
            for (body, type, status) in cases {
                let answer = try await server.call(.POST, "/targets", json: body, contentType: type)
                #expect(answer.status == status, "\(body.prefix(60)) as \(type): \(answer)")
                #expect(answer.object["error_id"] is String, "\(answer)")
                for sign in Self.leakSigns { #expect(!answer.body.contains(sign), "\(answer)") }
            }
            let bulk = try await server.call(.POST, "/targets/bulk", json: #"{"operations":[{"action":"explode"}]}"#)
            #expect(bulk.status == 400 && bulk.object["field"] as? String == "operations[0].action", "\(bulk)")
            let huge = try await server.call(.PUT, "/config/targets", json: #"{"targets":""# + String(repeating: "a", count: 10 << 20) + #""}"#)
            #expect(huge.status == 413, "\(huge)")
            #expect(try await server.targets().isEmpty)
        }
    }
}
