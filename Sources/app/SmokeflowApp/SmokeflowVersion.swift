/// The version `smokeflow --version` prints and `smokeflow_build_info` labels.
public enum SmokeflowVersion {
    public static let current = "0.2.0"
}
