//! Docker Engine API backend over bollard: connection (unix socket or
//! DOCKER_HOST), API version negotiation, and the calls the engine uses.

use crate::{ImageDetails, RuntimeError};
use bollard::errors::Error as BollardError;

pub struct Docker {
    client: bollard::Docker,
    endpoint: String,
}

const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

impl Docker {
    /// Connects to DOCKER_HOST (or the default socket), negotiates the API
    /// version with the daemon and checks that it answers.
    pub async fn connect() -> Result<Docker, RuntimeError> {
        let endpoint = std::env::var("DOCKER_HOST").unwrap_or_else(|_| DEFAULT_SOCKET.to_string());
        let unavailable = |reason: String| RuntimeError::DaemonUnavailable { endpoint: endpoint.clone(), reason };
        let client = bollard::Docker::connect_with_host(&endpoint).map_err(|e| unavailable(e.to_string()))?;
        let client = client.negotiate_version().await.map_err(|e| unavailable(e.to_string()))?;
        client.ping().await.map_err(|e| unavailable(e.to_string()))?;
        tracing::debug!(endpoint = %endpoint, api = ?client.client_version(), "connected to docker");
        Ok(Docker { client, endpoint })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Details of a local image, or `ImageNotFound`.
    pub async fn inspect_image(&self, image: &str) -> Result<ImageDetails, RuntimeError> {
        let info = self.client.inspect_image(image).await.map_err(|e| match e {
            BollardError::DockerResponseServerError { status_code: 404, .. } => {
                RuntimeError::ImageNotFound { image: image.to_string() }
            }
            other => self.api_error("inspect image", other),
        })?;
        let config = info.config.unwrap_or_default();
        Ok(ImageDetails {
            id: info.id.unwrap_or_default(),
            user: config.user.unwrap_or_default(),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            env: config.env.unwrap_or_default(),
            entrypoint: config.entrypoint.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
            os: info.os.unwrap_or_default(),
            architecture: info.architecture.unwrap_or_default(),
        })
    }

    fn api_error(&self, operation: &str, e: BollardError) -> RuntimeError {
        match e {
            BollardError::HyperResponseError { .. } | BollardError::IOError { .. } => {
                RuntimeError::DaemonUnavailable { endpoint: self.endpoint.clone(), reason: e.to_string() }
            }
            other => RuntimeError::Api { operation: operation.to_string(), message: other.to_string() },
        }
    }
}
