//! The dev-container engine: `up`, `build`, `exec`, `stop`, `down` and
//! `run-user-commands` on top of any `Runtime`. Owns turning a resolved
//! devcontainer.json into images, containers and lifecycle hook runs.

pub mod error;
pub mod run_args;

pub use error::EngineError;
