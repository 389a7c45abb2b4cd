public import PipelineConfig

/// The options of every InfluxDB component, read one way: `url` (http or https, default
/// `http://127.0.0.1:8086`), `username`, `password`, `token`. An empty value counts as unset, so
/// `${INFLUX_PASSWORD:-}` can leave authentication off.
public struct InfluxServerOptions: Sendable {
    public var url: String
    public var username: String?
    public var password: Secret?
    public var token: Secret?

    public init(url: String = "http://127.0.0.1:8086", username: String? = nil, password: Secret? = nil, token: Secret? = nil) {
        self.url = url
        self.username = username
        self.password = password
        self.token = token
    }

    public init(options: inout OptionsReader) {
        self.init()
        url = options.string("url") ?? url
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")), let node = options.node("url") {
            options.fail(node.location, "option 'url' must start with http:// or https://")
        }
        username = options.string("username").flatMap { $0.isEmpty ? nil : $0 }
        password = options.secret("password").flatMap { $0.value.isEmpty ? nil : $0 }
        token = options.secret("token").flatMap { $0.value.isEmpty ? nil : $0 }
    }

    /// A user without a password, or a password without a user, is a mistake.
    func checkUserAndPassword(_ options: inout OptionsReader) {
        if (username == nil) != (password == nil) {
            options.fail(options.location, "'\(options.componentID)' needs both 'username' and 'password', or neither")
        }
    }

    func server() throws(InfluxServer.InvalidURL) -> InfluxServer {
        try InfluxServer(url: url, username: username, password: password, token: token)
    }
}
