// Containers: create (image, init image and kernel resolved first, so the
// daemon's 60 s create window only registers the container), start
// (idempotent; boots the VM), stop, delete, inspect and list, and the
// ContainerInfo shape of devc_bridge.h.
//
// Create follows the `container` CLI (Utility.containerConfigFromFlags):
// Docker's entrypoint/cmd rules, env merged by key, bind mounts as virtiofs
// shares, named volumes as volume filesystems, the default network attached
// with a hostname (an empty network list would mean no network card), DNS
// set (nil would mean no resolv.conf), Rosetta for amd64 images on arm64.

import ContainerAPIClient
import ContainerResource
import Containerization
import ContainerizationError
import ContainerizationExtras
import ContainerizationOCI
import Foundation

// MARK: - Shapes

func iso8601(_ date: Date?) -> String {
    guard let date else { return "" }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}

func userString(_ user: ProcessConfiguration.User) -> String {
    switch user {
    case .raw(let name):
        return name
    case .id(let uid, let gid):
        return uid == 0 && gid == 0 ? "" : "\(uid):\(gid)"
    }
}

func containerInfo(_ snapshot: ContainerSnapshot) -> JSON {
    let config = snapshot.configuration
    let status: String
    switch snapshot.status {
    case .running: status = "running"
    case .stopping: status = "stopping"
    case .stopped: status = snapshot.startedDate == nil ? "created" : "exited"
    default: status = "unknown"
    }
    let mounts: [JSON] = config.mounts.compactMap { mount in
        switch mount.type {
        case .virtiofs:
            return .obj([("type", .string("bind")), ("source", .string(mount.source)), ("destination", .string(mount.destination))])
        case .volume(let name, _, _, _):
            return .obj([
                ("type", .string("volume")), ("name", .string(name)), ("source", .string(mount.source)),
                ("destination", .string(mount.destination)),
            ])
        case .tmpfs:
            return .obj([("type", .string("tmpfs")), ("source", .string("")), ("destination", .string(mount.destination))])
        default:
            return nil
        }
    }
    let address = snapshot.networks.first.map { attachment -> String in
        let cidr = "\(attachment.ipv4Address)"
        return cidr.split(separator: "/").first.map(String.init) ?? cidr
    }
    return .obj([
        ("id", .string(snapshot.id)),
        ("name", .string(snapshot.id)),
        ("image", .string(config.image.reference)),
        ("imageId", .string(config.image.digest)),
        ("created", .string(iso8601(config.creationDate))),
        (
            "state",
            .obj([
                ("status", .string(status)),
                ("running", .bool(snapshot.status == .running)),
                ("startedAt", .string(iso8601(snapshot.startedDate))),
                ("finishedAt", .string("")),
                ("exitCode", .int(0)),
            ])
        ),
        ("labels", .map(config.labels)),
        ("env", .strings(config.initProcess.environment)),
        ("user", .string(userString(config.initProcess.user))),
        ("mounts", .array(mounts)),
        ("ipAddress", address.flatMap { $0.isEmpty ? nil : JSON.string($0) }),
    ])
}

/// The snapshot of `id`, or NOT_FOUND.
func getContainer(_ id: String) async throws -> ContainerSnapshot {
    do {
        return try await ContainerClient().get(id: id)
    } catch {
        throw classify(error, notFound: .notFound)
    }
}

// MARK: - Create

struct MountRequest: Sendable {
    let kind: String
    let source: String?
    let target: String
    let readOnly: Bool
}

struct PortRequest: Sendable {
    let containerPort: UInt16
    let hostPort: UInt16?
    let hostAddress: String?
    let proto: String
}

