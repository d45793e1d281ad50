// The library-level exports of devc_bridge.h: ABI version, info, free,
// cancel tokens and ping.

import ContainerAPIClient
import Foundation

/// DEVC_BRIDGE_ABI_VERSION of ../../../include/devc_bridge.h.
let abiVersion: UInt32 = 1

@_cdecl("devc_bridge_abi_version")
public func devc_bridge_abi_version() -> UInt32 {
    abiVersion
}

@_cdecl("devc_bridge_info")
public func devc_bridge_info() -> UnsafeMutablePointer<CChar> {
    answerNow {
        .obj([
            ("abiVersion", .int(Int64(abiVersion))),
            ("implementation", .string("devc-bridge-swift")),
            ("version", .string("0.1.0 (apple/container \(pinnedContainerVersion))")),
            ("platform", .string(platformName)),
            ("codes", .strings(ErrorCode.allCases.map(\.rawValue))),
        ])
    }
}

@_cdecl("devc_bridge_free")
public func devc_bridge_free(_ s: UnsafeMutablePointer<CChar>?) {
    free(s)
}

@_cdecl("devc_bridge_cancel_new")
public func devc_bridge_cancel_new() -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(CancelToken()).toOpaque())
}

@_cdecl("devc_bridge_cancel_fire")
public func devc_bridge_cancel_fire(_ token: OpaquePointer?) {
    CancelToken.from(token)?.fire()
}

@_cdecl("devc_bridge_cancel_free")
public func devc_bridge_cancel_free(_ token: OpaquePointer?) {
    guard let token else { return }
    Unmanaged<CancelToken>.fromOpaque(UnsafeRawPointer(token)).release()
}

@_cdecl("devc_bridge_ping")
public func devc_bridge_ping(_ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    runSync(timeoutMs, cancel) {
        let h = try await health()
        return .obj([("version", .string(h.apiServerVersion)), ("platform", .string(platformName))])
    }
}
