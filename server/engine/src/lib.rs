//! The dev-container engine: `up`, `build`, `exec`, `stop`, `down` and
//! `run-user-commands` on top of any `Runtime`. Owns turning a resolved
//! devcontainer.json into images, containers and lifecycle hook runs.

pub mod container_spec;
pub mod env_probe;
pub mod error;
pub mod exec;
pub mod features;
pub mod image;
pub mod lifecycle;
pub mod load;
pub mod lock;
pub mod manage;
pub mod process;
pub mod progress;
pub mod run_args;
pub mod uid;
pub mod up;

pub use error::EngineError;
