public import PipelineRuntime

extension DownsampleConfiguration: WindowTransformConfiguration {
    /// A job's window is complete when its input ends: emit the open windows then.
    public static var endOfInputOptions: [WindowOption] { [WindowOption("flush_at_end", "true", isQuoted: false)] }
}
