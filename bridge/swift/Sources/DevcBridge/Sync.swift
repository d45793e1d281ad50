// Blocking exports over async work. Each call runs its operation in a
// detached Task and waits on a semaphore for whichever comes first: the
// result, the deadline, or the cancel token. On deadline or cancel the Task
// is cancelled and the call returns at once: Apple's XPC replies do not
// honour cancellation (their continuations ignore it), so the outer deadline
// is the one that holds. The result lives in a locked box (no data race with
// a late finisher).

import Foundation

/// A devc_bridge_cancel: fired once, seen by every call holding it.
final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var handlers: [UInt64: @Sendable () -> Void] = [:]
    private var next: UInt64 = 0

    var isFired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return fired
    }

    func fire() {
        lock.lock()
        if fired {
            lock.unlock()
            return
        }
        fired = true
        let toRun = Array(handlers.values)
        handlers = [:]
        lock.unlock()
        for handler in toRun {
            handler()
        }
    }

    /// Runs `handler` when the token fires (at once if it has); returns a
    /// key for `remove`, or nil when it already ran.
    func onFire(_ handler: @escaping @Sendable () -> Void) -> UInt64? {
        lock.lock()
        if fired {
            lock.unlock()
            handler()
            return nil
        }
        next += 1
        let key = next
        handlers[key] = handler
        lock.unlock()
        return key
    }

    func remove(_ key: UInt64) {
        lock.lock()
        handlers[key] = nil
        lock.unlock()
    }

    static func from(_ pointer: OpaquePointer?) -> CancelToken? {
        guard let pointer else { return nil }
        return Unmanaged<CancelToken>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// The first answer wins; later ones are dropped.
private final class AnswerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var answer: String?
    let ready = DispatchSemaphore(value: 0)

    /// Stores `text` unless an answer is there; true when it was stored.
    @discardableResult
    func offer(_ text: String) -> Bool {
        lock.lock()
        guard answer == nil else {
            lock.unlock()
            return false
        }
        answer = text
        lock.unlock()
        ready.signal()
        return true
    }

    var value: String {
        lock.lock()
        defer { lock.unlock() }
        return answer ?? errorEnvelope(BridgeError(.internalError, "no answer"))
    }
}

/// Runs `operation` under the call's deadline and cancel token and returns
/// its envelope. Errors become codes through `classify`.
func runSync(
    _ timeoutMs: Int64,
    _ cancelPointer: OpaquePointer?,
    _ operation: @escaping @Sendable () async throws -> JSON?
) -> UnsafeMutablePointer<CChar> {
    let token = CancelToken.from(cancelPointer)
    if token?.isFired == true {
        return cString(errorEnvelope(BridgeError(.cancelled, "the call was cancelled before it started")))
    }
    let box = AnswerBox()
    let task = Task.detached {
        do {
            box.offer(okEnvelope(try await operation()))
        } catch {
            box.offer(errorEnvelope(classify(error)))
        }
    }
    let key = token?.onFire {
        if box.offer(errorEnvelope(BridgeError(.cancelled, "the call was cancelled"))) {
            task.cancel()
        }
    }
    let deadline: DispatchTime = timeoutMs > 0 ? .now() + .milliseconds(Int(clamping: timeoutMs)) : .distantFuture
    if box.ready.wait(timeout: deadline) == .timedOut {
        if box.offer(errorEnvelope(BridgeError(.timeout, "the deadline of \(timeoutMs) ms passed"))) {
            task.cancel()
        }
    }
    if let key {
        token?.remove(key)
    }
    return cString(box.value)
}

/// An export that does not block: its errors still become envelopes.
func answerNow(_ operation: () throws -> JSON?) -> UnsafeMutablePointer<CChar> {
    do {
        return cString(okEnvelope(try operation()))
    } catch {
        return cString(errorEnvelope(classify(error)))
    }
}

/// Runs `body` with a deadline inside async code (used where an Apple call
/// must not hold up the whole operation, e.g. a reply that never comes).
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw BridgeError(.timeout, "\(what) did not answer within \(Int(seconds)) s")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else {
            throw BridgeError(.internalError, "\(what): no result")
        }
        return first
    }
}

/// The shape of every blocking export: a fired token answers CANCELLED at
/// once; the request is parsed (and checked) synchronously; the work runs
/// under the deadline and the token.
func blockingExport<T>(
    _ timeoutMs: Int64,
    _ cancel: OpaquePointer?,
    parse: () throws -> T,
    run: @escaping @Sendable (T) async throws -> JSON?
) -> UnsafeMutablePointer<CChar> {
    if CancelToken.from(cancel)?.isFired == true {
        return cString(errorEnvelope(BridgeError(.cancelled, "the call was cancelled before it started")))
    }
    let value: T
    do {
        value = try parse()
    } catch {
        return cString(errorEnvelope(classify(error)))
    }
    return runSync(timeoutMs, cancel) { try await run(value) }
}
