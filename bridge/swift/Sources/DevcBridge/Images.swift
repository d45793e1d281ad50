// Images: inspect (local store only) and pull (progress lines to the
// caller's fd).

import ContainerAPIClient
import ContainerPersistence
import ContainerResource
import ContainerizationOCI
import Foundation
import TerminalProgress

@_cdecl("devc_bridge_image_inspect")
public func devc_bridge_image_inspect(_ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> String in
        let r = try Request(request, "image_inspect")
        let reference = try r.requiredString("reference")
        try r.finish()
        return reference
    }) { reference in
        let system = try await loadSystemConfig()
        let image: ClientImage
        do {
            image = try await ClientImage.get(reference: reference, containerSystemConfig: system)
        } catch {
            throw classify(error, notFound: .imageNotFound)
        }
        let platform = try await resolvePlatform(image, requested: nil)
        let oci = try await image.config(for: platform)
        let config = oci.config
        return .obj([
            ("id", .string(image.digest)),
            ("reference", .string(reference)),
            ("user", .string(config?.user ?? "")),
            ("labels", .map(config?.labels ?? [:])),
            ("env", .strings(config?.env ?? [])),
            ("entrypoint", .strings(config?.entrypoint ?? [])),
            ("cmd", .strings(config?.cmd ?? [])),
            ("os", .string(oci.os)),
            ("architecture", .string(oci.architecture)),
            ("variant", oci.variant.map { JSON.string($0) }),
        ])
    }
}

/// Progress events → text lines.
func progressHandler(_ writer: LineWriter) -> ProgressUpdateHandler {
    { events in
        for event in events {
            switch event {
            case .setDescription(let text), .setSubDescription(let text), .custom(let text):
                writer.line(text)
            default:
                break
            }
        }
    }
}

@_cdecl("devc_bridge_image_pull")
public func devc_bridge_image_pull(
    _ request: UnsafePointer<CChar>?, _ progressFd: Int32, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> (String, String?, LineWriter) in
        let r = try Request(request, "image_pull")
        let reference = try r.requiredString("reference")
        let platform = try r.string("platform")
        try r.finish()
        return (reference, platform, LineWriter(fd: try duplicate(progressFd, "progress_fd")))
    }) { args in
        let (reference, platformText, writer) = args
        defer { writer.finish() }
        let platform: Platform?
        do {
            platform = try platformText.map { try Platform(from: $0) }
        } catch {
            throw BridgeError(.invalidArgument, "\"\(platformText ?? "")\" is not a platform (os/arch[/variant])")
        }
        let system = try await loadSystemConfig()
        do {
            let image = try await ClientImage.pull(
                reference: reference,
                platform: platform ?? .current,
                containerSystemConfig: system,
                progressUpdate: progressHandler(writer)
            )
            return .obj([("reference", .string(image.reference))])
        } catch {
            let e = classify(error)
            if [.daemonUnavailable, .cancelled, .timeout].contains(e.code) {
                throw e
            }
            throw BridgeError(.pullFailed, "pulling \(reference): \(e.message)")
        }
    }
}