struct CreateRequest: Sendable {
    let image: String
    let name: String?
    let entrypoint: [String]?
    let cmd: [String]?
    let env: [String]
    let user: String?
    let workingDir: String?
    let labels: [String: String]
    let mounts: [MountRequest]
    let ports: [PortRequest]
    let capAdd: [String]
    let capDrop: [String]
    let useInit: Bool
    let cpus: Double?
    let memoryBytes: Int64?
    let hostname: String?
    let dns: [String]?
    let network: String?
    let platform: String?
    let tty: Bool
    let readOnly: Bool
    let stopSignal: String?

    init(_ r: Request) throws {
        image = try r.requiredString("image")
        name = try r.string("name")
        entrypoint = try r.strings("entrypoint")
        cmd = try r.strings("cmd")
        env = try r.strings("env") ?? []
        user = try r.string("user")
        workingDir = try r.string("workingDir")
        labels = try r.stringMap("labels") ?? [:]
        mounts = try (r.objects("mounts") ?? []).map { m in
            let kind = try m.requiredString("type")
            guard ["bind", "volume", "tmpfs"].contains(kind) else {
                throw BridgeError(.invalidArgument, "unknown mount type \"\(kind)\" (bind, volume or tmpfs)")
            }
            let target = try m.requiredString("target")
            guard target.hasPrefix("/") else {
                throw BridgeError(.invalidArgument, "the mount target \"\(target)\" is not an absolute path")
            }
            let mount = MountRequest(kind: kind, source: try m.string("source"), target: target, readOnly: try m.bool("readOnly") ?? false)
            try m.finish()
            return mount
        }
        ports = try (r.objects("ports") ?? []).map { p in
            guard let container = try p.int("containerPort"), (1...65535).contains(container) else {
                throw BridgeError(.invalidArgument, "a port needs \"containerPort\" between 1 and 65535")
            }
            let host = try p.int("hostPort")
            if let host, !(1...65535).contains(host) {
                throw BridgeError(.invalidArgument, "\"hostPort\" \(host) is not between 1 and 65535")
            }
            let port = PortRequest(
                containerPort: UInt16(container),
                hostPort: host.map { UInt16($0) },
                hostAddress: try p.string("hostAddress"),
                proto: try p.string("protocol") ?? "tcp"
            )
            try p.finish()
            return port
        }
        capAdd = try r.strings("capAdd") ?? []
        capDrop = try r.strings("capDrop") ?? []
        useInit = try r.bool("init") ?? false
        cpus = try r.double("cpus")
        memoryBytes = try r.int("memoryBytes")
        hostname = try r.string("hostname")
        dns = try r.strings("dns")
        network = try r.string("network")
        platform = try r.string("platform")
        tty = try r.bool("tty") ?? false
        readOnly = try r.bool("readOnly") ?? false
        stopSignal = try r.string("stopSignal")
        try r.finish()
    }
}

/// Apple's container ids: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 63 characters.
func isValidContainerId(_ id: String) -> Bool {
    guard let first = id.unicodeScalars.first, id.count <= 63 else { return false }
    let alnum = CharacterSet.alphanumerics
    let rest = alnum.union(CharacterSet(charactersIn: "_.-"))
    return first.isASCII && alnum.contains(first) && id.unicodeScalars.allSatisfy { $0.isASCII && rest.contains($0) }
}

/// `KEY=VALUE` entries: later ones replace earlier ones with the same key, in place.
func mergeEnv(_ base: [String], _ extra: [String]) -> [String] {
    var out: [String] = []
    var index: [String: Int] = [:]
    for entry in base + extra {
        let key = String(entry.split(separator: "=", maxSplits: 1).first ?? Substring(entry))
        if let at = index[key] {
            out[at] = entry
        } else {
            index[key] = out.count
            out.append(entry)
        }
    }
    return out
}

/// `uid:gid` (both numbers) is an id pair; anything else the guest resolves.
func parseUser(_ user: String) -> ProcessConfiguration.User {
    if user.isEmpty {
        return .id(uid: 0, gid: 0)
    }
    let parts = user.split(separator: ":", maxSplits: 1)
    if parts.count == 2, let uid = UInt32(parts[0]), let gid = UInt32(parts[1]) {
        return .id(uid: uid, gid: gid)
    }
    return .raw(userString: user)
}

