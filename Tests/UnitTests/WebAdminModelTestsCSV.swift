import ConfigManager
import TargetStore
import Testing
@testable import WebAdmin

/// The targets page's CSV export and import: RFC 4180 both ways, formulas kept from running,
/// every row's problems reported, creates and updates applied all or nothing.
@Suite struct WebAdminModelTestsCSV {
    static let catalog = StoreSnapshot(
        categories: [StoredCategory(id: 1, record: CategoryRecord(name: "custom")), StoredCategory(id: 2, record: CategoryRecord(name: "dns_resolvers"))],
        probes: [
            StoredProbe(id: 1, record: ProbeRecord(name: "FPing", isDefault: true)), StoredProbe(id: 2, record: ProbeRecord(name: "FPing6")),
            StoredProbe(id: 3, record: ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig")),
        ]
    )

    static func stored(_ id: Int, _ record: TargetRecord) -> StoredTarget {
        StoredTarget(id: id, record: record, createdAt: "2026-12-02T00:00:00.000000Z", updatedAt: "2026-12-02T00:00:00.000000Z")
    }

    static let existing = [
        stored(1, TargetRecord(name: "google", host: "google.com", title: "Google, \"the\" search", category: "custom", probe: "FPing")),
        stored(2, TargetRecord(name: "quad9", host: "9.9.9.9", title: "=HYPERLINK(\"http://evil\")", isActive: false, category: "dns_resolvers",
                               probe: "DNS", site: "-site", cachegroup: "@cg", lookup: "example.com", record: "AAAA", alerts: "someloss,bigrtt")),
        stored(3, TargetRecord(name: "multi", host: "2001:db8::1", title: "two\nlines?", category: nil, probe: nil)),
    ]

    @Test func exportQuotesAndGuardsFormulas() {
        let text = TargetCSV.export(Self.existing)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "name,host,title,category,probe,active,site,cachegroup,lookup,record,alerts")
        #expect(lines[1] == "google,google.com,\"Google, \"\"the\"\" search\",custom,FPing,true,,,,,")
        #expect(lines[2] == "quad9,9.9.9.9,\"'=HYPERLINK(\"\"http://evil\"\")\",dns_resolvers,DNS,false,'-site,'@cg,example.com,AAAA,\"someloss,bigrtt\"")
        #expect(text.hasSuffix("\r\n"))
    }

    @Test func formulaGuardIsItsOwnInverse() {
        for cell in ["=1+1", "+x", "-x", "@x", "'=x", "''-x", "'plain", "plain", "", "'", "a=b"] {
            #expect(FormulaGuard.unguarded(FormulaGuard.guarded(cell)) == cell, "\(cell)")
        }
        #expect(FormulaGuard.guarded("=1") == "'=1" && FormulaGuard.guarded("'plain") == "'plain" && FormulaGuard.guarded("a=b") == "a=b")
    }

    @Test func anExportImportsBackAsUpdatesThatChangeNothing() throws {
        // The title with a newline cannot be stored; the other two round-trip exactly.
        let targets = Array(Self.existing.prefix(2))
        let plan = try TargetCSV.plan(TargetCSV.export(targets), existing: targets, catalog: Self.catalog)
        #expect(plan.created == 0 && plan.updated == 2 && plan.lines == [2, 3])
        for (operation, target) in zip(plan.operations, targets) {
            guard case .updateTarget(let id, let fields) = operation else {
                Issue.record("not an update: \(operation)")
                continue
            }
            #expect(id == target.id && fields.applied(to: target.record) == target.record)
        }
    }

    @Test func newRowsAreCreatedWithDefaults() throws {
        let text = "\u{FEFF}name,host,title\r\nnew_one,192.0.2.7,\r\n\r\n\"quoted\",\"host.example\",\"Line, with comma\"\r\n"
        let plan = try TargetCSV.plan(text, existing: Self.existing, catalog: Self.catalog)
        #expect(plan.created == 2 && plan.updated == 0 && plan.lines == [2, 4])
        guard case .createTarget(let first) = plan.operations[0], case .createTarget(let second) = plan.operations[1] else {
            Issue.record("not creates: \(plan.operations)")
            return
        }
        // No title: the name, as the add form does; no probe column: the store's default applies.
        #expect(first.newRecord == TargetRecord(name: "new_one", host: "192.0.2.7", title: "new_one"))
        #expect(second.newRecord.title == "Line, with comma" && second.probe == nil)
    }

