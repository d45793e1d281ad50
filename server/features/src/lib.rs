//! Dev container Features: resolving the `features` of a devcontainer.json
//! (local folders, OCI artifacts, tarball URLs) into an ordered, locked list,
//! and preparing the build that installs them. Sits between `devc-config`
//! and the engine, which runs the build on a `Runtime`.
//!
//! - [`reference`]: identifiers (pure). [`metadata`]: devcontainer-feature.json.
//! - [`options`]: option values, validation, the env file (pure).
//! - [`order`]: install order and cycles (pure). [`lockfile`]: devcontainer-lock.json.
//! - [`oci`] + [`credentials`]: the registry client. [`cache`]: the digest-keyed cache.
//! - [`resolve`]: the whole resolution. [`build`]: the install Dockerfile and context.
//! - [`catalog`]: what the language server knows from the cache (never the network).

pub mod build;
pub mod cache;
pub mod catalog;
pub mod credentials;
mod error;
pub mod lockfile;
pub mod metadata;
pub mod oci;
pub mod options;
pub mod order;
pub mod reference;
pub mod resolve;

pub use error::FeatureError;
pub use lockfile::Mode as LockfileMode;
pub use metadata::FeatureMetadata;
pub use resolve::{Feature, Request, Resolution, Resolver};
