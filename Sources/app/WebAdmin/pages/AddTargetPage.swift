import ConfigManager
import Hummingbird
import TargetStore

extension WebAdmin.Routes {
    /// Add a target: ICMP (the probe follows the address family unless one is chosen) or DNS
    /// (a resolver, a name to look up). The host is checked before anything is saved, and the
    /// "Check host" button shows the answer without saving.
    func addTarget(_ request: Request, _ context: WebContext) async throws -> Response {
        let form = try await WebPage.form(request, context)
        let isDNS = form["kind"] == "dns"
        var values = Self.values(form)
        let host = (form["host"] ?? "").trimmingCharacters(in: .whitespaces)
        var errors: [String] = []
        let catalog = try await gateway.catalog()
        let snapshotNames = Set(try await gateway.snapshot().snapshot.targets.map(\.record.name))
        guard !host.isEmpty else {
            return try await targetForm(context, heading: "Add a target", action: "/targets/new", values: values, isNew: true, errors: ["host: give an IP address or a host name"], status: .unprocessableContent)
        }
        let check = await HostCheck.check(host)
        let answer: String
        switch check {
        case .literal(let address): answer = "\(address.text) is an IPv\(address.family == .v6 ? 6 : 4) address"
        case .resolved(let addresses): answer = "\(host) resolves to " + addresses.map(\.text).joined(separator: ", ")
        case .unresolvable(let reason): answer = reason
        }
        if !check.isValid { errors.append("host: \(answer)") }
        var name = form["name"] ?? ""
        if name.isEmpty {
            name = TargetNaming.unique(TargetNaming.name(for: isDNS ? (form["lookup"] ?? host) : host), taken: snapshotNames)
            values["name"] = name
        }
        var probe = form["probe"] ?? ""
        if probe.isEmpty {
            if isDNS {
                probe = catalog.probes.first { $0.record.moduleName.hasPrefix("DNS") }?.record.name ?? ""
                if probe.isEmpty { errors.append("probe: no DNS probe exists; add one on the Probes page") }
            } else if let chosen = ProbeChoice.icmpProbe(for: check, probes: catalog.probes.map(\.record)) {
                probe = chosen
            } else {
                errors.append("probe: no FPing or FPing6 probe exists; add one on the Probes page")
            }
            values["probe"] = probe
        }
        if isDNS, (form["lookup"] ?? "").isEmpty { errors.append("lookup: a DNS target needs the name to look up") }
        if form["step"] != "save" || !errors.isEmpty {
            return try await targetForm(
                context, heading: "Add a target", action: "/targets/new", values: values, isNew: true, errors: errors, hostAnswer: answer,
                status: errors.isEmpty ? .ok : .unprocessableContent)
        }
        var fields = Self.fields(form)
        fields.name = name
        fields.host = host
        fields.probe = .some(probe)
        if (form["title"] ?? "").isEmpty { fields.title = name }
        fields.isActive = form["active"] == "1"
        if !isDNS { fields.lookup = .some(nil); fields.record = .some(nil) }
        do {
            let results = try await gateway.apply([.createTarget(fields)])
            if case .target(let created)? = results.first { return WebPage.redirect(to: "/targets/\(created.id)") }
            return WebPage.redirect(to: "/targets")
        } catch let rejection as StoreRejection {
            return try await targetForm(context, heading: "Add a target", action: "/targets/new", values: values, isNew: true, errors: Self.messages(rejection), hostAnswer: answer, status: .unprocessableContent)
        }
    }

    func targetDetail(_ request: Request, _ context: WebContext) async throws -> Response {
        let target = try await target(context)
        var values = Self.values(target.record)
        values["id"] = target.id
        if target.record.title.isEmpty { values["title"] = target.record.name }
        var windows = GraphWindow.Preset.allCases.map { (GraphWindow.preset($0), $0.label, $0.rawValue) }
        let parameters = request.uri.queryParameters
        if let from = parameters["from"].flatMap({ GraphTime.parseLocal(String($0)) }), let to = parameters["to"].flatMap({ GraphTime.parseLocal(String($0)) }), from < to {
            windows.insert((.custom(start: from, end: to), "Custom range", "\(from)-\(to)"), at: 0)
            values["from"] = String(parameters["from"]!)
            values["to"] = String(parameters["to"]!)
        }
        var graphList: [[String: Any]] = []
        for (window, label, range) in windows {
            let stats = (try? await graphs(for: window, target)) ?? "no data"
            graphList.append(["id": target.id, "name": target.record.name, "label": label, "range": range, "stats": stats])
        }
        values["graphs"] = graphList
        return pages.render("target_detail", title: target.record.name, context: context, values)
    }

    private func graphs(for window: GraphWindow, _ target: StoredTarget) async throws -> String {
        guard let graphs else { return "graphs are off (no RRD directory or InfluxDB configured)" }
        return try await graphs.summary(for: target, window: window)
    }
}
