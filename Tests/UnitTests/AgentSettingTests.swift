import PipelineConfig
import PipelineRuntime
import Testing

@Suite struct AgentSettingTests {
    func settings(_ yaml: String) throws -> RuntimeSettings {
        try RuntimeSettings(try PipelineLoader(environment: [:]).load(text: yaml + "\nsources: { a: { type: fixture, path: x.lp.zst } }\nsinks: { o: { type: stdout, inputs: [a] } }\n", file: "p.yaml"))
    }

    @Test func agentDefaultsToTheHostNameAndIsValidated() throws {
        #expect(try settings("channel_capacity: 4").agent == RuntimeSettings.hostAgentName)
        #expect(RuntimeSettings.isAgentName(RuntimeSettings.hostAgentName))
        #expect(try settings("agent: edge-1.ams_2").agent == "edge-1.ams_2")
        for bad in ["\"\"", "\"a b\"", "a/b", "-x", "\"\(String(repeating: "a", count: 65))\""] {
            #expect(throws: ConfigErrors.self, "agent: \(bad)") { try settings("agent: \(bad)") }
        }
        do {
            _ = try settings("agent: a/b")
        } catch {
            #expect("\(error)".hasPrefix("p.yaml:1:8: agent: must be"), "\(error)")
        }
    }
}
