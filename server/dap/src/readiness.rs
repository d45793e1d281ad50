//! Readiness: when is the launched server ready? Either a pattern over its
//! streamed output (VS Code `serverReadyAction`-compatible: case-insensitive,
//! one capture group, `uriFormat` with `%s`) or a probe with Kubernetes
//! semantics (`exec` in the container, `httpGet` / `tcpSocket` against the
//! container's address from the host), whichever says so first.

use devc_runtime::{ExecRequest, OutputChunk, Runtime};
use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// VS Code's default `serverReadyAction.pattern`.
pub const DEFAULT_PATTERN: &str = r"listening on.* (https?://\S+|[0-9]+)";

#[derive(Clone, Debug, PartialEq)]
pub struct Readiness {
    pub pattern: Option<String>,
    pub uri_format: Option<String>,
    pub probe: Option<Probe>,
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
    /// `notify` (default) or `openExternally`: carried in the ready event for
    /// the editor to act on.
    pub action: String,
    pub kill_on_failure: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Probe {
    Exec { command: Vec<String> },
    HttpGet { host: Option<String>, port: u16, path: String, headers: Vec<(String, String)> },
    TcpSocket { host: Option<String>, port: u16 },
}

/// What readiness found: where the server is.
#[derive(Clone, Debug, PartialEq)]
pub struct Ready {
    pub uri: Option<String>,
    pub port: Option<u16>,
}

fn err(key: &str, expected: &str, got: &Value) -> String {
    format!("launch argument `readiness.{key}`: expected {expected}, got {got}")
}

fn seconds(m: &Map<String, Value>, key: &str, default: f64, min: f64) -> Result<Duration, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Duration::from_secs_f64(default)),
        Some(v) => match v.as_f64() {
            Some(s) if s.is_finite() && s >= min && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(err(key, &format!("a number of seconds, at least {min}"), v)),
        },
    }
}

fn count(m: &Map<String, Value>, key: &str, default: u32) -> Result<u32, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().filter(|n| (1..=1_000_000).contains(n)).map(|n| n as u32).ok_or_else(|| err(key, "a whole number, at least 1", v)),
    }
}

fn port(m: &Map<String, Value>, key: &str) -> Result<u16, String> {
    match m.get("port") {
        Some(v) => v.as_u64().filter(|p| (1..=65535).contains(p)).map(|p| p as u16).ok_or_else(|| err(&format!("{key}.port"), "a port number (1-65535)", v)),
        None => Err(format!("launch argument `readiness.{key}.port` is required")),
    }
}

fn host(m: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match m.get("host") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(v) => Err(err(&format!("{key}.host"), "a host name or address", v)),
    }
}

impl Readiness {
    pub fn from_json(v: &Value) -> Result<Readiness, String> {
        let Value::Object(m) = v else { return Err(format!("launch argument `readiness`: expected an object, got {v}")) };
        let probe = match m.get("probe") {
            None | Some(Value::Null) => None,
            Some(p) => Some(Probe::from_json(p)?),
        };
        let pattern = match m.get("pattern") {
            None | Some(Value::Null) => probe.is_none().then(|| DEFAULT_PATTERN.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => return Err(err("pattern", "a regular expression", v)),
        };
        if let Some(p) = &pattern {
            compile(p)?;
        }
        let uri_format = match m.get("uriFormat") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.matches("%s").count() <= 1 => Some(s.clone()),
            Some(v) => return Err(err("uriFormat", "a string with at most one %s, e.g. \"http://localhost:%s\"", v)),
        };
        let action = match m.get("action") {
            None | Some(Value::Null) => "notify".to_string(),
            Some(Value::String(s)) if s == "notify" || s == "openExternally" => s.clone(),
            Some(v) => return Err(err("action", "\"notify\" or \"openExternally\"", v)),
        };
        let kill_on_failure = match m.get("killOnReadinessFailure") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => return Err(err("killOnReadinessFailure", "true or false", v)),
        };
        Ok(Readiness {
            pattern,
            uri_format,
            probe,
            initial_delay: seconds(m, "initialDelaySeconds", 0.0, 0.0)?,
            period: seconds(m, "periodSeconds", 10.0, 0.1)?,
            timeout: seconds(m, "timeoutSeconds", 1.0, 0.1)?,
            success_threshold: count(m, "successThreshold", 1)?,
            failure_threshold: count(m, "failureThreshold", 3)?,
            action,
            kill_on_failure,
        })
    }

    /// The exec probe's command (so variables can be substituted in it).
    pub fn exec_command(&self) -> Option<Vec<String>> {
        match &self.probe {
            Some(Probe::Exec { command }) => Some(command.clone()),
            _ => None,
        }
    }

    pub fn set_exec_command(&mut self, cmd: Vec<String>) {
        if let Some(Probe::Exec { command }) = &mut self.probe {
            *command = cmd;
        }
    }

    pub fn matcher(&self) -> Option<Matcher> {
        let re = compile(self.pattern.as_deref()?).ok()?;
        Some(Matcher { re, uri_format: self.uri_format.clone(), line: String::new() })
    }
}

