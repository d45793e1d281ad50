//! A minimal token server (the distribution token spec) for
//! `Registry::start_with_tokens`: RS256 JWTs signed with `token/key.pk8`,
//! whose self-signed certificate `token/cert.pem` the registry trusts,
//! granting `pull` on `devc-test/public/*` to anyone and whatever is asked to
//! `USER`/`PASSWORD` (Basic). Records what it was asked.

use crate::support::{token_fixture, PASSWORD, TOKEN_ISSUER, TOKEN_SERVICE, USER};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the token server saw: (had Basic credentials, scope asked for).
pub type TokenRequests = Arc<std::sync::Mutex<Vec<(bool, String)>>>;

pub struct TokenServer {
    pub addr: String,
    pub requests: TokenRequests,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenServer {
    pub fn start() -> TokenServer {
        use base64::Engine as _;
        let key = std::fs::read(token_fixture("key.pk8")).expect("token/key.pk8");
        let pem = std::fs::read_to_string(token_fixture("cert.pem")).expect("token/cert.pem");
        let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        // x5c holds standard base64 DER.
        base64::engine::general_purpose::STANDARD.decode(&der_b64).expect("cert.pem is PEM");
        let key = ring::signature::RsaKeyPair::from_pkcs8(&key).expect("key.pk8 is an RSA PKCS#8 key");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests: TokenRequests = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, s) = (requests.clone(), stop.clone());
        let basic = {
            use base64::Engine as _;
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}")))
        };
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let mut buf = vec![0u8; 16384];
                let n = conn.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let target = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                let query = target.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
                let scope = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "scope").map(|(_, v)| v.into_owned()).unwrap_or_default();
                let auth = request.lines().find_map(|l| l.strip_prefix("Authorization: ").or_else(|| l.strip_prefix("authorization: "))).map(str::trim);
                let authenticated = auth == Some(basic.as_str());
                seen.lock().unwrap().push((auth.is_some(), scope.clone()));
                if auth.is_some() && !authenticated {
                    let _ = write!(conn, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                }
                // scope = repository:<name>:<actions>
                let mut access = Vec::new();
                let parts: Vec<&str> = scope.splitn(3, ':').collect();
                if let [kind, name, actions] = parts[..] {
                    let granted: Vec<&str> = actions
                        .split(',')
                        .filter(|a| authenticated || (*a == "pull" && name.starts_with("devc-test/public/")))
                        .collect();
                    access.push(serde_json::json!({"type": kind, "name": name, "actions": granted}));
                }
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [der_b64]});
                let claims = serde_json::json!({
                    "iss": TOKEN_ISSUER, "sub": if authenticated { USER } else { "" }, "aud": TOKEN_SERVICE,
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{n}"), "access": access
                });
                let signing_input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
                let mut signature = vec![0u8; key.public().modulus_len()];
                key.sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signing_input.as_bytes(), &mut signature).unwrap();
                let token = format!("{signing_input}.{}", b64url(&signature));
                let body = serde_json::json!({"token": token, "access_token": token, "expires_in": 300}).to_string();
                let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        TokenServer { addr, requests, stop, thread: Some(thread) }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
