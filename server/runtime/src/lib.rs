//! The container runtime layer: the typed errors and data every backend shares,
//! and the Docker Engine API backend (Docker and Podman's compatible socket).
//! The engine talks to containers only through this crate.

mod docker;
mod error;

pub use docker::Docker;
pub use error::RuntimeError;

use std::collections::BTreeMap;

/// What the engine needs to know about a local image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageDetails {
    pub id: String,
    /// The image's `USER` (empty means root).
    pub user: String,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub os: String,
    pub architecture: String,
}
