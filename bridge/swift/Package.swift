// swift-tools-version: 6.2
//
// The devc bridge for Apple's `container` runtime: a dynamic library that
// implements the C ABI of ../include/devc_bridge.h over the container client
// API. Build on a Mac (macOS 15+, Apple silicon, Xcode 26 / Swift 6.2):
//
//     swift build -c release        # → .build/release/libDevcBridge.dylib
//
// The apple/container version is pinned exactly: its client API and the
// daemon's XPC schema change between minor versions (see ../README.md).

import PackageDescription

let package = Package(
    name: "DevcBridge",
    platforms: [.macOS("15")],
    products: [
        .library(name: "DevcBridge", type: .dynamic, targets: ["DevcBridge"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/container.git", exact: "1.2.2"),
        // The version container 1.2.2 pins itself (its `scVersion`).
        .package(url: "https://github.com/apple/containerization.git", exact: "0.40.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.10.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.6.4"),
    ],
    targets: [
        .target(
            name: "DevcBridge",
            dependencies: [
                .product(name: "ContainerAPIClient", package: "container"),
                .product(name: "ContainerBuild", package: "container"),
                .product(name: "ContainerImagesService", package: "container"),
                .product(name: "ContainerPersistence", package: "container"),
                .product(name: "ContainerResource", package: "container"),
                .product(name: "TerminalProgress", package: "container"),
                .product(name: "Containerization", package: "containerization"),
                .product(name: "ContainerizationOCI", package: "containerization"),
                .product(name: "ContainerizationOS", package: "containerization"),
                .product(name: "ContainerizationExtras", package: "containerization"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        )
    ]
)
