@testable import SmokeflowApp
import Testing
import WebAdmin

/// Which credentials `serve --influx-url` reads the graphs with.
@Suite struct ServeGraphCredentialsTests {
    @Test func aUserInTheURLWinsThenTheEnvFilesUserAndPasswordElseNone() {
        func credentials(_ url: String, _ variables: [String: String] = [:]) -> String {
            switch ServeSetup.influxCredentials(url: url, variables: variables) {
            case .none: return "none"
            case .basic(let user, let password): return "basic \(user) \(password)"
            case .token(let token): return "token \(token)"
            }
        }
        let both = ["INFLUX_USERNAME": "smokeflow", "INFLUX_PASSWORD": "p"]
        #expect(credentials("http://u:p%40ss@influxdb:8086", both) == "basic u p@ss")
        #expect(credentials("http://influxdb:8086", both) == "basic smokeflow p")
        #expect(credentials("http://influxdb:8086", ["INFLUX_PASSWORD": "p", "INFLUX_TOKEN": "t"]) == "none")
        #expect(credentials("http://influxdb:8086", ["INFLUX_USERNAME": "", "INFLUX_PASSWORD": "p"]) == "none")
        #expect(ServeSetup.withoutCredentials("http://u:p@influxdb:8086/x") == "http://influxdb:8086/x")
    }
}
