// Builds: BuildKit in the builder VM (`container builder start` runs it; the
// bridge does not start it), reached over vsock; the build's own output is
// relayed from a pty (BuildKit's tty progress, escape sequences removed) to
// the caller's progress fd as lines; the OCI result is loaded, unpacked and
// tagged. Cancelling the call cancels the build.

import ContainerAPIClient
import ContainerBuild
import ContainerImagesServiceClient
import ContainerPersistence
import ContainerResource
import ContainerizationOCI
import ContainerizationOS
import Foundation
import Logging
import NIOCore
import NIOPosix

let buildKitPort: UInt32 = 8088

func builderRunning() async throws -> Bool {
    do {
        return try await ContainerClient().get(id: Builder.builderContainerId).status == .running
    } catch {
        let e = classify(error)
        if e.code == .notFound {
            return false
        }
        throw e
    }
}

func requireBuilder() async throws {
    guard try await builderRunning() else {
        throw BridgeError(.builderUnavailable, "the BuildKit builder container (\(Builder.builderContainerId)) is not running")
    }
}

@_cdecl("devc_bridge_builder_probe")
public func devc_bridge_builder_probe(_ timeoutMs: Int64, _ cancel: OpaquePointer?) -> UnsafeMutablePointer<CChar> {
    runSync(timeoutMs, cancel) {
        try await requireBuilder()
        return nil
    }
}

struct BuildRequest: Sendable {
    let context: String
    let dockerfile: String
    let tags: [String]
    let args: [String: String]
    let target: String?
    let cacheFrom: [String]
    let noCache: Bool
    let labels: [String: String]
    let platform: String?
    let pull: Bool

    init(_ r: Request) throws {
        context = try r.requiredString("contextPath")
        guard context.hasPrefix("/") else {
            throw BridgeError(.invalidArgument, "contextPath \"\(context)\" is not an absolute path")
        }
        let file = try r.string("dockerfile") ?? "Dockerfile"
        dockerfile = file.hasPrefix("/") ? file : URL(fileURLWithPath: context).appendingPathComponent(file).path
        tags = try r.strings("tags") ?? []
        args = try r.stringMap("args") ?? [:]
        target = try r.string("target")
        cacheFrom = try r.strings("cacheFrom") ?? []
        noCache = try r.bool("noCache") ?? false
        labels = try r.stringMap("labels") ?? [:]
        platform = try r.string("platform")
        pull = try r.bool("pull") ?? false
        try r.finish()
    }
}

/// Terminal output → plain lines: escape sequences dropped, `\r` redraws
/// split, repeats of the previous line skipped.
final class TerminalLines: @unchecked Sendable {
    private var pending = ""
    private var last = ""
    private let writer: LineWriter
    private static let escapes = try? NSRegularExpression(pattern: "\u{1B}(\\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78DEHM])")

    init(_ writer: LineWriter) {
        self.writer = writer
    }

    func feed(_ data: Data) {
        pending += String(decoding: data, as: UTF8.self)
        while let end = pending.firstIndex(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            emit(String(pending[..<end]))
            pending = String(pending[pending.index(after: end)...])
        }
    }

    func flush() {
        emit(pending)
        pending = ""
    }

    private func emit(_ raw: String) {
        var text = raw
        if let escapes = Self.escapes {
            text = escapes.stringByReplacingMatches(in: raw, range: NSRange(raw.startIndex..., in: raw), withTemplate: "")
        }
        text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text != last else { return }
        last = text
        writer.line(text)
    }
}

/// Relays the pty's parent side into `lines` until the child side closes.
func relay(_ parent: Int32, _ lines: TerminalLines) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    startThread("devc-bridge-build-output") {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(parent, $0.baseAddress, $0.count) }
            if n > 0 {
                lines.feed(Data(buffer[0..<n]))
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break  // EIO once the child side is closed.
            }
        }
        lines.flush()
        done.signal()
    }
    return done
}

func normalizedTag(_ name: String) throws -> String {
    do {
        let reference = try Reference.parse(name)
        reference.normalize()
        return reference.description
    } catch {
        throw BridgeError(.invalidArgument, "\"\(name)\" is not an image reference")
    }
}

