import Alerting
import Foundation
import SmokeflowTesting
import Testing

/// SmokePing's alert patterns (`Smokeping.pm`'s `init_alerts`), matched as its compiled Perl
/// does: checked against a table made by the installed SmokePing itself
/// (scripts/lib/smokeping-alert-table.pl → fixtures/alerts/smokeping-patterns.tsv).
@Suite struct AlertPatternTests {
    static func history(_ text: String) -> [AlertValue] {
        text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map { value in
            switch value {
            case "S": .start
            case "U": .unknown
            default: .number(Double(value) ?? .nan)
            }
        }
    }

    static func pattern(_ text: String, _ kind: AlertKind = .loss) throws -> AlertPattern {
        try AlertPattern(text, kind: kind)
    }

    @Test func everyRowOfSmokePingsOwnTableMatchesAlike() throws {
        let table = try String(contentsOfFile: packageRoot() + "/fixtures/alerts/smokeping-patterns.tsv", encoding: .utf8)
        var rows = 0
        var wrong: [String] = []
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(columns.count == 4, "a row has 4 columns: \(line)")
            let kind = try #require(AlertKind(rawValue: columns[0]))
            let pattern = try AlertPattern(columns[1], kind: kind)
            let expected = columns[3] == "1"
            if pattern.matches(Self.history(columns[2])) != expected { wrong.append("\(columns[1]) on [\(columns[2])]: SmokePing says \(expected)") }
            rows += 1
        }
        #expect(rows > 1000)
        #expect(wrong.isEmpty, "\(wrong.count) rows differ:\n\(wrong.prefix(20).joined(separator: "\n"))")
    }

    @Test func lengthsAreSmokePingsMinAndMaxLength() throws {
        let pattern = try Self.pattern(">0%,*12*,>0%,*12*,>0%")
        #expect(pattern.minLength == 3 && pattern.maxLength == 27)
        #expect(try Self.pattern("==S,==U", .rtt).maxLength == 2)
    }

    /// The quirks of the compiled loops, kept (a pattern that SmokePing would not raise must
    /// not raise here, nor the other way round).
    @Test(arguments: [
        // A wildcard's loop runs min(history − minlength, N) times: three losses with no
        // history before them cannot match `>0%,*12*,…` (0 iterations).
        (">0%,*12*,>0%,*12*,>0%", "5,5,5", false),
        (">0%,*12*,>0%,*12*,>0%", "S,5,5,5", true),
        (">0%,*12*,>0%,*12*,>0%", "5,0,5,0,5", true),
        // The newest round must match the last element.
        (">0%,*12*,>0%,*12*,>0%", "5,5,5,0", false),
        // *N* skips at most N − 1 rounds, and fewer than history − minlength.
        (">10%,*3*,>10%", "0,20,0,0,20", true),
        (">10%,*3*,>10%", "0,20,0,0,0,20", false),
        (">10%,*3*,>10%", "20,0,0,20", false),
        // The history must hold minlength rounds, even where an element is ==*.
        ("==*,>50%", "60", false),
        ("==*,>50%", "S,60", true),
        ("==0%,>0%", "5", false),
        // Loss with two bounds.
        (">45%<=55%", "55", true),
        (">45%<=55%", "45", false),
    ])
    func quirksOfTheCompiledPattern(pattern: String, history: String, matches: Bool) throws {
        #expect(try Self.pattern(pattern).matches(Self.history(history)) == matches)
    }

    @Test func rttIsComparedInSecondsAsSmokePingStoresIt() throws {
        let pattern = try Self.pattern("<100,>200", .rtt)
        #expect(pattern.matches([.number(0.05), .number(0.25)]))
        #expect(!pattern.matches([.number(0.05), .unknown]))
        #expect(try Self.pattern("==S,==U", .rtt).matches([.start, .unknown]))
    }

    @Test(arguments: [
        ("", "the pattern is empty"),
        (">5", "loss should be specified in %"),
        (">5%<7", "loss should be specified in %"),
        ("*0*,>0%", "multi-match operator * must be followed by Number*"),
        ("**,>0%", "multi-match operator * must be followed by Number*"),
        ("<U", "invalid operator < in connection U"),
        ("!=S", "S is only valid with == operator"),
        (">*", "operator > makes no sense with *"),
        ("=5%", "pattern entry '=5%' is invalid"),
        (">5%,,>5%", "pattern entry '' is invalid"),
        (" >5%", "pattern entry ' >5%' is invalid"),
    ])
    func invalidPatternsFailAsSmokePingDies(text: String, message: String) {
        #expect {
            try AlertPattern(text, kind: .loss)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func spacesAroundCommasAndATrailingCommaAreAccepted() throws {
        let pattern = try Self.pattern(">0% , >0%,")
        #expect(pattern.minLength == 2)
        #expect(pattern.matches([.number(1), .number(2)]))
    }
}
