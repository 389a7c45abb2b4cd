public import Foundation

/// Where a pipeline keeps its state when its file names no `state_dir`, as services of this
/// kind do: `$STATE_DIRECTORY/<pipeline>` when set (systemd's `StateDirectory=` sets it), else
/// `/var/lib/smokeflow/<pipeline>` as root, else `$XDG_STATE_HOME/smokeflow/<pipeline>`
/// (`~/.local/state/smokeflow/<pipeline>` when XDG_STATE_HOME is unset). `<pipeline>` is the
/// file's name without its extension, so two pipelines never share positions.
public enum StateLocation {
    public static func defaultDirectory(
        forPipeline file: String, environment: [String: String] = ProcessInfo.processInfo.environment, isRoot: Bool = getuid() == 0
    ) -> String {
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        if let state = environment["STATE_DIRECTORY"], state.hasPrefix("/") {
            // systemd may list several, separated by colons: the first is this service's.
            return String(state.split(separator: ":")[0]) + "/" + name
        }
        if isRoot { return "/var/lib/smokeflow/" + name }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/smokeflow/" + name }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/smokeflow/" + name
    }
}
