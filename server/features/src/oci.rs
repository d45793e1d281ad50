//! The one OCI distribution client: manifests, blobs and tag lists of dev
//! container Features (`application/vnd.devcontainers` artifacts), plus plain
//! HTTPS downloads of tarball Features. Authentication follows the registry's
//! `WWW-Authenticate` challenge (Basic, or a Bearer token from the realm,
//! anonymous or with the credentials of [`crate::credentials`]); the header
//! that worked is reused per registry. Pushing a packaged Feature (what
//! `features publish` does) is here too. TLS is rustls (ring) with the platform's
//! roots; loopback registries (`localhost`, `127.*`, `::1`) speak plain HTTP,
//! as Docker allows for them without configuration.

use crate::credentials::{self, Credential};
use crate::reference::{is_loopback_registry, OciRef};
use crate::FeatureError;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const FEATURE_CONFIG_MEDIA_TYPE: &str = "application/vnd.devcontainers";
pub const FEATURE_LAYER_MEDIA_TYPE: &str = "application/vnd.devcontainers.layer.v1+tar";
pub const METADATA_ANNOTATION: &str = "dev.containers.metadata";

/// A fetched manifest: its bytes, digest and parsed JSON.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub digest: String,
    pub bytes: Vec<u8>,
    pub value: Value,
}

impl Manifest {
    /// The Feature layer (`layers[0]`): digest.
    pub fn layer_digest(&self) -> Option<&str> {
        self.value.get("layers")?.get(0)?.get("digest")?.as_str()
    }

    /// The `dev.containers.metadata` annotation (devcontainer-feature.json as text).
    pub fn metadata_annotation(&self) -> Option<&str> {
        self.value.get("annotations")?.get(METADATA_ANNOTATION)?.as_str()
    }
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub struct Client {
    http: reqwest::Client,
    /// Registry → Authorization header value that worked.
    auth: Mutex<HashMap<String, String>>,
}

impl Client {
    pub fn new() -> Result<Client, FeatureError> {
        // reqwest is built without a default provider; choose ring once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("devc/", env!("CARGO_PKG_VERSION"), " (devcontainer)"))
            .connect_timeout(Duration::from_secs(30))
            // Follow redirects (registries send blobs to CDNs), but never from
            // HTTPS down to plain HTTP: that would hand the install script to
            // anyone on the way.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt.previous().last().is_some_and(|u| u.scheme() == "https") && attempt.url().scheme() != "https";
                if downgrade {
                    attempt.error("refusing a redirect from https to plain http")
                } else if attempt.previous().len() >= 10 {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| FeatureError::Registry { reference: "(client)".into(), message: format!("cannot set up the HTTP client: {e}") })?;
        Ok(Client { http, auth: Mutex::new(HashMap::new()) })
    }

    fn base(registry: &str) -> String {
        let scheme = if is_loopback_registry(registry) { "http" } else { "https" };
        format!("{scheme}://{registry}")
    }

    /// The manifest of `r` at `reference` (a tag or digest). A media type
    /// other than a Feature's, or a digest other than `reference` when that is
    /// a digest, is an error.
    pub async fn manifest(&self, r: &OciRef, reference: &str) -> Result<Manifest, FeatureError> {
        let url = format!("{}/v2/{}/manifests/{reference}", Client::base(&r.registry), r.path());
        let shown = format!("{}:{reference}", r.resource()).replace(":sha256:", "@sha256:");
        let resp = self.get(r, &url, MANIFEST_MEDIA_TYPE).await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Err(FeatureError::Registry {
                reference: shown,
                message: format!("not found on {} (HTTP 404); check the Feature id and version, or that you may read it (docker login {})", r.registry, r.registry),
            });
        }
        let header_digest = resp.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = self.body(resp, &shown).await?;
        if !status.is_success() {
            return Err(http_error(&shown, status, &bytes, &r.registry));
        }
        let digest = sha256_digest(&bytes);
        if let Some(h) = header_digest.filter(|h| h.starts_with("sha256:") && *h != digest) {
            tracing::debug!("{shown}: Docker-Content-Digest {h} differs from the computed {digest}; using the computed one");
        }
        if reference.starts_with("sha256:") && reference != digest {
            return Err(FeatureError::Digest { reference: shown, expected: reference.into(), actual: digest });
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| FeatureError::Registry { reference: shown.clone(), message: format!("the manifest is not JSON: {e}") })?;
        let config_type = value.get("config").and_then(|c| c.get("mediaType")).and_then(Value::as_str).unwrap_or("");
        if config_type != FEATURE_CONFIG_MEDIA_TYPE {
            return Err(FeatureError::Registry {
                reference: shown,
                message: format!(
                    "this is not a dev container Feature (config media type '{config_type}', expected '{FEATURE_CONFIG_MEDIA_TYPE}')"
                ),
            });
        }
        Ok(Manifest { digest, bytes, value })
    }