impl Probe {
    fn from_json(v: &Value) -> Result<Probe, String> {
        let Value::Object(m) = v else { return Err(format!("launch argument `readiness.probe`: expected an object, got {v}")) };
        let kinds: Vec<&String> = m.keys().filter(|k| ["exec", "httpGet", "tcpSocket"].contains(&k.as_str())).collect();
        let [kind] = kinds.as_slice() else {
            return Err("launch argument `readiness.probe`: give exactly one of `exec`, `httpGet`, `tcpSocket`".into());
        };
        let Some(Value::Object(p)) = m.get(kind.as_str()) else {
            return Err(format!("launch argument `readiness.probe.{kind}`: expected an object"));
        };
        match kind.as_str() {
            "exec" => {
                let command: Vec<String> = p
                    .get("command")
                    .and_then(|c| serde_json::from_value(c.clone()).ok())
                    .filter(|c: &Vec<String>| !c.is_empty())
                    .ok_or_else(|| "launch argument `readiness.probe.exec.command`: expected a non-empty array of strings, e.g. [\"test\", \"-e\", \"/tmp/ready\"]".to_string())?;
                Ok(Probe::Exec { command })
            }
            "httpGet" => {
                let path = match p.get("path") {
                    None | Some(Value::Null) => "/".to_string(),
                    Some(Value::String(s)) if s.starts_with('/') => s.clone(),
                    Some(v) => return Err(err("probe.httpGet.path", "a path starting with /", v)),
                };
                match p.get("scheme").and_then(Value::as_str) {
                    None => {}
                    Some(s) if s.eq_ignore_ascii_case("http") => {}
                    Some(s) => return Err(format!("launch argument `readiness.probe.httpGet.scheme`: {s} is not supported (only HTTP); use a tcpSocket or exec probe for HTTPS servers")),
                }
                let mut headers = Vec::new();
                if let Some(list) = p.get("httpHeaders") {
                    let items = list.as_array().ok_or_else(|| err("probe.httpGet.httpHeaders", "an array of {name, value}", list))?;
                    for h in items {
                        match (h.get("name").and_then(Value::as_str), h.get("value").and_then(Value::as_str)) {
                            (Some(n), Some(v)) if !n.contains(['\r', '\n', ':']) && !v.contains(['\r', '\n']) => headers.push((n.to_string(), v.to_string())),
                            _ => return Err(err("probe.httpGet.httpHeaders", "entries {\"name\": …, \"value\": …} without line breaks", h)),
                        }
                    }
                }
                Ok(Probe::HttpGet { host: host(p, "probe.httpGet")?, port: port(p, "probe.httpGet")?, path, headers })
            }
            _ => Ok(Probe::TcpSocket { host: host(p, "probe.tcpSocket")?, port: port(p, "probe.tcpSocket")? }),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Probe::Exec { command } => format!("exec {}", command.join(" ")),
            Probe::HttpGet { port, path, .. } => format!("GET :{port}{path}"),
            Probe::TcpSocket { port, .. } => format!("tcp :{port}"),
        }
    }
}

fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("launch argument `readiness.pattern`: not a valid regular expression: {e}"))
}

/// Longest partial line kept for matching (a server that never prints a
/// newline must not make matching quadratic).
const MAX_LINE: usize = 16 * 1024;

