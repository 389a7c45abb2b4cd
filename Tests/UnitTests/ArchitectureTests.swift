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
    }

    struct Description: Decodable { let targets: [Target] }

    static func describePackage() throws -> [Target] {
        let root = packageRoot()
        if let saved = ProcessInfo.processInfo.environment["SMOKEFLOW_PACKAGE_DESCRIPTION"],
           let data = FileManager.default.contents(atPath: saved)
        {
            return try JSONDecoder().decode(Description.self, from: data).targets
        }
        // Without scripts/test's saved description: ask SwiftPM, in a scratch folder of its own
        // so it never waits for the build folder this test runs from.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", root, "--scratch-path", temporaryDirectory(), "describe", "--type", "json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(Description.self, from: data).targets
    }

    static func layer(_ target: Target) -> String? {
        let parts = target.path.split(separator: "/")
        return parts.first == "Sources" && parts.count >= 2 ? String(parts[1]) : nil
    }

    @Test func everyTargetDependsOnlyOnItsOwnLayerOrTheLayersBelow() throws {
        let targets = try Self.describePackage()
        let byName = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0) })
        #expect(targets.contains { $0.name == "Components" }, "the description lists the package's targets")
        for target in targets {
            guard let layer = Self.layer(target) else { continue }
            let allowed = try #require(Self.allowed[layer], "\(target.name): Sources/\(layer) is not a known layer")
            for dependency in target.target_dependencies ?? [] {
                let other = try #require(byName[dependency])
                guard let otherLayer = Self.layer(other) else { continue }
                #expect(allowed.contains(otherLayer), "\(target.name) (\(layer)) depends on \(dependency) (\(otherLayer))")
                if layer == "formats" || layer == "engines", otherLayer == "core" {
                    #expect(Self.runtimeFree.contains(dependency), "\(target.name) (\(layer)) depends on the runtime (\(dependency))")
                }
            }
        }
    }

    @Test func testTargetsAreSplitIntoUnitAndIntegration() throws {
        let tests = try Self.describePackage().filter { $0.type == "test" }.map(\.name).sorted()
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
