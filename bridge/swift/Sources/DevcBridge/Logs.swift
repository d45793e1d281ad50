// Logs: the container's stdio.log (the init process's stdout and stderr,
// interleaved, since the last start), as an fd the caller owns. Without
// follow it is the log file itself (EOF at its current end); with follow a
// thread copies the file into a pipe, waiting at EOF for more, until the
// container stops or the caller closes its end.

import ContainerAPIClient
import ContainerResource
import Foundation

/// Whether `id` runs, from a plain thread (nil when that cannot be told).
func isRunning(_ id: String) -> Bool? {
    let box = AnswerBoxBool()
    Task.detached {
        let snapshot = try? await ContainerClient().get(id: id)
        box.set(snapshot.map { $0.status == .running })
    }
    return box.wait(seconds: 10)
}

final class AnswerBoxBool: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Bool?
    private let ready = DispatchSemaphore(value: 0)

    func set(_ v: Bool?) {
        lock.lock()
        value = v
        lock.unlock()
        ready.signal()
    }

    func wait(seconds: Double) -> Bool? {
        guard ready.wait(timeout: .now() + seconds) == .success else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

func follow(log: Int32, into out: Int32, container id: String) {
    startThread("devc-bridge-logs") {
        defer {
            close(log)
            close(out)
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var idle = 0
        var lastRound = false
        while true {
            let n = buffer.withUnsafeMutableBytes { read(log, $0.baseAddress, $0.count) }
            if n > 0 {
                idle = 0
                if !writeAll(out, Data(buffer[0..<n])) {
                    return  // The caller closed its end.
                }
                continue
            }
            if n < 0 && errno == EINTR {
                continue
            }
            if n < 0 || lastRound {
                return
            }
            // At the end of the file: wait for more while the container runs.
            idle += 1
            if idle % 4 == 0, isRunning(id) == false {
                lastRound = true  // One more read for what came in meanwhile.
                continue
            }
            usleep(250_000)
        }
    }
}

@_cdecl("devc_bridge_logs_open")
public func devc_bridge_logs_open(_ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> (String, Bool) in
        let r = try Request(request, "logs_open")
        let id = try r.requiredString("id")
        let follows = try r.bool("follow") ?? false
        try r.finish()
        return (id, follows)
    }) { args in
        let (id, follows) = args
        _ = try await getContainer(id)
        let handles: [FileHandle]
        do {
            handles = try await ContainerClient().logs(id: id)
        } catch {
            throw classify(error)
        }
        // [0] is stdio.log, [1] the boot log: both are ours to close.
        for extra in handles.dropFirst() {
            close(extra.fileDescriptor)
        }
        guard let log = handles.first?.fileDescriptor else {
            throw BridgeError(.internalError, "the daemon returned no log file for \(id)")
        }
        _ = fcntl(log, F_SETFD, FD_CLOEXEC)
        if !follows {
            return .obj([("fd", .int(Int64(log)))])
        }
        let (readEnd, writeEnd) = try closeOnExecPipe()
        follow(log: log, into: writeEnd, container: id)
        return .obj([("fd", .int(Int64(readEnd)))])
    }
}