/// Matches the pattern over output as it streams, line by line (a partial
/// line is matched too, so a prompt without a newline is seen at once).
pub struct Matcher {
    re: Regex,
    uri_format: Option<String>,
    line: String,
}

impl Matcher {
    /// Feeds output text; `Some` the first time the pattern matches.
    pub fn feed(&mut self, text: &str) -> Option<Ready> {
        let mut rest = text;
        while !rest.is_empty() {
            let (piece, complete) = match rest.find('\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            rest = if complete { &rest[piece.len() + 1..] } else { "" };
            if self.line.len() + piece.len() > MAX_LINE {
                self.line.clear();
            }
            self.line.push_str(piece);
            let found = self.re.captures(&self.line).map(|c| self.ready(c.get(1).map(|m| m.as_str())));
            if complete {
                self.line.clear();
            }
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// VS Code's rule: a capture of digits is a port on localhost; other
    /// captures are the URI; `uriFormat` (with `%s`) overrides.
    fn ready(&self, captured: Option<&str>) -> Ready {
        let uri = match (captured, &self.uri_format) {
            (Some(c), Some(f)) => Some(f.replacen("%s", c, 1)),
            (Some(c), None) if c.bytes().all(|b| b.is_ascii_digit()) => Some(format!("http://localhost:{c}")),
            (Some(c), None) => Some(c.to_string()),
            (None, Some(f)) if !f.contains("%s") => Some(f.clone()),
            (None, _) => None,
        };
        let port = captured.and_then(|c| c.parse::<u16>().ok()).or_else(|| uri.as_deref().and_then(uri_port));
        Ready { uri, port }
    }
}

/// The port of `scheme://host:port/…`, or the scheme's default.
fn uri_port(uri: &str) -> Option<u16> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || host_port.starts_with('[') => p.parse().ok(),
        _ => match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        },
    }
}

/// Where probes run: the container, as whom, and its address from the host.
pub struct ProbeTarget {
    pub container: String,
    pub user: String,
    pub env: Vec<String>,
    /// The container's IP (reachable from the host on Linux); else loopback.
    pub address: Option<String>,
}

impl ProbeTarget {
    /// The probe's own `host`, else the container's address, else loopback.
    pub fn host(&self, probe_host: &Option<String>) -> String {
        probe_host.clone().or_else(|| self.address.clone()).unwrap_or_else(|| "127.0.0.1".into())
    }
}

/// One probe attempt, bounded by `timeout`; `Err` says why it failed.
pub async fn attempt<R: Runtime>(rt: &R, probe: &Probe, target: &ProbeTarget, timeout: Duration) -> Result<(), String> {
    match probe {
        Probe::Exec { command } => {
            let request = ExecRequest {
                container: target.container.clone(),
                cmd: command.clone(),
                env: target.env.clone(),
                user: Some(target.user.clone()),
                ..ExecRequest::default()
            };
            let mut session = rt.exec(&request).await.map_err(|e| e.to_string())?;
            let mut tail = Vec::new();
            let drained = tokio::time::timeout(timeout, async {
                while let Some(chunk) = session.output.recv().await {
                    let (OutputChunk::Stdout(b) | OutputChunk::Stderr(b)) = chunk;
                    tail.extend_from_slice(&b);
                    let cut = tail.len().saturating_sub(200);
                    tail.drain(..cut);
                }
            })
            .await;
            if drained.is_err() {
                let _ = rt.exec_signal(&session.id, 9).await;
                return Err(format!("timed out after {}s", timeout.as_secs_f64()));
            }
            match rt.exec_wait(&session.id).await.map_err(|e| e.to_string())? {
                0 => Ok(()),
                code => Err(format!("exited with {code}{}", tail_text(&tail))),
            }
        }
        Probe::TcpSocket { host, port } => {
            let addr = (target.host(host), *port);
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect((addr.0.as_str(), addr.1))).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("{}:{}: {e}", addr.0, addr.1)),
                Err(_) => Err(format!("{}:{}: no connection within {}s", addr.0, addr.1, timeout.as_secs_f64())),
            }
        }
        Probe::HttpGet { host, port, path, headers } => {
            let h = target.host(host);
            match tokio::time::timeout(timeout, http_status(&h, *port, path, headers)).await {
                Ok(Ok(status)) if (200..400).contains(&status) => Ok(()),
                Ok(Ok(status)) => Err(format!("GET http://{h}:{port}{path}: status {status}")),
                Ok(Err(e)) => Err(format!("GET http://{h}:{port}{path}: {e}")),
                Err(_) => Err(format!("GET http://{h}:{port}{path}: no answer within {}s", timeout.as_secs_f64())),
            }
        }
    }
}

