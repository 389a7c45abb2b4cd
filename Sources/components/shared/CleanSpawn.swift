#if canImport(Glibc)
public import Glibc
#endif

/// `posix_spawn` for a child that starts with no signal blocked and every signal at its default
/// disposition, whatever this process set (the test runner's threads and ServiceLifecycle's
/// signal handling block some, and a blocked mask survives exec): the alert transform's exec
/// notifier, the tests' lab scripts.
public enum CleanSpawn {
    /// `posix_spawn(&pid, path, &actions, attributes, argv, environ)` with such attributes;
    /// returns its result (0 or an errno).
    public static func spawn(
        _ pid: inout pid_t, _ path: String, _ actions: inout posix_spawn_file_actions_t, _ argv: [UnsafeMutablePointer<CChar>?]
    ) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    }
}
