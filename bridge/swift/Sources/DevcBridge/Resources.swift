// Named volumes (ClientVolume; their errors carry the kind only in the
// message) and networks (NetworkClient; networks other than the default need
// macOS 26). Create is idempotent, remove of a missing one succeeds.

import ContainerAPIClient
import ContainerResource
import Foundation

/// `{"name", "labels"?}`.
func namedRequest(_ pointer: UnsafePointer<CChar>?, _ operation: String, labels: Bool) throws -> (String, [String: String]) {
    let r = try Request(pointer, operation)
    let name = try r.requiredString("name")
    let values = labels ? (try r.stringMap("labels") ?? [:]) : [:]
    try r.finish()
    return (name, values)
}

@_cdecl("devc_bridge_volume_create")
public func devc_bridge_volume_create(_ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try namedRequest(request, "volume_create", labels: true) }) { args in
        let (name, labels) = args
        do {
            let existing = try await ClientVolume.inspect(name)
            return .obj([("name", .string(existing.name))])
        } catch let error where isMissingVolume(error) || hasCode(error, .notFound) {
            do {
                let created = try await ClientVolume.create(name: name, labels: labels)
                return .obj([("name", .string(created.name))])
            } catch {
                throw classify(error)
            }
        } catch {
            throw classify(error)
        }
    }
}

@_cdecl("devc_bridge_volume_remove")
public func devc_bridge_volume_remove(_ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try namedRequest(request, "volume_remove", labels: false).0 }) { name in
        do {
            try await ClientVolume.delete(name: name)
        } catch let error where isMissingVolume(error) || hasCode(error, .notFound) {
            // Already gone.
        } catch {
            throw classify(error)
        }
        return nil
    }
}

@_cdecl("devc_bridge_network_create")
public func devc_bridge_network_create(_ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try namedRequest(request, "network_create", labels: true) }) { args in
        let (name, labels) = args
        guard #available(macOS 26, *) else {
            throw BridgeError(.unsupported, "networks other than the default need macOS 26")
        }
        let client = NetworkClient()
        if let existing = try? await client.get(id: name) {
            return .obj([("id", .string(existing.id)), ("name", .string(existing.name))])
        }
        let configuration: NetworkConfiguration
        do {
            configuration = try NetworkConfiguration(
                name: name,
                mode: .nat,
                labels: try ResourceLabels(labels),
                plugin: "container-network-vmnet"
            )
        } catch {
            throw BridgeError(.invalidArgument, "network \(name): \(describe(error))")
        }
        do {
            let created = try await client.create(configuration: configuration)
            return .obj([("id", .string(created.id)), ("name", .string(created.name))])
        } catch {
            throw classify(error)
        }
    }
}

@_cdecl("devc_bridge_network_remove")
public func devc_bridge_network_remove(_ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try namedRequest(request, "network_remove", labels: false).0 }) { name in
        do {
            try await NetworkClient().delete(id: name)
        } catch let error where hasCode(error, .notFound) {
            // Already gone.
        } catch {
            throw classify(error)
        }
        return nil
    }
}
