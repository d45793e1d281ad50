// File descriptors as devc_bridge.h defines them. Caller fds are duplicated
// (close-on-exec) on entry and never touched otherwise. Apple's client closes
// every fd it is handed (XPCMessage.set closes it after xpc_fd_create), so it
// only ever gets our duplicates, wrapped in FileHandles that do not close on
// dealloc (no double close). Our own writes happen on threads that block
// SIGPIPE, so a reader that went away is an error, never a signal.

import Darwin
import Foundation

/// Our close-on-exec duplicate of a caller's fd (nil for -1).
func duplicate(_ fd: Int32, _ what: String) throws -> Int32? {
    if fd == -1 {
        return nil
    }
    guard fd >= 0 else {
        throw BridgeError(.invalidArgument, "\(what) \(fd) is not a file descriptor (use -1 for none)")
    }
    let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
    guard copy >= 0 else {
        throw BridgeError(.invalidArgument, "\(what) \(fd) is not an open file descriptor (\(String(cString: strerror(errno))))")
    }
    return copy
}

/// A FileHandle for a duplicate Apple's client will close.
func handedOver(_ fd: Int32?) -> FileHandle? {
    fd.map { FileHandle(fileDescriptor: $0, closeOnDealloc: false) }
}

/// Blocks SIGPIPE in the calling thread.
func blockSigpipe() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &set, nil)
}

/// Writes all of `data` to `fd`; false when the reader went away.
func writeAll(_ fd: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
        guard var base = raw.baseAddress else { return true }
        var left = raw.count
        while left > 0 {
            let n = Darwin.write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            left -= n
            base = base.advanced(by: n)
        }
        return true
    }
}

/// Progress lines to a caller's fd, from a thread of their own (the
/// operation never blocks on a slow reader). `finish()` writes what is
/// queued while the reader takes it, then closes our duplicate.
final class LineWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [String] = []
    private var finished = false
    private let done = DispatchSemaphore(value: 0)
    private let fd: Int32?

    init(fd: Int32?) {
        self.fd = fd
        guard let fd else { return }
        let thread = Thread { [self] in
            blockSigpipe()
            var open = true
            while true {
                condition.lock()
                while queue.isEmpty && !finished {
                    condition.wait()
                }
                let batch = queue
                queue = []
                let last = finished
                condition.unlock()
                for line in batch where open {
                    // After the operation ended, give a stalled reader 100 ms.
                    if last {
                        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        if poll(&p, 1, 100) <= 0 { open = false; break }
                    }
                    open = writeAll(fd, Data((line + "\n").utf8))
                }
                if last { break }
            }
            close(fd)
            done.signal()
        }
        thread.name = "devc-bridge-progress"
        thread.start()
    }

    func line(_ text: String) {
        guard fd != nil else { return }
        condition.lock()
        queue.append(text)
        condition.signal()
        condition.unlock()
    }

    /// After the operation: flush and close (the header: before the call returns).
    func finish() {
        guard fd != nil else { return }
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
        done.wait()
    }
}

/// A close-on-exec pipe: (read end, write end).
func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
        throw BridgeError(.internalError, "pipe: \(String(cString: strerror(errno)))")
    }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    return (fds[0], fds[1])
}

/// Runs `body` on a thread of its own with SIGPIPE blocked.
func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
        blockSigpipe()
        body()
    }
    thread.name = name
    thread.start()
}