    @Test func aColumnLeftOutKeepsTheValueAndAnEmptyCellClearsIt() throws {
        let plan = try TargetCSV.plan("name,host,site\ngoogle,www.google.com,\n", existing: Self.existing, catalog: Self.catalog)
        guard case .updateTarget(1, let fields) = plan.operations.first else {
            Issue.record("\(plan.operations)")
            return
        }
        let updated = fields.applied(to: Self.existing[0].record)
        #expect(updated.host == "www.google.com" && updated.title == Self.existing[0].record.title && updated.category == "custom" && updated.site == nil)
    }

    @Test func everyRowsProblemsAreReportedWithTheirLines() {
        let text = """
            name,host,category,probe,active,lookup,record
            ok_one,192.0.2.1,custom,FPing,true,,
            bad name,192.0.2.2,nowhere,FPing,maybe,,
            "multi
            line",not..a host,custom,Nope,true,,
            ok_one,192.0.2.3,custom,FPing,true,,
            dns_one,192.0.2.4,dns_resolvers,DNS,true,,
            short,row
            dns_two,192.0.2.5,dns_resolvers,DNS,true,example.com,MXX

            """
        do {
            _ = try TargetCSV.plan(text, existing: Self.existing, catalog: Self.catalog)
            Issue.record("accepted")
        } catch {
            let shown = error.problems.map(\.description)
            #expect(shown.contains("line 3: active: active must be true or false, not 'maybe'"))
            #expect(shown.contains { $0.hasPrefix("line 3: name: ") })
            #expect(shown.contains("line 3: category: unknown category 'nowhere'"))
            // A record spanning lines is reported on the line it starts.
            #expect(shown.contains { $0.hasPrefix("line 4: name: ") })
            #expect(shown.contains("line 4: host: host must be an IP address or a valid host name"))
            #expect(shown.contains("line 4: probe: unknown probe 'Nope'"))
            #expect(shown.contains("line 6: name: 'ok_one' is also on line 2; a name may appear once"))
            #expect(shown.contains { $0.hasPrefix("line 7: lookup: ") })
            #expect(shown.contains("line 8: row has 2 fields, the header has 7"))
            #expect(shown.contains { $0.hasPrefix("line 9: record: ") })
            #expect(error.problems.map(\.line) == error.problems.map(\.line).sorted())
            #expect(!shown.contains { $0.hasPrefix("line 2:") })
        }
    }

    @Test func alertsAreReadAsSmokePingWritesThemAndBadNamesAreLineProblems() throws {
        let plan = try TargetCSV.plan("name,host,alerts\nwatched,192.0.2.9,\"someloss , bigrtt\"\nquiet,192.0.2.10,\n", existing: [], catalog: Self.catalog)
        guard plan.operations.count == 2, case .createTarget(let watched) = plan.operations[0], case .createTarget(let quiet) = plan.operations[1] else {
            Issue.record("\(plan.operations)")
            return
        }
        #expect(watched.alerts == .some("someloss,bigrtt"))
        #expect(quiet.alerts == .some(nil))
        do {
            _ = try TargetCSV.plan("name,host,alerts\nwatched,192.0.2.9,\"a,,b\"\n", existing: [], catalog: Self.catalog)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["line 2: alerts: alerts has an empty name (a comma too many)"])
        }
    }

    @Test func theHeaderIsRequiredAndChecked() {
        func problems(_ text: String) -> [String] {
            do {
                _ = try TargetCSV.plan(text, existing: [], catalog: Self.catalog)
                return []
            } catch {
                return error.problems.map(\.description)
            }
        }
        #expect(problems("") == ["line 1: empty file: expected a header row (name,host,title,category,probe,active,site,cachegroup,lookup,record,alerts)"])
        #expect(problems("name,host,colour\na,192.0.2.1,red\n").contains { $0.hasPrefix("line 1: colour: unknown column 'colour'") })
        // A file without a header: its first row is read as one, and names what is missing.
        #expect(problems("web1,192.0.2.1\n").contains("line 1: name: the header has no 'name' column (a header row is required)"))
        #expect(problems("name,host,name\n").contains("line 1: name: column 'name' is named twice"))
        #expect(problems("name,host\n\"open,192.0.2.1\n").contains("line 2: a quoted field is never closed"))
    }

    @Test func aStoreRefusalMapsBackToLines() throws {
        let plan = try TargetCSV.plan("name,host\na,192.0.2.1\nb,192.0.2.2\n", existing: [], catalog: Self.catalog)
        let rejection = StoreRejection(index: 1, .conflict, field: "name", "a target named 'b' exists")
        #expect(plan.problems(from: rejection).map(\.description) == ["line 3: name: a target named 'b' exists"])
    }
}
