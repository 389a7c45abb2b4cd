@testable import ConfigManager
import Foundation
import Logging
import PipelineConfig
import SmokeflowTesting
import Testing

/// The routes the server registers are exactly the operations of docs/openapi.yaml (the
/// contract), and the document the server serves is that file.
struct ConfigAPIContractTests {
    static let logger = Logger(label: "contract") { _ in SwiftLogNoOpLogHandler() }

    static func specOperations() throws -> Set<RouteTable.Route> {
        let path = packageRoot() + "/docs/openapi.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let root = try YAMLLoader(environment: [:]).load(text: text, file: path)
        let paths = try #require(root.mapping?.first { $0.key.scalar == "paths" }?.value.mapping)
        var operations: Set<RouteTable.Route> = []
        for (template, item) in paths {
            for (method, _) in item.mapping ?? [] {
                guard let method = method.scalar, ["get", "post", "put", "patch", "delete"].contains(method) else { continue }
                operations.insert(RouteTable.Route(method: method.uppercased(), path: try #require(template.scalar)))
            }
        }
        return operations
    }

    @Test func everyRouteIsInTheOpenAPIDocumentAndNothingElse() throws {
        let gateway = StoreGateway(store: FileStore(path: temporaryDirectory() + "/t.yaml", logger: Self.logger), snapshotPath: nil, logger: Self.logger)
        let api = ConfigAPI(gateway: gateway, publisher: ConfigPublisher(gateway: gateway, publishing: nil, logger: Self.logger), logger: Self.logger)
        let (_, table) = api.router(token: "a-token-of-some-length")
        let registered = Set(table.routes)
        #expect(registered.count == table.routes.count, "a route is registered twice")
        let documented = try Self.specOperations()
        #expect(registered.subtracting(documented).isEmpty, "routes missing from docs/openapi.yaml: \(registered.subtracting(documented))")
        #expect(documented.subtracting(registered).isEmpty, "documented operations without a route: \(documented.subtracting(registered))")
    }

    @Test func theServedDocumentIsDocsOpenAPIYAML() throws {
        let file = try String(contentsOfFile: packageRoot() + "/docs/openapi.yaml", encoding: .utf8)
        #expect(OpenAPIDocument.text + "\n" == file, "run scripts/embed-openapi")
    }

    @Test func aPathAllowsTheMethodsOfItsMostLiteralRoutes() {
        var table = RouteTable()
        table.add("GET", "/targets/{id}")
        table.add("DELETE", "/targets/{id}")
        table.add("POST", "/targets/bulk")
        #expect(table.methods(forPath: "/targets/bulk") == ["POST"])
        #expect(table.methods(forPath: "/targets/7") == ["DELETE", "GET"])
        #expect(table.methods(forPath: "/nothing").isEmpty)
    }

    @Test func tokensCompareWithoutRegardToPrefixOrLength() {
        let token = Array("0123456789abcdef".utf8)
        #expect(ConstantTime.equal(token, token))
        #expect(!ConstantTime.equal(Array("0123456789abcdeF".utf8), token))
        #expect(!ConstantTime.equal(Array("0123456789abcde".utf8), token))
        #expect(!ConstantTime.equal(token + Array(repeating: 0x61, count: 256), token))
        #expect(!ConstantTime.equal([], []))
    }

    @Test func deepJSONIsFoundBeforeDecoding() {
        #expect(RequestBody.tooDeep(Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)) == 64)
        #expect(RequestBody.tooDeep(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)) == nil)
        // Brackets inside strings do not count.
        #expect(RequestBody.tooDeep(Array(("{\"a\":\"" + String(repeating: "[", count: 100) + "\"}").utf8)) == nil)
    }
}
