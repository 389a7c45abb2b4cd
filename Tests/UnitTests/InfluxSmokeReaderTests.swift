import Foundation
import SmokeGraph
@testable import WebAdmin
import Testing

/// InfluxDB `/query` answers into `SmokeRounds`, and the query the reader sends.
struct InfluxSmokeReaderTests {
    @Test func mapsLatencyPointsToRounds() throws {
        let answer = """
            {"results":[{"statement_id":0,"series":[{"name":"latency","columns":["time","loss","lost","median","ping_1","ping_2","ping_3","ping_4","pings","target"],
            "values":[[1764000300,0,0,12.5,10,12,12.5,14,4,"r1"],[1764000600,50,2,20,null,20,21,null,4,"r1"],[1764000900,100,4,null,null,null,null,null,4,"r1"]]}]}]}
            """
        let rounds = try InfluxSmokeReader.rounds(fromQueryAnswer: Data(answer.utf8), start: 1_764_000_000, end: 1_764_000_900, step: 300)
        #expect(rounds.pings == 4 && rounds.rounds.count == 3)
        #expect(rounds.rounds[0].times == [10, 12, 12.5, 14] && rounds.rounds[0].median == 12.5 && rounds.rounds[0].loss == 0)
        #expect(rounds.rounds[1].times == [20, 21] && rounds.rounds[1].loss == 2)
        #expect(rounds.rounds[2].median == nil && rounds.rounds[2].loss == 4)
    }

    @Test func longRangesReadRollups() {
        #expect(InfluxSmokeReader.source(start: 0, end: 30 * 3600, rawStep: 300).measurement == "latency" && InfluxSmokeReader.source(start: 0, end: 30 * 3600, rawStep: 300).step == 300)
        #expect(InfluxSmokeReader.source(start: 0, end: 10 * 86_400, rawStep: 300).measurement == "latency_1h" && InfluxSmokeReader.source(start: 0, end: 10 * 86_400, rawStep: 300).step == 3600)
        #expect(InfluxSmokeReader.source(start: 0, end: 360 * 86_400, rawStep: 300).measurement == "latency_1d" && InfluxSmokeReader.source(start: 0, end: 360 * 86_400, rawStep: 300).step == 86_400)
    }

    @Test func targetNamesAreQuotedInTheQuery() {
        let query = InfluxSmokeReader.query(measurement: "latency", target: "a' OR '1'='1", start: 1, end: 2)
        #expect(query == #"SELECT * FROM "latency" WHERE "target" = 'a\' OR \'1\'=\'1' AND time >= 1s AND time <= 2s"#)
        #expect(InfluxSmokeReader.formEncode("a b&c=d") == "a+b%26c%3Dd")
    }
}
