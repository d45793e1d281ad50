// Exec: processes started in a running container from the init process's
// configuration (as `container exec`), with the caller's fds duplicated and
// handed to Apple's client (which closes what it is given), kept in a handle
// table for wait / signal / resize / release.

import ContainerAPIClient
import ContainerResource
import ContainerizationOS
import Foundation

final class ExecEntry: @unchecked Sendable {
    let process: ClientProcess
    let tty: Bool
    private let lock = NSLock()
    private var code: Int32?

    init(process: ClientProcess, tty: Bool) {
        self.process = process
        self.tty = tty
    }

    var exitCode: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return code
    }

    func exited(_ value: Int32) {
        lock.lock()
        code = value
        lock.unlock()
    }
}

final class ExecTable: @unchecked Sendable {
    static let shared = ExecTable()
    private let lock = NSLock()
    private var entries: [UInt64: ExecEntry] = [:]
    private var next: UInt64 = 0

    func add(_ entry: ExecEntry) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        entries[next] = entry
        return next
    }

    func get(_ handle: UInt64) throws -> ExecEntry {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[handle] else {
            throw BridgeError(.notFound, "no exec with handle \(handle)")
        }
        return entry
    }

    func remove(_ handle: UInt64) {
        lock.lock()
        entries[handle] = nil
        lock.unlock()
    }
}

/// Our duplicates of the caller's fds until Apple's client takes them.
final class ExecFds: @unchecked Sendable {
    let stdin: Int32?
    let stdout: Int32?
    let stderr: Int32?
    private let lock = NSLock()
    private var handed = false

    init(stdin: Int32?, stdout: Int32?, stderr: Int32?) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// From here on the client owns (and closes) them.
    func handOver() -> [FileHandle?] {
        lock.lock()
        handed = true
        lock.unlock()
        return [handedOver(stdin), handedOver(stdout), handedOver(stderr)]
    }

    /// Closes them unless they were handed over.
    func closeUnlessHanded() {
        lock.lock()
        defer { lock.unlock() }
        guard !handed else { return }
        handed = true
        for fd in [stdin, stdout, stderr].compactMap({ $0 }) {
            close(fd)
        }
    }
}

struct ExecRequest: Sendable {
    let id: String
    let cmd: [String]
    let env: [String]
    let user: String?
    let workingDir: String?
    let tty: Bool

    init(_ r: Request) throws {
        id = try r.requiredString("id")
        cmd = try r.strings("cmd") ?? []
        guard !cmd.isEmpty, !cmd[0].isEmpty else {
            throw BridgeError(.invalidArgument, "\"cmd\" must name a program")
        }
        env = try r.strings("env") ?? []
        user = try r.string("user")
        workingDir = try r.string("workingDir")
        tty = try r.bool("tty") ?? false
        try r.finish()
    }
}

/// Exit codes as a shell reports them: 128+N for signal N.
func normalizedExitCode(_ code: Int32) -> Int64 {
    code < 0 ? 128 + Int64(-code) : Int64(code)
}

@_cdecl("devc_bridge_exec_start")
public func devc_bridge_exec_start(
    _ request: UnsafePointer<CChar>?, _ stdinFd: Int32, _ stdoutFd: Int32, _ stderrFd: Int32,
    _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    if CancelToken.from(cancel)?.isFired == true {
        return cString(errorEnvelope(BridgeError(.cancelled, "the call was cancelled before it started")))
    }
    // Duplicate first: whatever happens next, the caller's fds are left alone.
    var copies: [Int32?] = []
    let parsed: ExecRequest
    do {
        copies.append(try duplicate(stdinFd, "stdin_fd"))
        copies.append(try duplicate(stdoutFd, "stdout_fd"))
        copies.append(try duplicate(stderrFd, "stderr_fd"))
        parsed = try ExecRequest(Request(request, "exec_start"))
        if parsed.tty && copies[2] != nil {
            throw BridgeError(.invalidArgument, "with \"tty\" the terminal's output goes to stdout_fd; stderr_fd must be -1")
        }
    } catch {
        copies.compactMap { $0 }.forEach { close($0) }
        return cString(errorEnvelope(classify(error)))
    }
    let fds = ExecFds(stdin: copies[0], stdout: copies[1], stderr: copies[2])
    return runSync(timeoutMs, cancel) {
        do {
            let snapshot = try await getContainer(parsed.id)
            guard snapshot.status == .running else {
                throw BridgeError(.invalidArgument, "container \(parsed.id) is not running")
            }
            var config = snapshot.configuration.initProcess
            config.executable = parsed.cmd[0]
            config.arguments = Array(parsed.cmd.dropFirst())
            config.environment = mergeEnv(config.environment, parsed.env)
            if let user = parsed.user {
                config.user = parseUser(user)
            }
            if let dir = parsed.workingDir {
                config.workingDirectory = dir
            }
            config.terminal = parsed.tty
            let processId = "devc-exec-" + UUID().uuidString.lowercased()
            let process = try await ContainerClient().createProcess(
                containerId: parsed.id,
                processId: processId,
                configuration: config,
                stdio: fds.handOver()
            )
            try await process.start()
            let handle = ExecTable.shared.add(ExecEntry(process: process, tty: parsed.tty))
            return .obj([("handle", .int(Int64(bitPattern: handle)))])
        } catch {
            fds.closeUnlessHanded()
            throw classify(error)
        }
    }
}

@_cdecl("devc_bridge_exec_wait")
public func devc_bridge_exec_wait(_ handle: UInt64, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try ExecTable.shared.get(handle) }) { entry in
        if let code = entry.exitCode {
            return .obj([("exitCode", .int(normalizedExitCode(code)))])
        }
        let code = try await entry.process.wait()
        entry.exited(code)
        return .obj([("exitCode", .int(normalizedExitCode(code)))])
    }
}

@_cdecl("devc_bridge_exec_signal")
public func devc_bridge_exec_signal(
    _ handle: UInt64, _ signal: Int32, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> ExecEntry in
        guard (1...64).contains(signal) else {
            throw BridgeError(.invalidArgument, "\(signal) is not a signal number")
        }
        return try ExecTable.shared.get(handle)
    }) { entry in
        if entry.exitCode != nil {
            return nil  // Already ended.
        }
        do {
            try await entry.process.kill(signal)
        } catch {
            // It may have ended since: that is not an error.
            let text = describe(error).lowercased()
            if text.contains("not running") || text.contains("not found") || hasCode(error, .notFound) {
                return nil
            }
            throw classify(error)
        }
        return nil
    }
}

@_cdecl("devc_bridge_exec_resize")
public func devc_bridge_exec_resize(
    _ handle: UInt64, _ columns: UInt16, _ rows: UInt16, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> ExecEntry in
        let entry = try ExecTable.shared.get(handle)
        guard entry.tty else {
            throw BridgeError(.unsupported, "resizing the terminal of an exec started without \"tty\"")
        }
        guard columns > 0, rows > 0 else {
            throw BridgeError(.invalidArgument, "a terminal of \(columns)x\(rows)")
        }
        return entry
    }) { entry in
        try await entry.process.resize(Terminal.Size(width: columns, height: rows))
        return nil
    }
}

@_cdecl("devc_bridge_exec_release")
public func devc_bridge_exec_release(_ handle: UInt64) {
    ExecTable.shared.remove(handle)
}