    /// A blob of `r`, verified against `digest`.
    pub async fn blob(&self, r: &OciRef, digest: &str) -> Result<Vec<u8>, FeatureError> {
        let url = format!("{}/v2/{}/blobs/{digest}", Client::base(&r.registry), r.path());
        let shown = format!("{}@{digest}", r.resource());
        let resp = self.get(r, &url, "*/*").await?;
        let status = resp.status();
        let bytes = self.body(resp, &shown).await?;
        if !status.is_success() {
            return Err(http_error(&shown, status, &bytes, &r.registry));
        }
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(FeatureError::Digest { reference: shown, expected: digest.into(), actual });
        }
        Ok(bytes)
    }

    /// The tags of `r`'s repository.
    pub async fn tags(&self, r: &OciRef) -> Result<Vec<String>, FeatureError> {
        let url = format!("{}/v2/{}/tags/list", Client::base(&r.registry), r.path());
        let resp = self.get(r, &url, "application/json").await?;
        let status = resp.status();
        let bytes = self.body(resp, &r.resource()).await?;
        if !status.is_success() {
            return Err(http_error(&r.resource(), status, &bytes, &r.registry));
        }
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(v.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(|t| t.as_str().map(str::to_string)).collect())
    }

    /// A direct tarball download (`GITHUB_TOKEN` is sent to github.com).
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, FeatureError> {
        let mut req = self.http.get(url);
        if url.starts_with("https://github.com/") || url.starts_with("https://api.github.com/") {
            if let Some(token) = std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty()) {
                req = req.header(AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        let resp = req.send().await.map_err(|e| unreachable(url, &e))?;
        let status = resp.status();
        let bytes = self.body(resp, url).await?;
        if !status.is_success() {
            return Err(FeatureError::Registry {
                reference: url.into(),
                message: format!("download failed with HTTP {status}; check the URL{}", body_hint(&bytes)),
            });
        }
        Ok(bytes)
    }

    async fn body(&self, resp: reqwest::Response, shown: &str) -> Result<Vec<u8>, FeatureError> {
        resp.bytes().await.map(|b| b.to_vec()).map_err(|e| unreachable(shown, &e))
    }

    /// GET with the registry's cached authorization (see [`Client::send`]).
    async fn get(&self, r: &OciRef, url: &str, accept: &str) -> Result<reqwest::Response, FeatureError> {
        self.send(r, &|auth: Option<&str>| {
            let req = self.http.get(url).header(ACCEPT, accept);
            match auth {
                Some(a) => req.header(AUTHORIZATION, a),
                None => req,
            }
        })
        .await
    }

    /// Sends a request built by `build` with the registry's cached
    /// authorization; on 401/403 answers the challenge once and sends it again.
    async fn send(&self, r: &OciRef, build: &(dyn Fn(Option<&str>) -> reqwest::RequestBuilder + Sync)) -> Result<reqwest::Response, FeatureError> {
        let cached = self.auth.lock().ok().and_then(|m| m.get(&r.registry).cloned());
        let resp = build(cached.as_deref()).send().await.map_err(|e| unreachable(&r.to_string(), &e))?;
        if resp.status() != StatusCode::UNAUTHORIZED && resp.status() != StatusCode::FORBIDDEN {
            return Ok(resp);
        }
        let Some(challenge) = challenge(resp.headers()) else {
            return Ok(resp);
        };
        let header = self.answer(r, &challenge).await?;
        let retried = build(Some(&header)).send().await.map_err(|e| unreachable(&r.to_string(), &e))?;
        if retried.status() != StatusCode::UNAUTHORIZED {
            if let Ok(mut m) = self.auth.lock() {
                m.insert(r.registry.clone(), header);
            }
        }
        Ok(retried)
    }

    /// Pushes a packaged Feature (`archive`: its tar or tgz) as `r`'s tag with
    /// the dev container media types and the `dev.containers.metadata`
    /// annotation (`metadata`: devcontainer-feature.json), as
    /// `devcontainer features publish` does. Returns the manifest digest.
    pub async fn push_feature(&self, r: &OciRef, archive: &[u8], metadata: &str) -> Result<String, FeatureError> {
        let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
        let config: &[u8] = b"{}";
        self.upload_blob(r, config).await?;
        self.upload_blob(r, archive).await?;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": FEATURE_CONFIG_MEDIA_TYPE, "digest": sha256_digest(config), "size": config.len()},
            "layers": [{
                "mediaType": FEATURE_LAYER_MEDIA_TYPE,
                "digest": sha256_digest(archive),
                "size": archive.len(),
                "annotations": {"org.opencontainers.image.title": format!("devcontainer-feature-{}.tgz", r.id)}
            }],
            "annotations": {METADATA_ANNOTATION: metadata, "com.github.package.type": "devcontainer_feature"}
        });
        let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
        let url = format!("{}/v2/{}/manifests/{tag}", Client::base(&r.registry), r.path());
        let resp = self
            .send(r, &|auth: Option<&str>| {
                let req = self.http.put(&url).header("content-type", MANIFEST_MEDIA_TYPE).body(bytes.clone());
                match auth {
                    Some(a) => req.header(AUTHORIZATION, a),
                    None => req,
                }
            })
            .await?;
        let status = resp.status();
        let body = self.body(resp, &r.to_string()).await?;
        if !status.is_success() {
            return Err(http_error(&r.to_string(), status, &body, &r.registry));
        }
        Ok(sha256_digest(&bytes))
    }

    /// Monolithic blob upload (POST, then PUT with the digest), skipped when the blob exists.
    async fn upload_blob(&self, r: &OciRef, bytes: &[u8]) -> Result<(), FeatureError> {
        let digest = sha256_digest(bytes);
        let base = Client::base(&r.registry);
        let with_auth = |req: reqwest::RequestBuilder, auth: Option<&str>| match auth {
            Some(a) => req.header(AUTHORIZATION, a),
            None => req,
        };
        let head_url = format!("{base}/v2/{}/blobs/{digest}", r.path());
        let head = self.send(r, &|auth| with_auth(self.http.head(&head_url), auth)).await?;
        if head.status().is_success() {
            return Ok(());
        }
        let start_url = format!("{base}/v2/{}/blobs/uploads/", r.path());
        let start = self.send(r, &|auth| with_auth(self.http.post(&start_url).header("content-length", "0"), auth)).await?;
        let status = start.status();
        let location = start.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = self.body(start, &r.to_string()).await?;
        let location = match (status.is_success(), location) {
            (true, Some(l)) => l,
            _ => return Err(http_error(&r.to_string(), status, &body, &r.registry)),
        };
        let mut put_url = if location.starts_with("http://") || location.starts_with("https://") { location } else { format!("{base}{location}") };
        put_url.push(if put_url.contains('?') { '&' } else { '?' });
        put_url.push_str(&format!("digest={digest}"));
        let put = self
            .send(r, &|auth| with_auth(self.http.put(&put_url).header("content-type", "application/octet-stream").body(bytes.to_vec()), auth))
            .await?;
        let status = put.status();
        let body = self.body(put, &r.to_string()).await?;
        if !status.is_success() {
            return Err(http_error(&r.to_string(), status, &body, &r.registry));
        }
        Ok(())
    }

    /// The Authorization header for a challenge.
    async fn answer(&self, r: &OciRef, challenge: &Challenge) -> Result<String, FeatureError> {
        let credential = credentials::lookup(&r.registry).await;
        match challenge.scheme.as_str() {
            "basic" => match credential {
                Some(Credential::Basic(b)) => Ok(format!("Basic {b}")),
                _ => Err(FeatureError::Registry {
                    reference: r.resource(),
                    message: format!(
                        "{} asks for a user name and password and none is configured; run `docker login {}` (or set DEVCONTAINERS_OCI_AUTH={}|<user>|<token>)",
                        r.registry, r.registry, r.registry
                    ),
                }),
            },
            "bearer" => {
                let scope = challenge.params.get("scope").cloned().unwrap_or_else(|| format!("repository:{}:pull", r.path()));
                let token = self.bearer_token(r, challenge, &scope, credential).await?;
                Ok(format!("Bearer {token}"))
            }
            other => Err(FeatureError::Registry {
                reference: r.resource(),
                message: format!("the registry asks for '{other}' authentication, which is not supported (only Basic and Bearer)"),
            }),
        }
    }

    /// A token from the challenge's realm (https://distribution.github.io/distribution/spec/auth/token/).
    async fn bearer_token(&self, r: &OciRef, c: &Challenge, scope: &str, credential: Option<Credential>) -> Result<String, FeatureError> {
        let realm = c.params.get("realm").cloned().ok_or_else(|| FeatureError::Registry {
            reference: r.resource(),
            message: "the registry's Bearer challenge has no realm".into(),
        })?;
        let service = c.params.get("service").cloned().unwrap_or_default();
        let fail = |message: String| FeatureError::Registry { reference: r.resource(), message };
        let response = match &credential {
            Some(Credential::RefreshToken(token)) => {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", "devc")
                    .append_pair("grant_type", "refresh_token")
                    .append_pair("service", &service)
                    .append_pair("scope", scope)
                    .append_pair("refresh_token", token)
                    .finish();
                self.http
                    .post(&realm)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| unreachable(&r.to_string(), &e))?
            }
            _ => {
                let mut url = reqwest::Url::parse(&realm).map_err(|e| fail(format!("the token realm '{realm}' is not a URL: {e}")))?;
                url.query_pairs_mut().append_pair("service", &service).append_pair("scope", scope);
                let send = |basic: Option<&String>| {
                    let mut req = self.http.get(url.clone());
                    if let Some(b) = basic {
                        req = req.header(AUTHORIZATION, format!("Basic {b}"));
                    }
                    req.send()
                };
                let basic = match &credential {
                    Some(Credential::Basic(b)) => Some(b),
                    _ => None,
                };
                let first = send(basic).await.map_err(|e| unreachable(&r.to_string(), &e))?;
                if basic.is_some() && (first.status() == StatusCode::UNAUTHORIZED || first.status() == StatusCode::FORBIDDEN) {
                    tracing::info!("{}: the stored credentials were refused (HTTP {}); trying anonymously", r.registry, first.status());
                    send(None).await.map_err(|e| unreachable(&r.to_string(), &e))?
                } else {
                    first
                }
            }
        };
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| unreachable(&r.to_string(), &e))?;
        if !status.is_success() {
            return Err(fail(format!(
                "the token server {realm} refused access (HTTP {status}){}; run `docker login {}` if the Feature is private",
                body_hint(&bytes),
                r.registry
            )));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| fail(format!("the token server's answer is not JSON: {e}")))?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| fail("the token server's answer has no token".into()))
    }
}

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, PartialEq)]
pub struct Challenge {
    /// Lowercase: `basic`, `bearer`.
    pub scheme: String,
    pub params: HashMap<String, String>,
}

