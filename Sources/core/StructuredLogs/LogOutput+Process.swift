import Foundation
public import Logging
import Synchronization

extension LogOutput {
    /// The output `bootstrap` installed, for the exit handler.
    static let installed = Mutex<LogOutput?>(nil)

    /// Makes every `Logger` of the process write through one output (swift-log allows this
    /// once): summaries of repeated lines are written within a second of their minute's end,
    /// and the pending ones at exit.
    @discardableResult
    public static func bootstrap(format: LogFormat, level: Logger.Level) -> LogOutput {
        let output = LogOutput(format: format)
        LoggingSystem.bootstrap { label in output.handler(label: label, level: level) }
        installed.withLock { $0 = output }
        atexit { LogOutput.installed.withLock { $0 }?.flush() }
        // A thread of its own: the sweep writes (a blocking call), never on the cooperative pool.
        Thread.detachNewThread {
            while true {
                sleep(1)
                output.sweep()
            }
        }
        return output
    }
}
