import ConfigManager
import Foundation
import Testing

/// 50 clients at once, mixing creates, updates, toggles and deletes: every answer is a
/// success or a clean refusal, and the store ends consistent (each surviving target as its
/// last write left it, no name twice).
@Suite(.timeLimit(.minutes(5)))
struct ConfigServerConcurrencyTests {
    @Test(arguments: StoreMode.testable)
    func fiftyConcurrentClientsLeaveAConsistentStore(mode: StoreMode) async throws {
        try await withConfigServer(mode) { server in
            let clients = 50
            let perClient = 6
            let outcomes = try await withThrowingTaskGroup(of: [UInt].self) { group in
                for client in 0..<clients {
                    group.addTask {
                        var statuses: [UInt] = []
                        var mine: [Int] = []
                        for step in 0..<perClient {
                            let name = "c\(client)_\(step)"
                            let created = try await server.call(.POST, "/targets", json: #"{"name":"\#(name)","host":"192.0.2.\#(1 + client)"}"#)
                            statuses.append(created.status)
                            if let id = (created.object["target"] as? [String: Any])?["id"] as? Int { mine.append(id) }
                            // Everyone also races for one shared name: exactly one create wins.
                            statuses.append(try await server.call(.POST, "/targets", json: #"{"name":"shared\#(step)","host":"192.0.2.250"}"#).status)
                        }
                        statuses.append(try await server.call(.PATCH, "/targets/\(mine[0])", json: #"{"title":"client \#(client)"}"#).status)
                        statuses.append(try await server.call(.POST, "/targets/\(mine[1])/toggle").status)
                        statuses.append(try await server.call(.DELETE, "/targets/\(mine[2])").status)
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(outcomes.allSatisfy { [200, 201, 409].contains($0) }, "\(Set(outcomes))")
            #expect(outcomes.count { $0 == 409 } == (clients - 1) * perClient, "one create of each shared name wins")

            let targets = try await server.targets()
            #expect(targets.count == clients * (perClient - 1) + perClient)
            #expect(Set(targets.compactMap { $0["name"] as? String }).count == targets.count)
            for client in 0..<clients {
                let byName = Dictionary(uniqueKeysWithValues: targets.compactMap { target in (target["name"] as? String).map { ($0, target) } })
                #expect(byName["c\(client)_0"]?["title"] as? String == "client \(client)")
                #expect(byName["c\(client)_1"]?["is_active"] as? Bool == false)
                #expect(byName["c\(client)_2"] == nil)
            }
            if mode == .file {
                // The file on disk reads back to what the server answers.
                let text = try String(contentsOfFile: server.directory + "/targets.yaml", encoding: .utf8)
                let snapshot = try StoreDocument.parse(text, file: "targets.yaml", now: "")
                #expect(snapshot.targets.count == targets.count)
            }
        }
    }
}