/// The init process, with Docker's rules for entrypoint and cmd.
func initProcess(_ spec: CreateRequest, _ image: ImageConfig?) throws -> ProcessConfiguration {
    let entrypoint = spec.entrypoint ?? image?.entrypoint ?? []
    // An entrypoint given at create time drops the image's cmd.
    let cmd = spec.cmd ?? (spec.entrypoint == nil ? (image?.cmd ?? []) : [])
    let argv = entrypoint + cmd
    guard let executable = argv.first else {
        throw BridgeError(.invalidArgument, "nothing to run: neither the request nor the image \(spec.image) has an entrypoint or cmd")
    }
    var env = mergeEnv(image?.env ?? [], spec.env)
    if !env.contains(where: { $0.hasPrefix("PATH=") }) {
        env.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
    }
    let imageDir = image?.workingDir.flatMap { $0.isEmpty ? nil : $0 }
    return ProcessConfiguration(
        executable: executable,
        arguments: Array(argv.dropFirst()),
        environment: env,
        workingDirectory: spec.workingDir ?? imageDir ?? "/",
        terminal: spec.tty,
        user: parseUser(spec.user ?? image?.user ?? "")
    )
}

/// The platform to run: the requested one, else the host's when the image
/// has it, else the image's first Linux variant.
func resolvePlatform(_ image: ClientImage, requested: String?) async throws -> Platform {
    if let requested {
        do {
            return try Platform(from: requested)
        } catch {
            throw BridgeError(.invalidArgument, "\"\(requested)\" is not a platform (os/arch[/variant])")
        }
    }
    if (try? await image.config(for: .current)) != nil {
        return .current
    }
    let index = try await image.index()
    if let platform = index.manifests.compactMap(\.platform).first(where: { $0.os == "linux" }) {
        return platform
    }
    return .current
}

/// The named volume, created when missing (as `container run -v name:/path`).
func namedVolume(_ name: String) async throws -> VolumeConfiguration {
    do {
        return try await ClientVolume.inspect(name)
    } catch let error where isMissingVolume(error) || hasCode(error, .notFound) {
        return try await ClientVolume.create(name: name)
    }
}

