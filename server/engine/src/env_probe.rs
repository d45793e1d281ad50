//! `userEnvProbe`: the environment a user's shell sets up (PATH additions from
//! `/etc/profile`, `~/.bashrc`, version managers…), read once per container start and
//! cached on the host, plus the environment of every process devc starts in the
//! container ([`exec_env`]).
//!
//! As the reference: the shell is the container's `$SHELL`, else the user's passwd
//! shell, else `/bin/sh`; it runs as the remote user with `-lic` / `-lc` / `-ic`
//! (`-Login -Command` / `-Command` for pwsh) and prints its environment between two
//! random markers (`/proc/self/environ`, or `printenv` when that gives nothing);
//! `PWD` is dropped; after 10 s devc gives up with an empty environment.
//!
//! Unlike the reference (which caches only with `--container-session-data-folder`,
//! in the container), the result is always cached on the host, keyed by container
//! id, `State.StartedAt`, user and mode: `devc exec` right after `devc up` pays no
//! probe, and a restart (new StartedAt) probes again.

use crate::error::EngineError;
use crate::process::capture_in_container;
pub use devc_config::model::UserEnvProbe;
use devc_config::SubstitutionContext;
use devc_runtime::{ContainerDetails, ExecRequest, OutputChunk, Runtime};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The reference gives up after 10 s.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// After this long the probe logs that it is still waiting.
const PROBE_SLOW: Duration = Duration::from_secs(2);
const CACHE_VERSION: u64 = 1;

/// The reference's spelling of a mode (`loginInteractiveShell`, …).
pub fn mode_name(mode: UserEnvProbe) -> &'static str {
    match mode {
        UserEnvProbe::None => "none",
        UserEnvProbe::LoginShell => "loginShell",
        UserEnvProbe::LoginInteractiveShell => "loginInteractiveShell",
        UserEnvProbe::InteractiveShell => "interactiveShell",
    }
}

/// Parses a mode name (`--default-user-env-probe`, merged `userEnvProbe`).
pub fn parse_mode(s: &str) -> Option<UserEnvProbe> {
    Some(match s {
        "none" => UserEnvProbe::None,
        "loginShell" => UserEnvProbe::LoginShell,
        "loginInteractiveShell" => UserEnvProbe::LoginInteractiveShell,
        "interactiveShell" => UserEnvProbe::InteractiveShell,
        _ => return None,
    })
}

/// The shell options for a mode (`None` for mode `none`).
pub fn shell_args(shell: &str, mode: UserEnvProbe) -> Option<Vec<&'static str>> {
    let name = shell.rsplit('/').next().unwrap_or(shell);
    let pwsh = name == "pwsh" || name == "pwsh-preview";
    Some(match (mode, pwsh) {
        (UserEnvProbe::None, _) => return None,
        (UserEnvProbe::LoginInteractiveShell | UserEnvProbe::LoginShell, true) => {
            vec!["-Login", "-Command"]
        }
        (UserEnvProbe::InteractiveShell, true) => vec!["-Command"],
        (UserEnvProbe::LoginInteractiveShell, false) => vec!["-lic"],
        (UserEnvProbe::LoginShell, false) => vec!["-lc"],
        (UserEnvProbe::InteractiveShell, false) => vec!["-ic"],
    })
}

/// One `/etc/passwd` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswdUser {
    pub name: String,
    pub uid: String,
    pub gid: String,
    pub home: String,
    pub shell: String,
}

/// Finds `name_or_id` (a name or a numeric uid; a `user:group` form is looked up by its
/// user part) in `/etc/passwd` text.
pub fn find_passwd_user(passwd: &str, name_or_id: &str) -> Option<PasswdUser> {
    let key = name_or_id.split(':').next().unwrap_or(name_or_id);
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.trim_end_matches('\r').split(':').collect();
        if f.len() < 7 || (f[0] != key && f[2] != key) {
            return None;
        }
        Some(PasswdUser {
            name: f[0].to_string(),
            uid: f[2].to_string(),
            gid: f[3].to_string(),
            home: f[5].to_string(),
            shell: f[6].to_string(),
        })
    })
}

