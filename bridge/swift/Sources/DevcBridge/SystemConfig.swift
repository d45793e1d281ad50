// The daemon's health and the layered system configuration (config.toml in
// the app root, then the install root), loaded the way the `container` CLI
// loads it, without linking the CLI's command module.

import ContainerAPIClient
import ContainerPersistence
import Foundation
import SystemPackage

/// The pinned client version (Package.swift) and the platform devc sees.
let pinnedContainerVersion = "1.2.2"
let platformName = "apple-container"

func health() async throws -> SystemHealth {
    do {
        return try await ClientHealthCheck.ping(timeout: .seconds(10))
    } catch {
        throw BridgeError(
            .daemonUnavailable,
            "the container API server does not answer (\(describe(error))); it runs in your login session once started"
        )
    }
}

func loadSystemConfig() async throws -> ContainerSystemConfig {
    let h = try await health()
    let appRoot = FilePath(h.appRoot.path(percentEncoded: false))
    let installRoot = FilePath(h.installRoot.path(percentEncoded: false))
    return try await ConfigurationLoader.load(configurationFiles: [
        ConfigurationLoader.configurationFile(in: appRoot, of: .appRoot),
        ConfigurationLoader.configurationFile(in: installRoot, of: .installRoot),
    ])
}