fn tail_text(tail: &[u8]) -> String {
    let t = String::from_utf8_lossy(tail);
    let t = t.trim();
    if t.is_empty() {
        String::new()
    } else {
        format!(": {t}")
    }
}

/// An HTTP/1.1 GET; the status code of the answer.
async fn http_status(host: &str, port: u16, path: &str, headers: &[(String, String)]) -> std::io::Result<u16> {
    let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
    let host_header = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: devc-probe\r\nAccept: */*\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok());
    status.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matcher(v: Value) -> Matcher {
        Readiness::from_json(&v).unwrap().matcher().unwrap()
    }

    #[test]
    fn default_pattern_port_and_uri() {
        let mut m = matcher(json!({}));
        assert_eq!(m.feed("starting\n"), None);
        assert_eq!(m.feed("Listening on port 8080\n"), Some(Ready { uri: Some("http://localhost:8080".into()), port: Some(8080) }));
        let mut m = matcher(json!({}));
        assert_eq!(m.feed("listening on http://0.0.0.0:3000/app"), Some(Ready { uri: Some("http://0.0.0.0:3000/app".into()), port: Some(3000) }));
    }

    #[test]
    fn matches_across_chunks_and_partial_lines() {
        let mut m = matcher(json!({ "pattern": "ready at (\\d+)", "uriFormat": "http://127.0.0.1:%s/health" }));
        assert_eq!(m.feed("noise\nread"), None);
        assert_eq!(m.feed("y at 50"), Some(Ready { uri: Some("http://127.0.0.1:50/health".into()), port: Some(50) }));
        // A line that completed does not match with the next one.
        let mut m = matcher(json!({ "pattern": "ab" }));
        assert_eq!(m.feed("a\n"), None);
        assert_eq!(m.feed("b\n"), None);
        assert_eq!(m.feed("xAB"), Some(Ready { uri: None, port: None }));
    }

    #[test]
    fn uri_ports() {
        assert_eq!(uri_port("http://h:81/x"), Some(81));
        assert_eq!(uri_port("https://h/x"), Some(443));
        assert_eq!(uri_port("http://[::1]:9/"), Some(9));
        assert_eq!(uri_port("nonsense"), None);
    }

    #[test]
    fn settings_and_errors() {
        let r = Readiness::from_json(&json!({ "probe": { "tcpSocket": { "port": 8080 } }, "periodSeconds": 0.5 })).unwrap();
        assert_eq!(r.pattern, None);
        assert_eq!(r.probe, Some(Probe::TcpSocket { host: None, port: 8080 }));
        assert_eq!((r.period, r.timeout, r.success_threshold, r.failure_threshold), (Duration::from_millis(500), Duration::from_secs(1), 1, 3));
        let bad = |v: Value| Readiness::from_json(&v).unwrap_err();
        assert!(bad(json!({ "pattern": "(" })).contains("readiness.pattern"));
        assert!(bad(json!({ "probe": { "tcpSocket": {} } })).contains("readiness.probe.tcpSocket.port"));
        assert!(bad(json!({ "probe": { "tcpSocket": { "port": 1 }, "exec": { "command": ["x"] } } })).contains("exactly one"));
        assert!(bad(json!({ "probe": { "exec": { "command": [] } } })).contains("probe.exec.command"));
        assert!(bad(json!({ "probe": { "httpGet": { "port": 1, "scheme": "HTTPS" } } })).contains("only HTTP"));
        assert!(bad(json!({ "failureThreshold": 0 })).contains("failureThreshold"));
        assert!(bad(json!({ "uriFormat": "%s%s" })).contains("uriFormat"));
        assert!(bad(json!({ "action": "explode" })).contains("action"));
    }
}
