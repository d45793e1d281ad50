//! Named volumes and networks: create (idempotent: an existing object of that
//! name is reused as it is) and remove (removing what is gone succeeds).

use super::{status, Docker};
use crate::Result;
use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use std::collections::{BTreeMap, HashMap};

fn labels_map(labels: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!labels.is_empty()).then(|| labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

impl Docker {
    /// Creates the named volume (the local driver) unless it exists; returns its name.
    pub async fn create_volume(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<String> {
        let client = self.api().await?;
        if let Ok(existing) = client.inspect_volume(name).await {
            return Ok(existing.name);
        }
        let request = VolumeCreateRequest { name: Some(name.to_string()), labels: labels_map(labels), ..Default::default() };
        let volume = client.create_volume(request).await.map_err(|e| self.api_error("create volume", e))?;
        Ok(volume.name)
    }

    /// Creates a bridge network unless one of that name exists; returns its id.
    pub async fn create_network(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<String> {
        let client = self.api().await?;
        if let Ok(existing) = client.inspect_network(name, None).await {
            if let Some(id) = existing.id {
                return Ok(id);
            }
        }
        let request = NetworkCreateRequest { name: name.to_string(), labels: labels_map(labels), ..Default::default() };
        let created = client.create_network(request).await.map_err(|e| self.api_error("create network", e))?;
        Ok(created.id)
    }

    /// Removes the network; one that does not exist is not an error.
    pub async fn remove_network(&self, name: &str) -> Result<()> {
        match self.api().await?.remove_network(name).await {
            Ok(()) => Ok(()),
            Err(e) if status(&e) == Some(404) => Ok(()),
            Err(e) => Err(self.api_error("remove network", e)),
        }
    }
}
