import PipelineConfig
import Testing

/// Review M10: deep nesting is refused with its position, in one line.
struct YAMLDepthTests {
    static func errors(_ text: String) -> [String] {
        do {
            _ = try YAMLLoader(environment: [:]).load(text: text, file: "deep.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func nestingUpToTheLimitReadsAndOneDeeperIsNamed() {
        let limit = YAMLLoader.maximumDepth
        // A mapping level, then flow lists.
        #expect(Self.errors("a: " + String(repeating: "[", count: limit - 1) + String(repeating: "]", count: limit - 1) + "\n") == [])
        #expect(Self.errors("a: " + String(repeating: "[", count: limit) + String(repeating: "]", count: limit) + "\n")
            == ["deep.yaml:1:\(3 + limit): YAML nested deeper than \(limit) levels"])
        // Block levels by indentation and by `- `.
        let block = (0..<limit + 1).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n"
        #expect(Self.errors(block) == ["deep.yaml:\(limit + 1):\(limit + 1): YAML nested deeper than \(limit) levels"])
        #expect(Self.errors("a:\n" + String(repeating: "- ", count: limit) + "x\n").count == 1)
        // Brackets inside quotes and comments, and an apostrophe in a plain scalar, are not levels.
        let quoted = "a: \"" + String(repeating: "[", count: 200) + "\" # " + String(repeating: "{", count: 200) + "\nb: don't\nc: [1, 2]\n"
        #expect(Self.errors(quoted) == [])
    }

    /// 100,000 levels. (Not a crash before: libyaml refused them at 1,000 with "invalid YAML:
    /// Maximum nesting level reached, set with yaml_set_max_nest_level()", the review's stack
    /// overflow does not happen with Yams' libyaml.)
    @Test func aHostileDepthIsNamedWithItsPosition() {
        let depth = 100_000
        let errors = Self.errors("sources:\n  a: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n")
        #expect(errors == ["deep.yaml:2:\(6 + YAMLLoader.maximumDepth - 2): YAML nested deeper than \(YAMLLoader.maximumDepth) levels"])
    }
}