/// What devc needs to know about the remote user inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUser {
    /// As given (name, uid or `user:group`).
    pub user: String,
    /// `None` when the user is not in `/etc/passwd` (or it could not be read).
    pub passwd: Option<PasswdUser>,
    /// Container `$SHELL`, else the passwd shell, else `/bin/sh`.
    pub shell: String,
    /// Container `$HOME`, else the passwd home, else `/root` (the reference's order).
    pub home: String,
}

/// `KEY=VALUE` list to map (first `=` splits; entries without one are skipped).
pub fn env_list_to_map(list: &[String]) -> HashMap<String, String> {
    list.iter()
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.is_empty()).cloned()
}

/// Reads `/etc/passwd` in the container (as `user`) and resolves shell and home.
pub async fn resolve_user<R: Runtime>(
    rt: &R,
    container: &ContainerDetails,
    user: &str,
) -> Result<ContainerUser, EngineError> {
    let out = capture_in_container(
        rt,
        ExecRequest {
            container: container.id.clone(),
            cmd: vec!["cat".into(), "/etc/passwd".into()],
            user: Some(user.to_string()),
            ..Default::default()
        },
    )
    .await?;
    let passwd = if out.exit_code == 0 {
        find_passwd_user(&out.stdout_text(), user)
    } else {
        None
    };
    if passwd.is_none() {
        tracing::warn!("user {user} not found in /etc/passwd of the container");
    }
    Ok(container_user(container, user, passwd))
}

/// Shell and home from the container env and a passwd entry (the pure part of [`resolve_user`]).
pub fn container_user(
    container: &ContainerDetails,
    user: &str,
    passwd: Option<PasswdUser>,
) -> ContainerUser {
    let env = env_list_to_map(&container.env);
    let shell = non_empty(env.get("SHELL"))
        .or_else(|| passwd.as_ref().and_then(|p| non_empty(Some(&p.shell))))
        .unwrap_or_else(|| "/bin/sh".to_string());
    let home = non_empty(env.get("HOME"))
        .or_else(|| passwd.as_ref().and_then(|p| non_empty(Some(&p.home))))
        .unwrap_or_else(|| "/root".to_string());
    ContainerUser {
        user: user.to_string(),
        passwd,
        shell,
        home,
    }
}

/// Where probe results are cached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProbeCache {
    /// [`default_cache_dir`].
    #[default]
    Default,
    Dir(PathBuf),
    Off,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProbeOptions {
    pub cache: ProbeCache,
    pub timeout: Duration,
    /// Use this shell instead of looking it up (when the caller resolved the user already).
    pub shell: Option<String>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            cache: ProbeCache::Default,
            timeout: PROBE_TIMEOUT,
            shell: None,
        }
    }
}

/// `$XDG_CACHE_HOME/devc/user-env`, else `~/.cache/devc/user-env`, else a per-user
/// folder in the temp dir.
pub fn default_cache_dir() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = var("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return x.join("devc").join("user-env");
    }
    if let Some(home) = var("HOME") {
        return home.join(".cache").join("devc").join("user-env");
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "user".to_string());
    std::env::temp_dir()
        .join(format!("devc-{}", sanitize(&user)))
        .join("user-env")
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The cache file for (container, user, mode) in `dir`. One file per triple: a
/// restart overwrites it, since the file also records `StartedAt` and a mismatch is a miss.
pub fn cache_file(dir: &Path, container_id: &str, user: &str, mode: UserEnvProbe) -> PathBuf {
    dir.join(format!(
        "{}-{:016x}-{}.json",
        sanitize(container_id),
        fnv1a(user),
        mode_name(mode)
    ))
}

/// Deletes the cached probe results of a container (for `devc down`: the files are
/// keyed to the container id and would otherwise stay behind). Returns how many went.
pub fn forget_container(dir: &Path, container_id: &str) -> usize {
    let prefix = format!("{}-", sanitize(container_id));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".json")
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

fn cache_dir(opts: &ProbeOptions) -> Option<PathBuf> {
    match &opts.cache {
        ProbeCache::Default => Some(default_cache_dir()),
        ProbeCache::Dir(d) => Some(d.clone()),
        ProbeCache::Off => None,
    }
}