func createContainer(_ spec: CreateRequest) async throws -> JSON {
    let system = try await loadSystemConfig()
    let generated = "devc-" + String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
    let id = spec.name ?? generated
    guard isValidContainerId(id) else {
        throw BridgeError(.invalidArgument, "\"\(id)\" is not a valid container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters)")
    }

    // Everything slow happens before the daemon's create call.
    let image: ClientImage
    do {
        image = try await ClientImage.get(reference: spec.image, containerSystemConfig: system)
    } catch {
        throw classify(error, notFound: .imageNotFound)
    }
    let platform = try await resolvePlatform(image, requested: spec.platform)
    do {
        try await image.getCreateSnapshot(platform: platform)
    } catch {
        throw classify(error, notFound: .imageNotFound)
    }
    let kernel: Kernel
    do {
        kernel = try await ClientKernel.getDefaultKernel(for: .current)
    } catch {
        throw classify(error, notFound: .kernelMissing)
    }
    do {
        let initImage = try await ClientImage.fetch(reference: system.vminit.image, platform: .current, containerSystemConfig: system)
        try await initImage.getCreateSnapshot(platform: .current)
    } catch {
        let e = classify(error)
        if e.code == .daemonUnavailable || e.code == .cancelled { throw e }
        throw BridgeError(.pullFailed, "fetching the init image \(system.vminit.image): \(e.message)")
    }

    let imageConfig = try await image.config(for: platform).config
    var config = ContainerConfiguration(id: id, image: image.description, process: try initProcess(spec, imageConfig))
    config.platform = platform

    var resources = ContainerConfiguration.Resources()
    resources.cpus = spec.cpus.map { max(1, Int(($0).rounded(.up))) } ?? system.container.cpus
    resources.memoryInBytes = spec.memoryBytes.map { UInt64(max(0, $0)) } ?? system.container.memory.toUInt64(unit: .bytes)
    guard resources.memoryInBytes >= 200 * 1024 * 1024 else {
        throw BridgeError(.invalidArgument, "Apple's runtime needs at least 200 MiB of memory per container")
    }
    config.resources = resources

    var mounts: [Filesystem] = []
    for mount in spec.mounts {
        let options: [String] = mount.readOnly ? ["ro"] : []
        switch mount.kind {
        case "bind":
            guard let source = mount.source, source.hasPrefix("/") else {
                throw BridgeError(.invalidArgument, "the bind mount on \(mount.target) needs an absolute source path")
            }
            mounts.append(.virtiofs(source: source, destination: mount.target, options: options))
        case "volume":
            guard let name = mount.source, !name.isEmpty else {
                throw BridgeError(.unsupported, "anonymous volumes (the volume on \(mount.target) needs a name)")
            }
            let volume = try await namedVolume(name)
            mounts.append(.volume(name: name, format: volume.format, source: volume.source, destination: mount.target, options: options))
        default:
            mounts.append(.tmpfs(destination: mount.target, options: options))
        }
    }
    config.mounts = mounts

    let hostname = spec.hostname ?? id
    switch spec.network {
    case .some("none"):
        config.networks = []
        config.dns = nil
    case .none, .some("default"):
        guard let builtin = try await NetworkClient().builtin else {
            throw BridgeError(.daemonUnavailable, "the default network does not exist (is the container system started?)")
        }
        config.networks = [AttachmentConfiguration(network: builtin.id, options: AttachmentOptions(hostname: hostname, macAddress: nil, mtu: 1280))]
    case .some(let name):
        guard #available(macOS 26, *) else {
            throw BridgeError(.unsupported, "networks other than the default need macOS 26")
        }
        do {
            _ = try await NetworkClient().get(id: name)
        } catch {
            throw classify(error, notFound: .invalidArgument)
        }
        config.networks = [AttachmentConfiguration(network: name, options: AttachmentOptions(hostname: hostname, macAddress: nil, mtu: 1280))]
    }
    if spec.network != "none" {
        // An empty nameserver list makes the runtime use the network's gateway.
        config.dns = ContainerConfiguration.DNSConfiguration(
            nameservers: spec.dns ?? [],
            domain: system.dns.domain,
            searchDomains: [],
            options: []
        )
    }

    config.rosetta = Platform.current.architecture == "arm64" && platform.architecture == "amd64"
    config.labels = spec.labels
    config.publishedPorts = try spec.ports.map { port in
        guard let proto = PublishProtocol(port.proto) else {
            throw BridgeError(.invalidArgument, "unknown protocol \"\(port.proto)\" (tcp or udp)")
        }
        let address: IPAddress
        do {
            address = try IPAddress(port.hostAddress ?? "0.0.0.0")
        } catch {
            throw BridgeError(.invalidArgument, "\"\(port.hostAddress ?? "")\" is not an IP address")
        }
        // Apple forwards fixed host ports only: "any free port" becomes the same port.
        return try PublishPort(
            hostAddress: address,
            hostPort: port.hostPort ?? port.containerPort,
            containerPort: port.containerPort,
            proto: proto,
            count: 1
        )
    }
    let caps = try Parser.capabilities(capAdd: spec.capAdd, capDrop: spec.capDrop)
    config.capAdd = caps.capAdd
    config.capDrop = caps.capDrop
    config.useInit = spec.useInit
    config.readOnly = spec.readOnly
    config.stopSignal = spec.stopSignal ?? imageConfig?.stopSignal

    do {
        try await ContainerClient().create(configuration: config, options: .default, kernel: kernel, initImage: nil)
    } catch {
        throw classify(error)
    }
    return .obj([("id", .string(id))])
}