fn challenge(headers: &HeaderMap) -> Option<Challenge> {
    headers.get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).and_then(parse_challenge)
}

/// `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"`.
pub fn parse_challenge(text: &str) -> Option<Challenge> {
    let text = text.trim();
    let (scheme, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = HashMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else { break };
        let key = key.trim().trim_start_matches(',').trim().to_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.insert(key, value.to_string());
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge { scheme: scheme.to_lowercase(), params })
}

fn unreachable(what: &str, e: &reqwest::Error) -> FeatureError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    FeatureError::Unreachable { reference: what.to_string(), message }
}

fn body_hint(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", text.chars().take(200).collect::<String>())
    }
}

fn http_error(shown: &str, status: StatusCode, body: &[u8], registry: &str) -> FeatureError {
    let hint = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!("; run `docker login {registry}` if the Feature is private"),
        _ => String::new(),
    };
    FeatureError::Registry { reference: shown.into(), message: format!("the registry answered HTTP {status}{}{hint}", body_hint(body)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull""#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://ghcr.io/token");
        assert_eq!(c.params["service"], "ghcr.io");
        assert_eq!(c.params["scope"], "repository:a/b:pull");
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!((c.scheme.as_str(), c.params["realm"].as_str()), ("basic", "Registry Realm"));
        let c = parse_challenge("Bearer realm=https://x/token, service=x").unwrap();
        assert_eq!((c.params["realm"].as_str(), c.params["service"].as_str()), ("https://x/token", "x"));
    }

    #[test]
    fn digests_and_manifest_accessors() {
        assert_eq!(sha256_digest(b""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let m = Manifest {
            digest: "sha256:x".into(),
            bytes: vec![],
            value: serde_json::json!({"layers": [{"digest": "sha256:l"}], "annotations": {"dev.containers.metadata": "{\"id\":\"a\"}"}}),
        };
        assert_eq!(m.layer_digest(), Some("sha256:l"));
        assert_eq!(m.metadata_annotation(), Some("{\"id\":\"a\"}"));
    }
}
