// The stable error codes of devc_bridge.h and how Apple's errors map onto
// them. The client library rewraps most errors as `.internalError` ("failed
// to stop container") and keeps the real one in `cause`, so the whole cause
// chain is walked; connection failures and volume errors (whose codes the
// XPC server loses) are recognised by their messages.

import ContainerizationError
import Foundation

enum ErrorCode: String, CaseIterable, Sendable {
    case invalidArgument = "INVALID_ARGUMENT"
    case notFound = "NOT_FOUND"
    case imageNotFound = "IMAGE_NOT_FOUND"
    case alreadyExists = "ALREADY_EXISTS"
    case daemonUnavailable = "DAEMON_UNAVAILABLE"
    case builderUnavailable = "BUILDER_UNAVAILABLE"
    case kernelMissing = "KERNEL_MISSING"
    case unsupported = "UNSUPPORTED"
    case buildFailed = "BUILD_FAILED"
    case pullFailed = "PULL_FAILED"
    case timeout = "TIMEOUT"
    case cancelled = "CANCELLED"
    case internalError = "INTERNAL"
}

struct BridgeError: Error, Sendable {
    let code: ErrorCode
    let message: String

    init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// The error and its causes, outermost first.
func causeChain(_ error: Error) -> [Error] {
    var links: [Error] = [error]
    var current = error
    while let cz = current as? ContainerizationError, let cause = cz.cause, links.count < 16 {
        links.append(cause)
        current = cause
    }
    return links
}

func describe(_ error: Error) -> String {
    if let b = error as? BridgeError {
        return b.message
    }
    return String(describing: error)
}

/// Whether any link of the chain has `code`.
func hasCode(_ error: Error, _ code: ContainerizationError.Code) -> Bool {
    causeChain(error).contains { ($0 as? ContainerizationError)?.code == code }
}

/// Whether the error (or a cause) says the daemon cannot be reached.
func isConnectionFailure(_ error: Error) -> Bool {
    let text = causeChain(error).map { String(describing: $0) }.joined(separator: " ")
    return text.contains("XPC connection error") || text.contains("Connection invalid")
        || text.contains("Connection interrupted") || hasCode(error, .interrupted)
}

/// The bridge error for `error`. `notFound` is the code a not-found error
/// means where it happened (a container, an image, the kernel …).
func classify(_ error: Error, notFound: ErrorCode = .notFound) -> BridgeError {
    if let bridged = error as? BridgeError {
        return bridged
    }
    if error is CancellationError {
        return BridgeError(.cancelled, "the call was cancelled")
    }
    let message = describe(error)
    if isConnectionFailure(error) {
        return BridgeError(.daemonUnavailable, message)
    }
    let ordered: [(ContainerizationError.Code, ErrorCode)] = [
        (.notFound, notFound),
        (.exists, .alreadyExists),
        (.unsupported, .unsupported),
        (.timeout, .timeout),
        (.cancelled, .cancelled),
        (.invalidArgument, .invalidArgument),
    ]
    for (apple, ours) in ordered where hasCode(error, apple) {
        return BridgeError(ours, message)
    }
    return BridgeError(.internalError, message)
}

/// Volume errors reach the client as `.invalidArgument` with the real kind
/// only in the message (XPCServer turns them into that code).
func isMissingVolume(_ error: Error) -> Bool {
    let text = causeChain(error).map { String(describing: $0) }.joined(separator: " ").lowercased()
    return text.contains("volume") && text.contains("not found")
}
