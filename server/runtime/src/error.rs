//! `RuntimeError`, the one error type of the runtime layer. Every variant names
//! the cause and the next step a user can take.

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot reach the container daemon at {endpoint}: {reason}. Start it (e.g. `sudo systemctl start docker` or `dockerd &`), or point DOCKER_HOST at a running daemon")]
    DaemonUnavailable { endpoint: String, reason: String },
    #[error("image {image} not found locally. Build it or pull it first (`docker pull {image}`)")]
    ImageNotFound { image: String },
    #[error("pulling image {image} failed: {message}. Check the image name and that the registry is reachable, or build the image locally")]
    PullFailed { image: String, message: String },
    #[error("container {id} not found; it may have been removed (run `devc up` to create it again)")]
    ContainerNotFound { id: String },
    #[error("image build failed at step {step}: {message}. Fix the Dockerfile or build arguments and run again")]
    BuildFailed { step: String, message: String },
    #[error("the {backend} backend does not support {option}; remove it from the configuration or use another runtime")]
    Unsupported { backend: String, option: String },
    #[error("{operation} failed: {message}")]
    Api { operation: String, message: String },
    #[error("{operation} was cancelled")]
    Cancelled { operation: String },
    #[error("{what} already exists: {message}. Remove it or choose another name")]
    AlreadyExists { what: String, message: String },
    /// A daemon-side service (the runtime's daemon, image builder, kernel) is
    /// not there; `hint` is the command that fixes it.
    #[error("{service} is not available: {reason}. {hint}")]
    ServiceUnavailable { service: String, reason: String, hint: String },
    #[error("{operation} did not finish within {seconds} s. {hint}")]
    Timeout { operation: String, seconds: u64, hint: String },
    /// The bridge library (Apple's runtime) cannot be used: missing, not a
    /// bridge, or built for another ABI version.
    #[error("cannot use the container bridge {path}: {reason}. {hint}")]
    Bridge { path: String, reason: String, hint: String },
}
