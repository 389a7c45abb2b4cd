import Components
import Foundation
import PipelineConfig
import PipelineRuntime
import SmokeflowApp
import SmokeflowTesting
import Testing

/// The layout is the architecture (docs/architecture.md): these tests read the package's
/// target graph and the component folders, and fail when the code stops matching the picture.
@Suite struct ArchitectureTests {
    /// Which layers a target of each layer may depend on (its own included).
    static let allowed: [String: Set<String>] = [
        "native": ["native"],
        "core": ["core"],
        "formats": ["formats", "native", "core"],
        "engines": ["engines", "formats", "native", "core"],
        "components": ["components", "engines", "formats", "native", "core"],
        "app": ["app", "components", "engines", "formats", "native", "core"],
        "testing": ["testing", "components", "engines", "formats", "native", "core", "app"],
    ]
    /// Core targets below the runtime: formats and engines may use these, never `PipelineRuntime`.
    static let runtimeFree: Set<String> = ["EventModel", "PipelineConfig"]

    struct Target: Decodable {
        let name: String
        let path: String
        let type: String
        let target_dependencies: [String]?

        init(name: String, path: String, type: String = "library", target_dependencies: [String]? = nil) {
            self.name = name
            self.path = path
            self.type = type
            self.target_dependencies = target_dependencies
        }
    }

    struct Description: Decodable { let targets: [Target] }

    /// `swift package describe --type json`: the copy scripts/test saves before `swift test`
    /// (SMOKEFLOW_PACKAGE_DESCRIPTION), else SwiftPM asked here.
    static func describePackage() async throws -> [Target] {
        let root = packageRoot()
        if let saved = ProcessInfo.processInfo.environment["SMOKEFLOW_PACKAGE_DESCRIPTION"] {
            let data = try #require(FileManager.default.contents(atPath: saved), "SMOKEFLOW_PACKAGE_DESCRIPTION names \(saved), which cannot be read")
            return try JSONDecoder().decode(Description.self, from: data).targets
        }
        // Without scripts/test's saved description: ask SwiftPM, in a scratch folder of its own
        // so it never waits for the build folder this test runs from.
        let described = try await runProgram(
            "/usr/bin/env", ["swift", "package", "--package-path", root, "--scratch-path", temporaryDirectory(), "describe", "--type", "json"])
        return try JSONDecoder().decode(Description.self, from: Data(described.output.utf8)).targets
    }

    static func layer(_ target: Target) -> String? {
        let parts = target.path.split(separator: "/")
        return parts.first == "Sources" && parts.count >= 2 ? String(parts[1]) : nil
    }

    /// The layer rule over a target graph: one line per dependency that breaks it. Targets
    /// outside `Sources/` (tests, benchmarks) are not in a layer and may use anything.
    static func layerViolations(_ targets: [Target]) -> [String] {
        let byName = Dictionary(targets.map { ($0.name, $0) }) { first, _ in first }
        var violations: [String] = []
        for target in targets {
            guard let layer = layer(target) else { continue }
            guard let allowed = allowed[layer] else {
                violations.append("\(target.name): Sources/\(layer) is not a known layer")
                continue
            }
            for dependency in target.target_dependencies ?? [] {
                guard let other = byName[dependency] else {
                    violations.append("\(target.name) (\(layer)) depends on \(dependency), which is not a target of the package")
                    continue
                }
                guard let otherLayer = Self.layer(other) else { continue }
                if !allowed.contains(otherLayer) {
                    violations.append("\(target.name) (\(layer)) depends on \(dependency) (\(otherLayer))")
                } else if layer == "formats" || layer == "engines", otherLayer == "core", !runtimeFree.contains(dependency) {
                    violations.append("\(target.name) (\(layer)) depends on the runtime (\(dependency))")
                }
            }
        }
        return violations
    }

    @Test func everyTargetDependsOnlyOnItsOwnLayerOrTheLayersBelow() async throws {
        let targets = try await Self.describePackage()
        #expect(targets.contains { $0.name == "Components" }, "the description lists the package's targets")
        let violations = Self.layerViolations(targets)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    /// The rule itself: a graph made by hand with two breaches reports exactly those two.
    @Test func theLayerRuleReportsExactlyTheDependenciesThatBreakIt() {
        let graph = [
            Target(name: "EventModel", path: "Sources/core/EventModel"),
            Target(name: "PipelineRuntime", path: "Sources/core/PipelineRuntime", target_dependencies: ["EventModel"]),
            Target(name: "LineProtocol", path: "Sources/formats/LineProtocol", target_dependencies: ["EventModel"]),
            Target(name: "Downsampling", path: "Sources/engines/Downsampling", target_dependencies: ["EventModel", "LineProtocol", "PipelineRuntime"]),
            Target(name: "Components", path: "Sources/components", target_dependencies: ["PipelineRuntime", "Downsampling", "SmokeflowApp"]),
            Target(name: "SmokeflowApp", path: "Sources/app/SmokeflowApp", target_dependencies: ["Components", "PipelineRuntime"]),
            Target(name: "SmokeflowTesting", path: "Sources/testing/SmokeflowTesting", target_dependencies: ["SmokeflowApp", "Components"]),
            Target(name: "UnitTests", path: "Tests/UnitTests", type: "test", target_dependencies: ["SmokeflowTesting", "PipelineRuntime"]),
        ]
        #expect(Self.layerViolations(graph) == [
            "Downsampling (engines) depends on the runtime (PipelineRuntime)",
            "Components (components) depends on SmokeflowApp (app)",
        ])
        // Without the two breaches the same graph passes.
        let fixed = graph.map { target in
            Target(
                name: target.name, path: target.path, type: target.type,
                target_dependencies: target.target_dependencies?.filter {
                    !(target.name == "Downsampling" && $0 == "PipelineRuntime") && !(target.name == "Components" && $0 == "SmokeflowApp")
                })
        }
        #expect(Self.layerViolations(fixed).isEmpty)
    }

    @Test func testTargetsAreSplitIntoUnitAndIntegration() async throws {
        let tests = try await Self.describePackage().filter { $0.type == "test" }.map(\.name).sorted()
        #expect(tests == ["IntegrationTests", "UnitTests"])
    }

    /// Every registered type has `Sources/components/<kind>s/<type>/` with a README.md and an
    /// example.yaml that validates and uses that type.
    @Test(arguments: [ComponentKind.source, .transform, .sink])
    func everyComponentTypeHasAFolderWithReadmeAndAValidExample(kind: ComponentKind) throws {
        let root = packageRoot()
        let types = ComponentRegistry.builtin.typeNames(kind)
        #expect(!types.isEmpty)
        for type in types {
            let folder = "\(root)/Sources/components/\(kind)s/\(type)"
            #expect(FileManager.default.fileExists(atPath: folder + "/README.md"), "\(kind) '\(type)': no \(folder)/README.md")
            let example = folder + "/example.yaml"
            guard FileManager.default.fileExists(atPath: example) else {
                Issue.record("\(kind) '\(type)': no \(example)")
                continue
            }
            do {
                let loaded = try LoadedPipeline.load(example, envFile: nil, environment: [:])
                #expect(loaded.definition.components.contains { $0.kind == kind && $0.type == type }, "\(example) does not use a \(kind) of type \(type)")
            } catch {
                Issue.record("\(example): \(error)")
            }
        }
    }
}