fn read_cache(
    path: &Path,
    container: &ContainerDetails,
    user: &str,
    mode: UserEnvProbe,
) -> Option<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let field = |k: &str| v.get(k).and_then(Value::as_str);
    let matches = v.get("version").and_then(Value::as_u64) == Some(CACHE_VERSION)
        && field("containerId") == Some(container.id.as_str())
        && field("startedAt") == Some(container.state.started_at.as_str())
        && field("user") == Some(user)
        && field("mode") == Some(mode_name(mode));
    if !matches {
        return None;
    }
    let env = v.get("env")?.as_object()?;
    Some(
        env.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
    )
}

fn write_cache(
    path: &Path,
    container: &ContainerDetails,
    user: &str,
    mode: UserEnvProbe,
    env: &HashMap<String, String>,
) -> std::io::Result<()> {
    let mut sorted: Vec<(&String, &String)> = env.iter().collect();
    sorted.sort();
    let env_obj: Map<String, Value> = sorted
        .into_iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let doc = serde_json::json!({
        "version": CACHE_VERSION,
        "containerId": container.id,
        "startedAt": container.state.started_at,
        "user": user,
        "mode": mode_name(mode),
        "env": env_obj,
    });
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    // Write to a temporary name, then rename: readers never see half a file.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("env"),
        std::process::id()
    ));
    {
        let mut f = private_file(&tmp)?;
        std::io::Write::write_all(&mut f, doc.to_string().as_bytes())?;
    }
    std::fs::rename(&tmp, path)
}

/// The env may hold secrets: the folder is 0700 and files 0600 (on unix).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// A marker no profile script will print by accident: 32 hex digits from the
/// process's random hash keys, the time and a counter.
fn random_marker() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(n);
        h.write_usize(i);
        h.write_u32(std::process::id());
        *w = h.finish();
    }
    format!("{:016x}{:016x}", words[0], words[1])
}

