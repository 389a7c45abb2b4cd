#if canImport(Glibc)
public import Glibc
#endif

/// Durable writes, written once: what the acknowledgement contract rests on. A file is
/// replaced as a temporary file, fsync, rename over the old one, then an fsync of its
/// directory, so a crash leaves either the old content or the new, never half of either.
/// These calls block: run them on `NIOThreadPool` (the runtime's `async` forms do). In the
/// event model's module so the engines (the disk buffer) write files the same way.
public enum DurableFile {
    /// Replaces `path` with `bytes`, creating missing parent directories.
    public static func replace(_ path: String, with bytes: some Collection<UInt8>, mode: mode_t = 0o644) throws(IOError) {
        try makeDirectories(parent(of: path))
        // A temporary name of its own (mkstemp: O_EXCL), so two writers of one file (a `record`
        // next to the live pipeline) never write into each other's temporary file.
        var template = Array((path + ".tmp.XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard descriptor >= 0 else { throw IOError(errno, "open", path: temporary) }
        var failure: IOError?
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        if fchmod(descriptor, mode) != 0 { failure = IOError(errno, "fchmod", path: temporary) }
        let contiguous = Array(bytes)
        if failure == nil { contiguous.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = IOError(errno, "write", path: temporary)
                    return
                }
                offset += written
            }
        } }
        if failure == nil, fsync(descriptor) != 0 { failure = IOError(errno, "fsync", path: temporary) }
        if close(descriptor) != 0, failure == nil { failure = IOError(errno, "close", path: temporary) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let error = IOError(errno, "rename", path: path)
            unlink(temporary)
            throw error
        }
        try syncDirectory(of: path)
    }

    /// fsyncs a file written by someone else (librrd), so what it wrote survives a crash.
    public static func sync(_ path: String) throws(IOError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw IOError(errno, "open", path: path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw IOError(errno, "fsync", path: path) }
    }

    /// fsyncs the directory holding `path`, so a rename or a new file in it is durable.
    public static func syncDirectory(of path: String) throws(IOError) {
        let directory = parent(of: path)
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw IOError(errno, "open", path: directory) }
        defer { close(descriptor) }
        // Some filesystems cannot sync a directory; that is not a failed write.
        if fsync(descriptor) != 0 && errno != EINVAL && errno != EROFS { throw IOError(errno, "fsync", path: directory) }
    }

    /// `mkdir -p`; the directories it created, outermost first (whose entries a caller that
    /// needs them durable syncs with `syncDirectory(of:)`).
    @discardableResult
    public static func makeDirectories(_ path: String) throws(IOError) -> [String] {
        guard !path.isEmpty, path != "/" else { return [] }
        var info = stat()
        if stat(path, &info) == 0 { return [] }
        var created = try makeDirectories(parent(of: path))
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw IOError(errno, "mkdir", path: path) }
        created.append(path)
        return created
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
