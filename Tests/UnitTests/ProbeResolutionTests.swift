@testable import Components
import Foundation
import PipelineConfig
import ProbeEngine
import Synchronization
import Testing

/// Review S5: the names of a step are resolved at once, each within a timeout.
@Suite(.timeLimit(.minutes(1)))
struct ProbeResolutionTests {
    /// A probe source over `targets` (YAML flow items), read as a pipeline file would be.
    static func source(_ targets: String) throws -> ProbeSource {
        let text = """
            sources:
              ping: { type: probe, step: 60s, targets: [\(targets)] }
            sinks:
              out: { type: stdout, inputs: [ping] }
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "probe.yaml")
        let component = try #require(definition.components.first { $0.id == "ping" })
        var reader = OptionsReader(componentID: component.id, location: component.location, pairs: component.options)
        let configuration = ProbeSourceConfiguration(options: &reader)
        return ProbeSource(configuration: configuration, provider: StaticTargets([]))
    }

    /// Names starting "slow" get no answer for 3 s, then a failure (a resolver that black-holes
    /// queries, bounded so the test ends either way); the others answer at once.
    final class Resolver: Sendable {
        let lookups = Atomic<Int>(0)

        func resolve(_ host: String) async -> Result<IPAddress, HostResolver.ResolveError> {
            lookups.add(1, ordering: .relaxed)
            if host.hasPrefix("slow") {
                try? await Task.sleep(for: .seconds(3))
                return .failure(HostResolver.ResolveError(message: "cannot resolve '\(host)': the resolver gave up"))
            }
            return .success(IPAddress(family: .v4, bytes: [127, 0, 0, 1]))
        }
    }

    @Test func aResolverThatDoesNotAnswerFailsItsRoundsAndTheStepGoesOn() async throws {
        let targets = (0..<20).map { "{ name: slow\($0), host: slow\($0).example.test }" } + (0..<20).map { "{ name: fast\($0), host: fast\($0).example.test }" }
        let source = try Self.source(targets.joined(separator: ", "))
        let resolver = Resolver()
        let list = (0..<20).map { ProbeTarget(name: "slow\($0)", host: "slow\($0).example.test") }
            + (0..<20).map { ProbeTarget(name: "fast\($0)", host: "fast\($0).example.test") }
            + [ProbeTarget(name: "fast0-again", host: "fast0.example.test")]
        // The unanswered names fail by the timeout, all at once (before: one after another, each
        // holding the step for as long as the resolver took, and failing with its message).
        let (requests, failures) = await source.rounds(
            for: list, stepStart: 0, step: 60_000_000_000, once: false, resolve: { host, _ in await resolver.resolve(host) },
            resolveTimeout: .milliseconds(200))
        #expect(Set(requests.map(\.target.name)) == Set((0..<20).map { "fast\($0)" } + ["fast0-again"]))
        #expect(failures.count == 20)
        #expect(failures.allSatisfy { $0.target.name.hasPrefix("slow") && ($0.error ?? "").contains("no answer within") }, "\(failures.map(\.error))")
        #expect(resolver.lookups.load(ordering: .relaxed) == 40, "each name once")
    }

    @Test func theTimeoutIsATenthOfTheStepAtMostTenSeconds() {
        #expect(ProbeSource.resolveTimeout(step: 300_000_000_000) == .seconds(10))
        #expect(ProbeSource.resolveTimeout(step: 20_000_000_000) == .seconds(2))
    }
}