/// The text between the first and the last `mark` (the reference's `mark([^]*)mark`),
/// split on `sep` into variables; `PWD` removed. `None` when nothing is between the
/// markers (the reference then falls back to `printenv`).
fn is_env_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn parse_probe_output(stdout: &[u8], mark: &str, sep: u8) -> Option<HashMap<String, String>> {
    let m = mark.as_bytes();
    let start = find(stdout, m)? + m.len();
    let end = rfind(&stdout[start..], m)? + start;
    let body = &stdout[start..end];
    if body.is_empty() {
        return None;
    }
    let mut env = HashMap::new();
    for entry in body.split(|&b| b == sep) {
        let entry = String::from_utf8_lossy(entry);
        if let Some((k, v)) = entry.split_once('=') {
            // Text a shell printed before the first entry (busybox's interactive
            // banner) ends in a newline: the name is what follows it.
            let k = k.rsplit('\n').next().unwrap_or(k);
            if is_env_name(k) {
                env.insert(k.to_string(), v.to_string());
            }
        }
    }
    env.remove("PWD");
    Some(env)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

enum ProbeRun {
    Env(HashMap<String, String>),
    Nothing,
    TimedOut,
}

/// The user's shell environment (see the module docs). Never fails: problems are
/// logged as warnings and give an empty map, as in the reference.
pub async fn probe<R: Runtime>(
    rt: &R,
    container: &ContainerDetails,
    user: &str,
    mode: UserEnvProbe,
) -> HashMap<String, String> {
    probe_with(rt, container, user, mode, &ProbeOptions::default()).await
}

/// [`probe`] with an explicit cache location, timeout or shell.
pub async fn probe_with<R: Runtime>(
    rt: &R,
    container: &ContainerDetails,
    user: &str,
    mode: UserEnvProbe,
    opts: &ProbeOptions,
) -> HashMap<String, String> {
    if mode == UserEnvProbe::None {
        tracing::debug!("userEnvProbe: none");
        return HashMap::new();
    }
    // Without StartedAt the container is not running; nothing can be keyed to the start.
    let cache_path = cache_dir(opts)
        .filter(|_| !container.state.started_at.is_empty())
        .map(|d| cache_file(&d, &container.id, user, mode));
    if let Some(path) = &cache_path {
        if let Some(env) = read_cache(path, container, user, mode) {
            tracing::debug!("userEnvProbe: cached result from {}", path.display());
            return env;
        }
    }
    let shell = match &opts.shell {
        Some(s) => s.clone(),
        None => match resolve_user(rt, container, user).await {
            Ok(u) => u.shell,
            Err(e) => {
                tracing::warn!("userEnvProbe: cannot read /etc/passwd ({e}); using /bin/sh");
                "/bin/sh".to_string()
            }
        },
    };
    tracing::info!("userEnvProbe: {} with {shell} as {user}", mode_name(mode));
    let started = std::time::Instant::now();
    let deadline = started + opts.timeout;
    let mut env = None;
    for (cmd, sep) in [("cat /proc/self/environ", 0u8), ("printenv", b'\n')] {
        if env.is_none() && sep == b'\n' {
            tracing::info!("userEnvProbe: falling back to printenv");
        }
        match run_probe(rt, container, user, &shell, mode, cmd, sep, deadline).await {
            Ok(ProbeRun::Env(e)) => {
                env = Some(e);
                break;
            }
            Ok(ProbeRun::Nothing) => continue,
            Ok(ProbeRun::TimedOut) => {
                tracing::warn!(
                    "userEnvProbe is taking longer than {} seconds. Avoid waiting for user input in your shell's startup scripts. Continuing with the container environment only",
                    opts.timeout.as_secs()
                );
                return HashMap::new();
            }
            Err(e) => {
                tracing::warn!(
                    "userEnvProbe failed: {e}. Continuing with the container environment only"
                );
                return HashMap::new();
            }
        }
    }
    let Some(env) = env else {
        tracing::warn!("userEnvProbe: {shell} printed no environment. Continuing with the container environment only");
        return HashMap::new();
    };
    tracing::debug!(
        "userEnvProbe: {} variables in {:?}",
        env.len(),
        started.elapsed()
    );
    if let Some(path) = &cache_path {
        if let Err(e) = write_cache(path, container, user, mode, &env) {
            tracing::warn!(
                "userEnvProbe: cannot write the cache {}: {e}",
                path.display()
            );
        }
    }
    env
}

#[allow(clippy::too_many_arguments)]
async fn run_probe<R: Runtime>(
    rt: &R,
    container: &ContainerDetails,
    user: &str,
    shell: &str,
    mode: UserEnvProbe,
    cmd: &str,
    sep: u8,
    deadline: std::time::Instant,
) -> Result<ProbeRun, EngineError> {
    let Some(args) = shell_args(shell, mode) else {
        return Ok(ProbeRun::Env(HashMap::new()));
    };
    let mark = random_marker();
    let mut argv = vec![shell.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv.push(format!("echo -n {mark}; {cmd}; echo -n {mark}"));
    let request = ExecRequest {
        container: container.id.clone(),
        cmd: argv,
        user: Some(user.to_string()),
        ..Default::default()
    };
    let deadline = tokio::time::Instant::from_std(deadline);
    let mut session = match tokio::time::timeout_at(deadline, rt.exec(&request)).await {
        Ok(s) => s?,
        Err(_) => return Ok(ProbeRun::TimedOut),
    };
    drop(session.stdin.take());
    let slow_at = tokio::time::Instant::now() + PROBE_SLOW;
    let mut slow_logged = false;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    loop {
        tokio::select! {
            chunk = session.output.recv() => match chunk {
                Some(OutputChunk::Stdout(b)) => stdout.extend_from_slice(&b),
                Some(OutputChunk::Stderr(b)) => {
                    if stderr.len() < 64 * 1024 {
                        stderr.extend_from_slice(&b);
                    }
                }
                None => break,
            },
            _ = tokio::time::sleep_until(slow_at), if !slow_logged => {
                slow_logged = true;
                tracing::info!("userEnvProbe is taking longer than 2 seconds ({shell} {})", args.join(" "));
            }
            _ = tokio::time::sleep_until(deadline) => {
                // Do not leave a shell waiting for input behind.
                if let Err(e) = rt.exec_signal(&session.id, 9).await {
                    tracing::debug!("userEnvProbe: could not kill the probe: {e}");
                }
                return Ok(ProbeRun::TimedOut);
            }
        }
    }
    let exit_code = rt.exec_wait(&session.id).await.unwrap_or(-1);
    if !stderr.is_empty() {
        tracing::debug!(
            "userEnvProbe stderr (exit {exit_code}): {}",
            String::from_utf8_lossy(&stderr).trim_end()
        );
    }
    Ok(match parse_probe_output(&stdout, &mark, sep) {
        Some(env) => ProbeRun::Env(env),
        None => ProbeRun::Nothing,
    })
}

/// The environment of processes devc starts as the remote user (hooks, `devc exec`):
/// `{...probed, ...cli_remote_env, ...config_remote_env}` as the reference, where
/// `cli_remote_env` are the `--remote-env K=V` values (literal) and `config_remote_env`
/// is the merged `remoteEnv` object: `${containerEnv:VAR}` in its values resolves
/// against `container_env` (the container's `Config.Env`) with devc-config's
/// substitution engine, and a `null` value removes the variable from the list.
///
/// Docker starts exec'd processes with the container's `Config.Env` and then applies
/// this list, so a variable removed here but set in the container env stays set.
/// Probed variables come first in name order; later layers overwrite in place.
pub fn exec_env(
    container_env: &[String],
    probed: &HashMap<String, String>,
    cli_remote_env: &[String],
    config_remote_env: &Map<String, Value>,
) -> Result<Vec<String>, EngineError> {
    let mut out: IndexMap<String, String> = IndexMap::new();
    let mut probed: Vec<(&String, &String)> = probed.iter().collect();
    probed.sort();
    for (k, v) in probed {
        out.insert(k.clone(), v.clone());
    }
    for entry in cli_remote_env {
        match entry.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            _ => {
                return Err(EngineError::Invalid(format!(
                    "--remote-env {entry:?} is not KEY=VALUE; write it as --remote-env NAME=value"
                )))
            }
        }
    }
    let ctx = SubstitutionContext {
        container_env: Some(env_list_to_map(container_env)),
        ..Default::default()
    };
    let resolved = ctx.substitute_container_env(&Value::Object(config_remote_env.clone()))?;
    if let Value::Object(m) = resolved {
        for (k, v) in m {
            match v {
                Value::Null => {
                    out.shift_remove(&k);
                }
                Value::String(s) => {
                    out.insert(k, s);
                }
                Value::Bool(_) | Value::Number(_) => {
                    out.insert(k, v.to_string());
                }
                Value::Array(_) | Value::Object(_) => {
                    return Err(EngineError::Invalid(format!(
                        "remoteEnv.{k} must be a string or null, found {v}; fix it in devcontainer.json"
                    )))
                }
            }
        }
    }
    Ok(out.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_banners_do_not_become_variables() {
        let out = b"MARK\n\nBusyBox v1.35.0 built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\nHOSTNAME=box\0HOME=/home/dev\0=bad\0\x31X=no\0MARK";
        let env = parse_probe_output(out, "MARK", 0).unwrap();
        assert_eq!(env.get("HOSTNAME").map(String::as_str), Some("box"));
        assert_eq!(env.get("HOME").map(String::as_str), Some("/home/dev"));
        assert_eq!(env.len(), 2, "{env:?}");
    }
    use serde_json::json;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        dev:x:1000:1000:Dev,,,:/home/dev:/usr/bin/zsh\r\n\
        broken-line\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    #[test]
    fn passwd_lookup_by_name_uid_and_user_group() {
        let dev = find_passwd_user(PASSWD, "dev").unwrap();
        assert_eq!(
            (dev.uid.as_str(), dev.home.as_str(), dev.shell.as_str()),
            ("1000", "/home/dev", "/usr/bin/zsh")
        );
        assert_eq!(find_passwd_user(PASSWD, "1000").unwrap().name, "dev");
        assert_eq!(find_passwd_user(PASSWD, "dev:dev").unwrap().name, "dev");
        assert_eq!(find_passwd_user(PASSWD, "0").unwrap().shell, "/bin/bash");
        assert!(find_passwd_user(PASSWD, "ghost").is_none());
        assert!(find_passwd_user(PASSWD, "broken-line").is_none());
    }

    #[test]
    fn shell_and_home_precedence() {
        let mut c = ContainerDetails::default();
        let p = find_passwd_user(PASSWD, "dev");
        let u = container_user(&c, "dev", p.clone());
        assert_eq!(
            (u.shell.as_str(), u.home.as_str()),
            ("/usr/bin/zsh", "/home/dev")
        );
        c.env = vec![
            "SHELL=/bin/fish".into(),
            "HOME=/custom".into(),
            "EMPTY=".into(),
        ];
        let u = container_user(&c, "dev", p);
        assert_eq!(
            (u.shell.as_str(), u.home.as_str()),
            ("/bin/fish", "/custom")
        );
        let u = container_user(&ContainerDetails::default(), "ghost", None);
        assert_eq!((u.shell.as_str(), u.home.as_str()), ("/bin/sh", "/root"));
        c.env = vec!["SHELL=".into()];
        assert_eq!(container_user(&c, "x", None).shell, "/bin/sh");
    }

    #[test]
    fn shell_args_per_mode() {
        assert_eq!(
            shell_args("/bin/bash", UserEnvProbe::LoginInteractiveShell),
            Some(vec!["-lic"])
        );
        assert_eq!(
            shell_args("/bin/sh", UserEnvProbe::LoginShell),
            Some(vec!["-lc"])
        );
        assert_eq!(
            shell_args("zsh", UserEnvProbe::InteractiveShell),
            Some(vec!["-ic"])
        );
        assert_eq!(shell_args("/bin/sh", UserEnvProbe::None), None);
        assert_eq!(
            shell_args("/opt/microsoft/pwsh", UserEnvProbe::LoginShell),
            Some(vec!["-Login", "-Command"])
        );
        assert_eq!(
            shell_args("pwsh-preview", UserEnvProbe::InteractiveShell),
            Some(vec!["-Command"])
        );
    }

    #[test]
    fn mode_names_round_trip() {
        for m in [
            UserEnvProbe::None,
            UserEnvProbe::LoginShell,
            UserEnvProbe::LoginInteractiveShell,
            UserEnvProbe::InteractiveShell,
        ] {
            assert_eq!(parse_mode(mode_name(m)), Some(m));
            // Same spelling as the config model's serde names.
            assert_eq!(serde_json::to_value(m).unwrap(), json!(mode_name(m)));
        }
        assert_eq!(parse_mode("bogus"), None);
    }

    #[test]
    fn parse_between_markers() {
        let mark = "abc123";
        let out = b"motd noise\nabc123PATH=/a:/b\0PWD=/x\0EQ=a=b\0MULTI=1\n2\0NOEQ\0abc123trailing";
        let env = parse_probe_output(out, mark, 0).unwrap();
        assert_eq!(env.get("PATH").unwrap(), "/a:/b");
        assert_eq!(env.get("EQ").unwrap(), "a=b");
        assert_eq!(env.get("MULTI").unwrap(), "1\n2");
        assert!(!env.contains_key("PWD") && !env.contains_key("NOEQ"));
        // printenv form.
        let env = parse_probe_output(b"abc123A=1\nB=2\nabc123", mark, b'\n').unwrap();
        assert_eq!(env.len(), 2);
        // Nothing between the markers, or a marker missing: fall back.
        assert!(parse_probe_output(b"abc123abc123", mark, 0).is_none());
        assert!(parse_probe_output(b"abc123A=1", mark, 0).is_none());
        assert!(parse_probe_output(b"", mark, 0).is_none());
    }

    #[test]
    fn markers_are_unique() {
        let a = random_marker();
        let b = random_marker();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    fn details(id: &str, started: &str) -> ContainerDetails {
        let mut c = ContainerDetails {
            id: id.into(),
            ..Default::default()
        };
        c.state.started_at = started.into();
        c
    }

    #[test]
    fn cache_round_trip_and_key_checks() {
        let dir = tempfile::tempdir().unwrap();
        let c = details("c0ffee", "2024-01-01T00:00:00.1Z");
        let path = cache_file(dir.path(), &c.id, "dev", UserEnvProbe::LoginShell);
        let env: HashMap<String, String> = [
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "x\0y".to_string()),
        ]
        .into();
        write_cache(&path, &c, "dev", UserEnvProbe::LoginShell, &env).unwrap();
        assert_eq!(
            read_cache(&path, &c, "dev", UserEnvProbe::LoginShell),
            Some(env)
        );
        // A restart (new StartedAt) or another user/mode is a miss.
        let restarted = details("c0ffee", "2024-01-02T00:00:00Z");
        assert!(read_cache(&path, &restarted, "dev", UserEnvProbe::LoginShell).is_none());
        assert!(read_cache(&path, &c, "root", UserEnvProbe::LoginShell).is_none());
        assert!(read_cache(&path, &c, "dev", UserEnvProbe::InteractiveShell).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // Different users and modes get different files; odd characters are safe.
        assert_ne!(
            path,
            cache_file(dir.path(), &c.id, "root", UserEnvProbe::LoginShell)
        );
        let odd = cache_file(dir.path(), "../x", "a/b", UserEnvProbe::LoginShell);
        assert_eq!(odd.parent(), Some(dir.path()));
        // `devc down` forgets a container's files, and only its own.
        let other = details("beef", "x");
        write_cache(
            &cache_file(dir.path(), "beef", "dev", UserEnvProbe::LoginShell),
            &other,
            "dev",
            UserEnvProbe::LoginShell,
            &HashMap::new(),
        )
        .unwrap();
        write_cache(
            &cache_file(dir.path(), &c.id, "dev", UserEnvProbe::InteractiveShell),
            &c,
            "dev",
            UserEnvProbe::InteractiveShell,
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(forget_container(dir.path(), &c.id), 2);
        assert!(!path.exists());
        assert!(cache_file(dir.path(), "beef", "dev", UserEnvProbe::LoginShell).exists());
        assert_eq!(forget_container(&dir.path().join("missing"), "x"), 0);
        write_cache(&path, &c, "dev", UserEnvProbe::LoginShell, &HashMap::new()).unwrap();
        // A corrupt file is a miss.
        std::fs::write(&path, "{not json").unwrap();
        assert!(read_cache(&path, &c, "dev", UserEnvProbe::LoginShell).is_none());
    }

    #[test]
    fn exec_env_order_and_deletion() {
        let probed: HashMap<String, String> = [
            ("PATH", "/probe/bin:/usr/bin"),
            ("A", "probe"),
            ("GONE", "x"),
            ("KEEP", "k"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let cli = vec![
            "A=cli".to_string(),
            "B=cli=with=eq".to_string(),
            "E=".to_string(),
        ];
        let remote = json!({
            "B": "config",
            "GONE": null,
            "CPATH": "${containerEnv:PATH}:/extra",
            "DEF": "${containerEnv:MISSING:fallback}",
            "LIT": "$(touch /tmp/x) ${localEnv:HOME}",
            "N": 3
        });
        let env = exec_env(
            &["PATH=/usr/local/bin:/usr/bin".to_string()],
            &probed,
            &cli,
            remote.as_object().unwrap(),
        )
        .unwrap();
        assert_eq!(
            env,
            vec![
                "A=cli",
                "KEEP=k",
                "PATH=/probe/bin:/usr/bin",
                "B=config",
                "E=",
                "CPATH=/usr/local/bin:/usr/bin:/extra",
                "DEF=fallback",
                "LIT=$(touch /tmp/x) ${localEnv:HOME}",
                "N=3",
            ]
        );
    }

    #[test]
    fn exec_env_errors() {
        let e = exec_env(&[], &HashMap::new(), &["NOEQ".to_string()], &Map::new()).unwrap_err();
        assert!(e.to_string().contains("--remote-env"), "{e}");
        let remote = json!({"X": "${containerEnv}"});
        assert!(exec_env(&[], &HashMap::new(), &[], remote.as_object().unwrap()).is_err());
        let remote = json!({"X": ["a"]});
        let e = exec_env(&[], &HashMap::new(), &[], remote.as_object().unwrap()).unwrap_err();
        assert!(e.to_string().contains("remoteEnv.X"), "{e}");
    }
}
