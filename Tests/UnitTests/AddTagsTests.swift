import EventModel
import SmokeflowTesting
import Testing

@Suite struct AddTagsTests {
    func run(overwrite: Bool) async throws -> [String] {
        let key = TestData.register([
            Point(measurement: "m", tags: [.init("site", "old"), .init("target", "t")], fields: [.init("f", .int(1))], timestamp: 1),
        ])
        let (probeKey, probe) = Observer.make()
        let report = try await runPipeline("""
            sources: { in: { type: memory, key: \(key) } }
            transforms: { tag: { type: add_tags, inputs: [in], overwrite: \(overwrite), tags: { zone: z, site: new, a: "1" } } }
            sinks: { out: { type: collect, inputs: [tag], probe: \(probeKey) } }
            """)
        #expect(report.succeeded)
        return probe.received.withLock { $0.first?.tags.map { "\($0.key)=\($0.value)" } ?? [] }
    }

    @Test func addsMissingTagsInOrderAndOverwritesOnlyWhenAsked() async throws {
        #expect(try await run(overwrite: false) == ["a=1", "site=old", "target=t", "zone=z"])
        #expect(try await run(overwrite: true) == ["a=1", "site=new", "target=t", "zone=z"])
    }
}
