import Alerting
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `type: exec`: runs `command` without a shell (`posix_spawn`, placeholders such as `{target}`
/// substituted in the arguments), the notification's JSON on its stdin. Exit status 0 is
/// delivered; anything else, or running past `timeout` (then SIGKILL), is retried. Each run
/// waits on a thread of its own, never on the cooperative pool.
struct ExecNotifier: AlertNotifier {
    let name: String
    let command: [String]
    let timeout: Duration

    func deliver(_ notification: AlertNotification) async throws(NotificationFailure) {
        let arguments = command.map { CommandTemplate.substitute($0, with: notification) }
        let input = [UInt8](notification.jsonBody)
        let limit = timeout
        let outcome: String? = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Self.run(arguments, input: input, timeout: limit)) }.start()
        }
        if let outcome { throw NotificationFailure(message: "\(command[0]): \(outcome)", retryable: true) }
    }

    /// Runs the command to its end; nil when it exited 0, else what went wrong.
    static func run(_ arguments: [String], input: [UInt8], timeout: Duration) -> String? {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return "pipe: \(String(cString: strerror(errno)))" }
        // Only the child's stdin (a dup2, which clears the flag) survives exec.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = CleanSpawn.spawn(&pid, arguments[0], &actions, argv)
        close(pipeEnds[0])
        guard spawned == 0 else {
            close(pipeEnds[1])
            return String(cString: strerror(spawned))
        }
        // The JSON is small (well under a pipe's buffer); a command that ignores stdin is fine.
        var signalMask = sigset_t()
        sigemptyset(&signalMask)
        sigaddset(&signalMask, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signalMask, nil)
        _ = input.withUnsafeBytes { write(pipeEnds[1], $0.baseAddress, $0.count) }
        close(pipeEnds[1])
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { return "waitpid: \(String(cString: strerror(errno)))" }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return "ran longer than its timeout (killed)"
            }
            usleep(5000)
        }
        if status & 0x7f != 0 { return "killed by signal \(status & 0x7f)" }
        let code = (status >> 8) & 0xff
        return code == 0 ? nil : "exit status \(code)"
    }
}
