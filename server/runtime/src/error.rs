//! `RuntimeError`, the one error type of the runtime layer. Every variant names
//! the cause and the next step a user can take.

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot reach the container daemon at {endpoint}: {reason}. Start it (e.g. `sudo systemctl start docker` or `dockerd &`), or point DOCKER_HOST at a running daemon")]
    DaemonUnavailable { endpoint: String, reason: String },
    #[error("image {image} not found locally. Build it or pull it first (`docker pull {image}`)")]
    ImageNotFound { image: String },
    #[error("{operation} failed: {message}")]
    Api { operation: String, message: String },
}