// MARK: - Exports

@_cdecl("devc_bridge_container_create")
public func devc_bridge_container_create(
    _ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try CreateRequest(Request(request, "container_create")) }) { spec in
        try await createContainer(spec)
    }
}

/// `{"id"}` requests.
func idRequest(_ pointer: UnsafePointer<CChar>?, _ operation: String) throws -> String {
    let r = try Request(pointer, operation)
    let id = try r.requiredString("id")
    try r.finish()
    return id
}

@_cdecl("devc_bridge_container_inspect")
public func devc_bridge_container_inspect(
    _ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try idRequest(request, "container_inspect") }) { id in
        containerInfo(try await getContainer(id))
    }
}

@_cdecl("devc_bridge_container_start")
public func devc_bridge_container_start(
    _ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { try idRequest(request, "container_start") }) { id in
        let snapshot = try await getContainer(id)
        if snapshot.status == .running {
            return nil
        }
        do {
            // The init process's output goes to the container's stdio.log.
            let process = try await ContainerClient().bootstrap(id: id, stdio: [nil, nil, nil])
            try await process.start()
        } catch {
            throw classify(error)
        }
        return nil
    }
}

@_cdecl("devc_bridge_container_stop")
public func devc_bridge_container_stop(
    _ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> (String, Int64?) in
        let r = try Request(request, "container_stop")
        let id = try r.requiredString("id")
        let grace = try r.int("graceSeconds")
        try r.finish()
        return (id, grace)
    }) { args in
        let (id, grace) = args
        _ = try await getContainer(id)
        let options = grace.map { ContainerStopOptions(timeoutInSeconds: Int32(clamping: max(0, $0)), signal: nil) } ?? .default
        do {
            try await ContainerClient().stop(id: id, opts: options)
        } catch {
            throw classify(error)
        }
        return nil
    }
}

@_cdecl("devc_bridge_container_delete")
public func devc_bridge_container_delete(
    _ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> (String, Bool) in
        let r = try Request(request, "container_delete")
        let id = try r.requiredString("id")
        let force = try r.bool("force") ?? false
        // Anonymous volumes are refused at create: there is nothing more to remove.
        _ = try r.bool("volumes")
        try r.finish()
        return (id, force)
    }) { args in
        let (id, force) = args
        _ = try await getContainer(id)
        do {
            try await ContainerClient().delete(id: id, force: force)
        } catch {
            throw classify(error)
        }
        return nil
    }
}

@_cdecl("devc_bridge_container_list")
public func devc_bridge_container_list(
    _ request: UnsafePointer<CChar>?, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> ([String: String], Bool) in
        let r = try Request(request, "container_list")
        let labels = try r.stringMap("labels") ?? [:]
        let all = try r.bool("all") ?? true
        try r.finish()
        return (labels, all)
    }) { args in
        let (labels, all) = args
        // The server matches label values as unanchored regular expressions.
        var patterns: [String: String] = [:]
        for (key, value) in labels {
            patterns[key] = "^" + NSRegularExpression.escapedPattern(for: value) + "$"
        }
        let filters = ContainerListFilters(ids: [], status: all ? nil : .running, labels: patterns).withoutMachines()
        let snapshots: [ContainerSnapshot]
        do {
            snapshots = try await ContainerClient().list(filters: filters)
        } catch {
            throw classify(error)
        }
        // Exact equality again, whatever the server's matching.
        let matching = snapshots
            .filter { s in labels.allSatisfy { s.configuration.labels[$0.key] == $0.value } }
            .sorted { $0.configuration.creationDate > $1.configuration.creationDate }
        return .obj([("containers", .array(matching.map(containerInfo)))])
    }
}