func build(_ spec: BuildRequest, _ writer: LineWriter) async throws -> JSON {
    try await requireBuilder()
    let system = try await loadSystemConfig()
    let h = try await health()

    let dockerfile: Data
    do {
        dockerfile = try Data(contentsOf: URL(fileURLWithPath: spec.dockerfile))
    } catch {
        throw BridgeError(.invalidArgument, "cannot read the Dockerfile \(spec.dockerfile): \(error.localizedDescription)")
    }
    // apple/container#735: larger Dockerfiles do not fit the request metadata.
    guard dockerfile.count < 16 * 1024 else {
        throw BridgeError(.unsupported, "Dockerfiles of 16 KiB or more (this one is \(dockerfile.count) bytes; apple/container#735)")
    }
    let ignore =
        (try? Data(contentsOf: URL(fileURLWithPath: spec.dockerfile + ".dockerignore")))
        ?? (try? Data(contentsOf: URL(fileURLWithPath: spec.context).appendingPathComponent(".dockerignore")))
    let tags = try spec.tags.map(normalizedTag)
    let platform: Platform
    do {
        platform = try spec.platform.map { try Platform(from: $0) } ?? .current
    } catch {
        throw BridgeError(.invalidArgument, "\"\(spec.platform ?? "")\" is not a platform (os/arch[/variant])")
    }

    // The result is exported under <appRoot>/builder/<id>/, the only host
    // folder the builder VM sees.
    let buildID = UUID().uuidString
    let folder = h.appRoot.appendingPathComponent("builder").appendingPathComponent(buildID)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var export = try Builder.BuildExport(from: "type=oci")
    export.destination = folder.appendingPathComponent("out.tar")

    let socket: FileHandle
    do {
        socket = try await ContainerClient().dial(id: Builder.builderContainerId, port: buildKitPort)
    } catch {
        throw BridgeError(.builderUnavailable, "cannot reach BuildKit in the builder: \(describe(error))")
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let builder: Builder
    do {
        builder = try await Builder(socket: socket, group: group, logger: Logger(label: "devc-bridge"))
        _ = try await withDeadline(30, "BuildKit") { () async throws -> Bool in
            _ = try await builder.info()
            return true
        }
    } catch {
        try? await group.shutdownGracefully()
        throw BridgeError(.builderUnavailable, "BuildKit does not answer: \(describe(error))")
    }

    // A terminal, as the CLI gives it (BuildKit's plain mode needs none, but
    // its output then goes to this process's stderr): a pty we read from.
    let (parent, child) = try Terminal.create(initialSize: Terminal.Size(width: 160, height: 50))
    let relayed = relay(parent.handle.fileDescriptor, TerminalLines(writer))
    let config = Builder.BuildConfig(
        buildID: buildID,
        contentStore: RemoteContentStoreClient(),
        buildArgs: spec.args.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
        secrets: [:],
        ssh: "",
        contextDir: spec.context,
        dockerfile: dockerfile,
        dockerignore: ignore,
        labels: spec.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
        noCache: spec.noCache,
        platforms: [platform],
        terminal: child,
        tags: tags,
        target: spec.target ?? "",
        // quiet: true stalls BuildKit (its stdio acknowledgements are skipped).
        quiet: false,
        exports: [export],
        cacheIn: spec.cacheFrom,
        cacheOut: [],
        pull: spec.pull,
        containerSystemConfig: system
    )
    do {
        // On success build() shuts the event loop group down itself.
        try await builder.build(config)
    } catch {
        try? child.close()
        relayed.wait()
        try? parent.close()
        try? await group.shutdownGracefully()
        if error is CancellationError || Task.isCancelled {
            throw BridgeError(.cancelled, "the build was cancelled")
        }
        throw BridgeError(.buildFailed, describe(error))
    }
    try? child.close()
    relayed.wait()
    try? parent.close()

    let loaded = try await ClientImage.load(from: export.destination?.path ?? "", force: false)
    guard loaded.rejectedMembers.isEmpty else {
        throw BridgeError(.internalError, "the built image archive has invalid members: \(loaded.rejectedMembers)")
    }
    guard let first = loaded.images.first else {
        throw BridgeError(.internalError, "the build produced no image")
    }
    for image in loaded.images {
        try await image.unpack(platform: nil)
        for tag in tags {
            _ = try await image.tag(new: tag)
        }
    }
    return .obj([("id", .string(first.digest))])
}

@_cdecl("devc_bridge_image_build")
public func devc_bridge_image_build(
    _ request: UnsafePointer<CChar>?, _ progressFd: Int32, _ timeoutMs: Int64, _ cancel: OpaquePointer?
) -> UnsafeMutablePointer<CChar> {
    blockingExport(timeoutMs, cancel, parse: { () -> (BuildRequest, LineWriter) in
        let spec = try BuildRequest(Request(request, "image_build"))
        return (spec, LineWriter(fd: try duplicate(progressFd, "progress_fd")))
    }) { args in
        let (spec, writer) = args
        defer { writer.finish() }
        return try await build(spec, writer)
    }
}
