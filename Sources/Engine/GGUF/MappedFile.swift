#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory.
///
/// Model weights are read in place: a 490 MB GGUF costs no copy and no resident memory until its pages are
/// touched, and the kernel shares the pages between processes. The mapping lives as long as this object, so
/// every pointer handed out by `GGUFFile` is valid while the `GGUFFile` is.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The mapped bytes; empty (with no mapping behind it) for an empty file.
    public let bytes: UnsafeRawBufferPointer

    /// Maps `path`; a file that cannot be opened, stat-ed or mapped gives `GGUFError.Problem.cannotOpen`.
    public init(path: String) throws(GGUFError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GGUFError(file: path, .cannotOpen(reason: Self.lastError())) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GGUFError(file: path, .cannotOpen(reason: Self.lastError())) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(file: path, .cannotOpen(reason: "not a regular file"))
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw GGUFError(file: path, .cannotOpen(reason: "mmap failed: " + Self.lastError()))
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
