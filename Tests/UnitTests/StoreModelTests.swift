@testable import ConfigManager
import TargetStore
import Testing

/// File mode's rules, without a file: all or nothing, every problem named, the seeded store.
struct StoreModelTests {
    func fields(_ name: String, _ host: String, probe: String? = nil, lookup: String? = nil) -> TargetFields {
        var fields = TargetFields()
        fields.name = name
        fields.host = host
        if let probe { fields.probe = .some(probe) }
        if let lookup { fields.lookup = .some(lookup) }
        return fields
    }

    @Test func aListWithOneBadItemChangesNothingAndNamesEveryProblem() throws {
        var model = StoreModel.seeded
        _ = try model.apply([.createTarget(fields("a", "192.0.2.1"))], now: "t0")
        let before = model
        #expect(throws: StoreRejection([
            .init(index: 1, kind: .conflict, field: "name", message: "a target named 'a' exists"),
            .init(index: 2, kind: .invalid, field: "lookup", message: "a target of the DNS probe needs lookup (the name to resolve)"),
            .init(index: 3, kind: .notFound, message: "no target with id 99"),
        ])) {
            try model.apply([
                .createTarget(fields("b", "192.0.2.2")), .createTarget(fields("a", "192.0.2.3")),
                .createTarget(fields("c", "192.0.2.4", probe: "DNS")), .deleteTarget(id: 99),
            ], now: "t1")
        }
        #expect(model == before)
    }

    @Test func aTargetWithoutAProbeGetsTheDefaultAndLookupFollowsTheModule() throws {
        var model = StoreModel.seeded
        let results = try model.apply([
            .createTarget(fields("a", "192.0.2.1")), .createTarget(fields("r", "192.0.2.53", probe: "DNS", lookup: "example.com")),
        ], now: "t0")
        guard case .target(let first) = results.first else { Issue.record("no target"); return }
        #expect(first.record.probe == "FPing")
        #expect(throws: StoreRejection.self) { try model.apply([.createTarget(fields("x", "192.0.2.9", lookup: "example.com"))], now: "t1") }
    }

    @Test func probesFollowSmokePingsRules() {
        #expect(StoreRules.problems(ProbeRecord(name: "FPing", binaryPath: "/usr/bin/fping"), index: 0).isEmpty)
        #expect(StoreRules.problems(ProbeRecord(name: "Nope"), index: 0).map(\.field) == ["name"])
        #expect(StoreRules.problems(ProbeRecord(name: "Slow", binaryPath: "/usr/bin/fping", module: "FPing"), index: 0).isEmpty)
        #expect(StoreRules.problems(ProbeRecord(name: "FPing", pings: 2), index: 0).map(\.field) == ["binary_path", "pings"])
    }

    @Test func renamingACategoryRenamesItInItsTargets() throws {
        var model = StoreModel.seeded
        var target = fields("a", "192.0.2.1")
        target.category = .some("default")
        _ = try model.apply([.createTarget(target)], now: "t0")
        var rename = CategoryFields()
        rename.name = "core/routers"
        _ = try model.apply([.updateCategory(id: 1, rename)], now: "t1")
        #expect(model.snapshot.targets.first?.record.category == "core/routers")
        #expect(throws: StoreRejection(index: 0, .conflict, "category 'core/routers' is used by 1 target(s)")) {
            try model.apply([.deleteCategory(id: 1)], now: "t2")
        }
    }

    @Test func theStoreFileReadsBackToTheSameSnapshot() throws {
        var model = StoreModel.seeded
        var target = fields("a", "192.0.2.1")
        target.title = "Quote \" and $ and ${HOME} and ünïcode"
        _ = try model.apply([.createTarget(target), .createTarget(fields("r", "192.0.2.53", probe: "DNS", lookup: "example.com"))], now: "t0")
        let text = StoreDocument.render(model.snapshot)
        #expect(try StoreDocument.parse(text, file: "t.yaml", now: "later") == model.snapshot)
    }

    @Test func aBrokenStoreFileIsNamedByLine() {
        #expect(throws: (any Error).self) { try StoreDocument.parse("targets:\n  - name: a\n", file: "t.yaml", now: "") }
        do {
            _ = try StoreDocument.parse("targets:\n  - name: a\n    host: 192.0.2.1\n    colour: red\n", file: "t.yaml", now: "")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.description.hasPrefix("t.yaml:4:13: unknown key 'colour'"), "\(error)")
        }
    }
}
