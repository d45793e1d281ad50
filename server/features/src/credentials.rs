//! Registry credentials, looked up as the reference CLI does, in order:
//! `DEVCONTAINERS_OCI_AUTH=registry|user|token,…`, the Docker config file
//! (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `credHelpers`,
//! `credsStore`, then `auths`), then `GITHUB_TOKEN` for ghcr.io. None means
//! anonymous access.

use base64::Engine as _;
use serde_json::Value;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// base64 of `user:secret`, sent as `Basic` (or to the token server).
    Basic(String),
    /// An identity (refresh) token, exchanged for a Bearer token with a POST.
    RefreshToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        match self {
            Credential::Basic(_) => f.write_str("Basic(…)"),
            Credential::RefreshToken(_) => f.write_str("RefreshToken(…)"),
        }
    }
}

fn basic(user: &str, secret: &str) -> Credential {
    Credential::Basic(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
}

/// The credential for `registry` (`host[:port]`), if any source has one.
pub async fn lookup(registry: &str) -> Option<Credential> {
    if let Some(c) = from_env_list(std::env::var("DEVCONTAINERS_OCI_AUTH").ok().as_deref(), registry) {
        tracing::debug!("registry {registry}: credentials from DEVCONTAINERS_OCI_AUTH");
        return Some(c);
    }
    if let Some(c) = from_docker_config(registry).await {
        return Some(c);
    }
    let github_host = std::env::var("GITHUB_HOST").unwrap_or_default();
    if registry == "ghcr.io" && (github_host.is_empty() || github_host == "github.com") {
        if let Ok(token) = std::env::var("GITHUB_TOKEN") {
            if !token.is_empty() {
                tracing::debug!("registry {registry}: using GITHUB_TOKEN");
                return Some(basic("USERNAME", &token));
            }
        }
    }
    tracing::debug!("registry {registry}: no credentials; accessing anonymously");
    None
}

/// `registry|user|token,registry2|user2|token2`.
pub fn from_env_list(value: Option<&str>, registry: &str) -> Option<Credential> {
    value?.split(',').find_map(|entry| {
        let mut parts = entry.splitn(3, '|');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(r), Some(user), Some(token)) if r.trim() == registry => Some(basic(user, token)),
            _ => None,
        }
    })
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// `https://index.docker.io/v1/` → `index.docker.io`.
fn auth_key_host(key: &str) -> &str {
    let k = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

async fn from_docker_config(registry: &str) -> Option<Credential> {
    let path = docker_config_path()?;
    let text = tokio::fs::read_to_string(&path).await.ok()?;
    let config: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("{}: not valid JSON ({e}); ignoring it for registry credentials", path.display());
            return None;
        }
    };
    let helper = config
        .get("credHelpers")
        .and_then(|h| h.get(registry))
        .and_then(Value::as_str)
        .or_else(|| config.get("credsStore").and_then(Value::as_str))
        .filter(|h| !h.is_empty());
    if let Some(helper) = helper {
        if let Some(c) = from_helper(helper, registry).await {
            return Some(c);
        }
    }
    let auths = config.get("auths").and_then(Value::as_object)?;
    let entry = auths.iter().find(|(k, _)| auth_key_host(k) == registry).map(|(_, v)| v)?;
    if let Some(token) = entry.get("identitytoken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        return Some(Credential::RefreshToken(token.to_string()));
    }
    let auth = entry.get("auth").and_then(Value::as_str).filter(|a| !a.is_empty())?;
    tracing::debug!("registry {registry}: credentials from {}", path.display());
    Some(Credential::Basic(auth.to_string()))
}

/// `docker-credential-<helper> get` with the registry on stdin.
async fn from_helper(helper: &str, registry: &str) -> Option<Credential> {
    let program = format!("docker-credential-{helper}");
    let mut child = tokio::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| tracing::debug!("cannot run {program}: {e}"))
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes()).await;
    }
    let out = child.wait_with_output().await.ok()?;
    if !out.status.success() || out.stdout.is_empty() {
        tracing::debug!("{program} has no credentials for {registry}");
        return None;
    }
    parse_helper_output(&out.stdout)
}

/// `{"Username": …, "Secret": …}`; the user `<token>` means an identity token.
pub fn parse_helper_output(stdout: &[u8]) -> Option<Credential> {
    let v: Value = serde_json::from_slice(stdout).ok()?;
    let user = v.get("Username").and_then(Value::as_str).unwrap_or_default();
    let secret = v.get("Secret").and_then(Value::as_str)?;
    if user == "<token>" {
        Some(Credential::RefreshToken(secret.to_string()))
    } else {
        Some(basic(user, secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_list_matches_the_registry() {
        let c = from_env_list(Some("a.io|u|t,b.io|me|secret"), "b.io").unwrap();
        assert_eq!(c, basic("me", "secret"));
        assert!(from_env_list(Some("a.io|u|t"), "c.io").is_none());
        assert!(from_env_list(None, "a.io").is_none());
    }

    #[test]
    fn helper_output_and_auth_keys() {
        assert_eq!(parse_helper_output(br#"{"Username":"<token>","Secret":"tok"}"#), Some(Credential::RefreshToken("tok".into())));
        assert_eq!(parse_helper_output(br#"{"Username":"u","Secret":"p"}"#), Some(basic("u", "p")));
        assert_eq!(parse_helper_output(b"oops"), None);
        assert_eq!(auth_key_host("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(auth_key_host("localhost:5000"), "localhost:5000");
        assert_eq!(format!("{:?}", basic("u", "p")), "Basic(…)");
    }
}
