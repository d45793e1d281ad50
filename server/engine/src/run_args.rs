//! devcontainer.json `runArgs`: `docker run` flags, parsed the way the docker CLI
//! (pflag) parses them and applied onto a [`ContainerSpec`].
//!
//! Accepted forms: `--flag value`, `--flag=value`, `-f value`, `-fvalue`, `-f=value`,
//! combined boolean shorts (`-it`, `-itp 80`), and for boolean flags `--flag`,
//! `--flag=true|false` (a following `false` is *not* a value, as in docker).
//!
//! Semantics follow `docker run`:
//! - scalar settings: the later flag wins; an empty value (`--userns=`, `--network=`)
//!   resets the setting to the runtime default;
//! - lists accumulate (env, labels, mounts, ports, capabilities, …);
//! - `--env-file` entries rank below every `-e` (including the `containerEnv` entries
//!   the engine already put into `spec.env`), and `--label-file` entries rank below
//!   every `-l`, whatever their position — docker reads the files first;
//! - env entries with the same key replace each other in place, later wins (what the
//!   daemon does); a bare `-e KEY` takes the host value, or, when the host has none,
//!   stays bare so the daemon unsets `KEY` in the container;
//! - relative paths (`--env-file`, `--label-file`, `--security-opt seccomp=FILE`,
//!   `-v ./src:/dst`, `--mount type=bind,src=rel`) resolve against `base_dir`, the folder
//!   docker would have been run from (the workspace folder).
//!
//! Flags that make no sense for a long-lived dev container (`--rm`, `-d`, …) are
//! accepted with a [`RunArgsWarning`]; docker flags devc cannot carry yet and unknown
//! flags are errors naming the flag, its index and what to do. On error `spec` is left
//! unchanged.

use devc_config::{parse_mount, ConfigError, MountType};
use devc_runtime::{
    ContainerSpec, DeviceMapping, GpuRequest, MountKind, MountSpec, PortBinding, Ulimit,
};
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Where users can look up `docker run` flags.
pub const DOCKER_RUN_REFERENCE: &str =
    "https://docs.docker.com/reference/cli/docker/container/run/";

/// A flag that was accepted but has no effect, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunArgsWarning {
    /// The flag as written (`--rm`, `-d`, `-v`).
    pub flag: String,
    /// Its index in `runArgs`.
    pub index: usize,
    pub message: String,
}

impl fmt::Display for RunArgsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` in runArgs[{}]: {}",
            self.flag, self.index, self.message
        )
    }
}

/// Why `runArgs` could not be applied. Every variant names the flag (as written) and
/// its index in `runArgs`, and says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunArgsError {
    #[error("unknown docker run flag `{flag}` in runArgs[{index}]{}: remove it or use a supported flag (see {})", did_you_mean(.suggestion), DOCKER_RUN_REFERENCE)]
    UnknownFlag {
        flag: String,
        index: usize,
        suggestion: Option<String>,
    },
    #[error("docker run flag `{flag}` in runArgs[{index}] is not supported by devc yet: remove it from runArgs{}", hint_suffix(.hint))]
    UnsupportedFlag {
        flag: String,
        index: usize,
        hint: Option<String>,
    },
    #[error("missing value for `{flag}` at the end of runArgs (runArgs[{index}]): add the value as the next runArgs entry, or write `{flag}=VALUE`")]
    MissingValue { flag: String, index: usize },
    #[error("invalid value for `{flag}` in runArgs[{index}]: `{value}` ({reason})")]
    InvalidValue {
        flag: String,
        index: usize,
        value: String,
        reason: String,
    },
    #[error("unexpected argument `{arg}` in runArgs[{index}]: {hint}")]
    UnexpectedArgument {
        arg: String,
        index: usize,
        hint: String,
    },
    #[error("cannot read `{}` given to `{flag}` in runArgs[{index}]: {reason}; fix the path (relative paths resolve against the workspace folder) or create the file", .path.display())]
    File {
        flag: String,
        index: usize,
        path: PathBuf,
        reason: String,
    },
    #[error("`{}` line {line} (from `{flag}` in runArgs[{index}]): {reason}", .path.display())]
    FileLine {
        flag: String,
        index: usize,
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

fn did_you_mean(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

fn hint_suffix(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" ({s})"),
        None => String::new(),
    }
}

impl RunArgsError {
    /// The flag (or argument) as written in runArgs.
    pub fn flag(&self) -> &str {
        match self {
            RunArgsError::UnknownFlag { flag, .. }
            | RunArgsError::UnsupportedFlag { flag, .. }
            | RunArgsError::MissingValue { flag, .. }
            | RunArgsError::InvalidValue { flag, .. }
            | RunArgsError::File { flag, .. }
            | RunArgsError::FileLine { flag, .. } => flag,
            RunArgsError::UnexpectedArgument { arg, .. } => arg,
        }
    }

    /// The index in runArgs of the offending entry.
    pub fn index(&self) -> usize {
        match self {
            RunArgsError::UnknownFlag { index, .. }
            | RunArgsError::UnsupportedFlag { index, .. }
            | RunArgsError::MissingValue { index, .. }
            | RunArgsError::InvalidValue { index, .. }
            | RunArgsError::UnexpectedArgument { index, .. }
            | RunArgsError::File { index, .. }
            | RunArgsError::FileLine { index, .. } => *index,
        }
    }
}

// ---------------------------------------------------------------------------
// The flag table
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arity {
    Bool,
    Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handling {
    /// Mapped onto the spec.
    Apply,
    /// Accepted with a warning carrying this reason.
    Ignore(&'static str),
    /// A real docker run flag devc cannot carry; optional hint.
    Unsupported(Option<&'static str>),
}

#[derive(Debug)]
struct FlagDef {
    name: &'static str,
    aliases: &'static [&'static str],
    short: Option<char>,
    arity: Arity,
    handling: Handling,
}

const fn f(name: &'static str, short: Option<char>, arity: Arity) -> FlagDef {
    FlagDef {
        name,
        aliases: &[],
        short,
        arity,
        handling: Handling::Apply,
    }
}

const fn ignored(
    name: &'static str,
    short: Option<char>,
    arity: Arity,
    why: &'static str,
) -> FlagDef {
    FlagDef {
        name,
        aliases: &[],
        short,
        arity,
        handling: Handling::Ignore(why),
    }
}

const fn unsupported(name: &'static str, arity: Arity, hint: Option<&'static str>) -> FlagDef {
    FlagDef {
        name,
        aliases: &[],
        short: None,
        arity,
        handling: Handling::Unsupported(hint),
    }
}

use Arity::{Bool as B, Value as V};

const NOT_ATTACHED: &str =
    "ignored: devc starts the dev container in the background and never attaches to its main process";

static FLAGS: &[FlagDef] = &[
    // --- applied ---
    f("add-host", None, V),
    f("cap-add", None, V),
    f("cap-drop", None, V),
    f("cgroup-parent", None, V),
    f("cpu-shares", Some('c'), V),
    f("cpus", None, V),
    f("cpuset-cpus", None, V),
    f("device", None, V),
    f("device-cgroup-rule", None, V),
    f("dns", None, V),
    f("domainname", None, V),
    f("entrypoint", None, V),
    f("env", Some('e'), V),
    f("env-file", None, V),
    f("gpus", None, V),
    f("group-add", None, V),
    f("hostname", Some('h'), V),
    f("init", None, B),
    f("interactive", Some('i'), B),
    f("ipc", None, V),
    f("label", Some('l'), V),
    f("label-file", None, V),
    f("log-driver", None, V),
    f("log-opt", None, V),
    f("mac-address", None, V),
    f("memory", Some('m'), V),
    f("memory-swap", None, V),
    f("mount", None, V),
    f("name", None, V),
    FlagDef {
        aliases: &["net"],
        ..f("network", None, V)
    },
    FlagDef {
        aliases: &["net-alias"],
        ..f("network-alias", None, V)
    },
    f("oom-kill-disable", None, B),
    f("pid", None, V),
    f("pids-limit", None, V),
    f("platform", None, V),
    f("privileged", None, B),
    f("publish", Some('p'), V),
    f("publish-all", Some('P'), B),
    f("read-only", None, B),
    f("restart", None, V),
    f("runtime", None, V),
    f("security-opt", None, V),
    f("shm-size", None, V),
    f("stop-signal", None, V),
    f("storage-opt", None, V),
    f("sysctl", None, V),
    f("tmpfs", None, V),
    f("tty", Some('t'), B),
    f("ulimit", None, V),
    f("user", Some('u'), V),
    f("userns", None, V),
    f("uts", None, V),
    f("volume", Some('v'), V),
    f("workdir", Some('w'), V),
    // --- accepted with a warning ---
    ignored("attach", Some('a'), V, NOT_ATTACHED),
    ignored(
        "detach",
        Some('d'),
        B,
        "ignored: devc always creates and starts the dev container in the background",
    ),
    ignored("detach-keys", None, V, NOT_ATTACHED),
    ignored(
        "disable-content-trust",
        None,
        B,
        "ignored: image signature verification (Docker Content Trust) is a docker CLI feature devc does not implement",
    ),
    ignored(
        "pull",
        None,
        V,
        "ignored: devc pulls the image itself when it is missing; pull the image explicitly to update it",
    ),
    ignored(
        "quiet",
        Some('q'),
        B,
        "ignored: devc reports image pulls in its own log, docker run prints nothing",
    ),
    ignored(
        "rm",
        None,
        B,
        "ignored: a dev container is kept when it stops so it can be restarted and reused; remove it with `devc down`",
    ),
    ignored("sig-proxy", None, B, NOT_ATTACHED),
    // --- real docker run flags devc cannot carry yet ---
    unsupported("annotation", V, None),
    unsupported("blkio-weight", V, None),
    unsupported("blkio-weight-device", V, None),
    unsupported("cgroupns", V, None),
    unsupported("cidfile", V, None),
    unsupported("cpu-count", V, Some("a Windows-only flag")),
    unsupported("cpu-percent", V, Some("a Windows-only flag")),
    unsupported("cpu-period", V, Some("use --cpus")),
    unsupported("cpu-quota", V, Some("use --cpus")),
    unsupported("cpu-rt-period", V, None),
    unsupported("cpu-rt-runtime", V, None),
    unsupported("cpuset-mems", V, None),
    unsupported("device-read-bps", V, None),
    unsupported("device-read-iops", V, None),
    unsupported("device-write-bps", V, None),
    unsupported("device-write-iops", V, None),
    FlagDef {
        aliases: &["dns-opt"],
        ..unsupported("dns-option", V, None)
    },
    unsupported("dns-search", V, None),
    unsupported(
        "expose",
        V,
        Some("to reach a port from the host use forwardPorts, appPort or --publish"),
    ),
    unsupported("health-cmd", V, None),
    unsupported("health-interval", V, None),
    unsupported("health-retries", V, None),
    unsupported("health-start-interval", V, None),
    unsupported("health-start-period", V, None),
    unsupported("health-timeout", V, None),
    unsupported("help", B, Some("it only prints docker's help")),
    unsupported("io-maxbandwidth", V, Some("a Windows-only flag")),
    unsupported("io-maxiops", V, Some("a Windows-only flag")),
    unsupported("ip", V, None),
    unsupported("ip6", V, None),
    unsupported("isolation", V, Some("a Windows-only flag")),
    unsupported("kernel-memory", V, Some("the kernel no longer supports it")),
    unsupported(
        "link",
        V,
        Some("legacy links: put the containers on one user-defined --network instead"),
    ),
    unsupported("link-local-ip", V, None),
    unsupported("memory-reservation", V, Some("use --memory")),
    unsupported("memory-swappiness", V, None),
    unsupported("no-healthcheck", B, None),
    unsupported("oom-score-adj", V, None),
    unsupported("stop-timeout", V, None),
    unsupported("use-api-socket", B, Some("bind-mount the docker socket with --mount instead")),
    unsupported("volume-driver", V, Some("create the volume beforehand with its driver")),
    unsupported("volumes-from", V, Some("use --mount or devcontainer.json mounts")),
];

fn lookup_long(name: &str) -> Option<&'static FlagDef> {
    FLAGS
        .iter()
        .find(|d| d.name == name || d.aliases.contains(&name))
}

fn lookup_short(c: char) -> Option<&'static FlagDef> {
    FLAGS.iter().find(|d| d.short == Some(c))
}

/// The flags [`apply_run_args`] maps onto the spec (long names with aliases and
/// shorthands, as they may be written).
pub fn supported_flags() -> Vec<String> {
    spelled(|h| h == Handling::Apply)
}

/// The flags accepted with a warning.
pub fn ignored_flags() -> Vec<String> {
    spelled(|h| matches!(h, Handling::Ignore(_)))
}

fn spelled(pred: impl Fn(Handling) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for d in FLAGS.iter().filter(|d| pred(d.handling)) {
        out.push(format!("--{}", d.name));
        out.extend(d.aliases.iter().map(|a| format!("--{a}")));
        out.extend(d.short.map(|c| format!("-{c}")));
    }
    out
}

// ---------------------------------------------------------------------------
// Scanning (pflag rules)
// ---------------------------------------------------------------------------

/// One flag occurrence.
struct Occ<'a> {
    def: &'static FlagDef,
    /// As written: `--memory`, `--net`, `-m`.
    written: String,
    index: usize,
    /// `None` for a bare boolean flag.
    value: Option<&'a str>,
}

impl Occ<'_> {
    fn val(&self) -> &str {
        self.value.unwrap_or("")
    }

    fn invalid(&self, reason: impl Into<String>) -> RunArgsError {
        RunArgsError::InvalidValue {
            flag: self.written.clone(),
            index: self.index,
            value: self.val().to_string(),
            reason: reason.into(),
        }
    }
}

/// Walks `args` and calls `visit` for each flag occurrence, in order.
fn scan<'a>(
    args: &'a [String],
    mut visit: impl FnMut(Occ<'a>) -> Result<(), RunArgsError>,
) -> Result<(), RunArgsError> {
    let mut i = 0;
    while i < args.len() {
        let index = i;
        let arg = args[i].as_str();
        i += 1;
        if arg == "--" || arg == "-" || !arg.starts_with('-') {
            let after_bool = index > 0
                && matches!(
                    arg.to_ascii_lowercase().as_str(),
                    "true" | "false" | "1" | "0"
                )
                && args[index - 1].starts_with('-')
                && !args[index - 1].contains('=');
            let hint = if after_bool {
                format!(
                    "a boolean flag takes its value after `=` (`{}={arg}`)",
                    args[index - 1]
                )
            } else if arg == "--" {
                "runArgs may only hold docker run flags; remove `--`".to_string()
            } else {
                "runArgs may only hold docker run flags (and their values); the image and command come from devcontainer.json".to_string()
            };
            return Err(RunArgsError::UnexpectedArgument {
                arg: arg.to_string(),
                index,
                hint,
            });
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let written = format!("--{name}");
            let def = lookup_long(name).ok_or_else(|| RunArgsError::UnknownFlag {
                flag: written.clone(),
                index,
                suggestion: None,
            })?;
            let value = match (def.arity, inline) {
                (_, Some(v)) => Some(v),
                (Arity::Bool, None) => None,
                (Arity::Value, None) => {
                    let v = args.get(i).ok_or_else(|| RunArgsError::MissingValue {
                        flag: written.clone(),
                        index,
                    })?;
                    i += 1;
                    Some(v.as_str())
                }
            };
            visit(Occ {
                def,
                written,
                index,
                value,
            })?;
            continue;
        }
        // Shorthand cluster: `-it`, `-eFOO=bar`, `-e=FOO=bar`, `-p 80`.
        let body = &arg[1..];
        let name = body.split_once('=').map_or(body, |(n, _)| n);
        if name.chars().count() >= 3 && lookup_long(name).is_some() {
            return Err(RunArgsError::UnknownFlag {
                flag: arg.split_once('=').map_or(arg, |(n, _)| n).to_string(),
                index,
                suggestion: Some(format!("--{name}")),
            });
        }
        let mut pos = 0;
        while pos < body.len() {
            let c = body[pos..].chars().next().unwrap_or_default();
            let rest = &body[pos + c.len_utf8()..];
            let written = format!("-{c}");
            let def = lookup_short(c).ok_or_else(|| RunArgsError::UnknownFlag {
                flag: written.clone(),
                index,
                suggestion: None,
            })?;
            let value = match def.arity {
                Arity::Bool => match rest.strip_prefix('=') {
                    Some(v) => {
                        pos = body.len();
                        Some(v)
                    }
                    None => {
                        pos += c.len_utf8();
                        None
                    }
                },
                Arity::Value => {
                    pos = body.len();
                    if rest.is_empty() {
                        let v = args.get(i).ok_or_else(|| RunArgsError::MissingValue {
                            flag: written.clone(),
                            index,
                        })?;
                        i += 1;
                        Some(v.as_str())
                    } else {
                        Some(rest.strip_prefix('=').unwrap_or(rest))
                    }
                }
            };
            visit(Occ {
                def,
                written,
                index,
                value,
            })?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Applying
// ---------------------------------------------------------------------------

/// Applies `runArgs` onto `spec`, looking bare `-e KEY` / env-file `KEY` entries up in
/// the process environment. See the module docs for the rules. On error `spec` is
/// unchanged.
pub fn apply_run_args(
    args: &[String],
    base_dir: &Path,
    spec: &mut ContainerSpec,
) -> Result<Vec<RunArgsWarning>, RunArgsError> {
    apply_run_args_with_env(args, base_dir, &|k| std::env::var(k).ok(), spec)
}

/// [`apply_run_args`] with an explicit host environment (for bare `KEY` entries).
pub fn apply_run_args_with_env(
    args: &[String],
    base_dir: &Path,
    host_env: &dyn Fn(&str) -> Option<String>,
    spec: &mut ContainerSpec,
) -> Result<Vec<RunArgsWarning>, RunArgsError> {
    let mut ctx = Ctx {
        base_dir,
        host_env,
        spec: spec.clone(),
        warnings: Vec::new(),
        file_env: Vec::new(),
        flag_env: Vec::new(),
        file_labels: Vec::new(),
        flag_labels: Vec::new(),
    };
    scan(args, |occ| ctx.apply(&occ))?;
    ctx.finish();
    *spec = ctx.spec;
    Ok(ctx.warnings)
}

struct Ctx<'a> {
    base_dir: &'a Path,
    host_env: &'a dyn Fn(&str) -> Option<String>,
    spec: ContainerSpec,
    warnings: Vec<RunArgsWarning>,
    file_env: Vec<String>,
    flag_env: Vec<String>,
    file_labels: Vec<(String, String)>,
    flag_labels: Vec<(String, String)>,
}

/// `None` for an empty value (docker: empty = default), else the value.
fn opt(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

impl Ctx<'_> {
    fn warn(&mut self, occ: &Occ, message: impl Into<String>) {
        self.warnings.push(RunArgsWarning {
            flag: occ.written.clone(),
            index: occ.index,
            message: message.into(),
        });
    }

    fn finish(&mut self) {
        if !self.file_env.is_empty() || !self.flag_env.is_empty() {
            let mut env = Vec::new();
            let existing = std::mem::take(&mut self.spec.env);
            for e in self
                .file_env
                .drain(..)
                .chain(existing)
                .chain(self.flag_env.drain(..))
            {
                set_env(&mut env, e);
            }
            self.spec.env = env;
        }
        for (k, v) in self.file_labels.drain(..) {
            self.spec.labels.entry(k).or_insert(v);
        }
        for (k, v) in self.flag_labels.drain(..) {
            self.spec.labels.insert(k, v);
        }
    }

    fn resolve(&self, p: &str) -> PathBuf {
        normalize(&self.base_dir.join(p))
    }

    fn apply(&mut self, occ: &Occ) -> Result<(), RunArgsError> {
        let def = occ.def;
        match def.handling {
            Handling::Apply => {}
            Handling::Ignore(why) => {
                if def.arity == Arity::Bool {
                    parse_bool_flag(occ)?;
                }
                self.warn(occ, why);
                return Ok(());
            }
            Handling::Unsupported(hint) => {
                return Err(RunArgsError::UnsupportedFlag {
                    flag: occ.written.clone(),
                    index: occ.index,
                    hint: hint.map(str::to_string),
                })
            }
        }
        if def.arity == Arity::Bool {
            let b = parse_bool_flag(occ)?;
            let s = &mut self.spec;
            match def.name {
                "init" => s.init = Some(b),
                "interactive" => s.interactive = b,
                "oom-kill-disable" => s.oom_kill_disable = Some(b),
                "privileged" => s.privileged = b,
                "publish-all" => s.publish_all = b,
                "read-only" => s.read_only = b,
                "tty" => s.tty = b,
                other => unreachable!("boolean flag {other} has no mapping"),
            }
            return Ok(());
        }
        let v = occ.val();
        match def.name {
            "add-host" => {
                let entry = parse_add_host(v).map_err(|r| occ.invalid(r))?;
                self.spec.extra_hosts.push(entry);
            }
            "cap-add" | "cap-drop" => {
                if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(occ.invalid("expected a capability name like SYS_PTRACE or ALL"));
                }
                let list = if def.name == "cap-add" {
                    &mut self.spec.cap_add
                } else {
                    &mut self.spec.cap_drop
                };
                list.push(v.to_string());
            }
            "cgroup-parent" => self.spec.cgroup_parent = opt(v),
            "cpu-shares" => {
                let n: i64 = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| occ.invalid("expected a non-negative integer like 1024"))?;
                self.spec.cpu_shares = Some(n);
            }
            "cpus" => {
                let n = parse_cpus(v).map_err(|r| occ.invalid(r))?;
                self.spec.nano_cpus = Some(n);
            }
            "cpuset-cpus" => {
                if !v.is_empty() && !valid_cpuset(v) {
                    return Err(occ.invalid("expected CPUs like 0-3 or 0,2"));
                }
                self.spec.cpuset_cpus = opt(v);
            }
            "device" => {
                let d = parse_device(v).map_err(|r| occ.invalid(r))?;
                self.spec.devices.push(d);
            }
            "device-cgroup-rule" => {
                if !valid_cgroup_rule(v) {
                    return Err(occ.invalid("expected a rule like 'c 42:* rmw': type a|b|c, major:minor (number or *), permissions from rwm"));
                }
                self.spec.device_cgroup_rules.push(v.to_string());
            }
            "dns" => {
                if v.parse::<std::net::IpAddr>().is_err() {
                    return Err(occ.invalid("expected an IP address like 8.8.8.8"));
                }
                self.spec.dns.push(v.to_string());
            }
            "domainname" => self.spec.domainname = opt(v),
            "entrypoint" => {
                self.spec.entrypoint = Some(if v.is_empty() {
                    Vec::new()
                } else {
                    vec![v.to_string()]
                });
            }
            "env" => {
                let entry = self.env_entry(v).map_err(|r| occ.invalid(r))?;
                self.flag_env.push(entry);
            }
            "env-file" => {
                let path = self.resolve(v);
                let entries = read_kv_file(occ, &path, |k| (self.host_env)(k))?;
                self.file_env.extend(entries);
            }
            "gpus" => {
                let g = parse_gpus(v).map_err(|r| occ.invalid(r))?;
                self.spec.gpus = Some(g);
            }
            "group-add" => {
                if v.is_empty() {
                    return Err(occ.invalid("expected a group name or id"));
                }
                self.spec.group_add.push(v.to_string());
            }
            "hostname" => self.spec.hostname = opt(v),
            "ipc" => self.spec.ipc = opt(v),
            "label" => {
                let (k, val) = v.split_once('=').unwrap_or((v, ""));
                if k.is_empty() {
                    return Err(occ.invalid("expected KEY=VALUE or KEY; the label name is empty"));
                }
                self.flag_labels.push((k.to_string(), val.to_string()));
            }
            "label-file" => {
                let path = self.resolve(v);
                let entries = read_kv_file(occ, &path, |_| None)?;
                for e in entries {
                    let (k, val) = e.split_once('=').unwrap_or((&e, ""));
                    self.file_labels.push((k.to_string(), val.to_string()));
                }
            }
            "log-driver" => self.spec.log_driver = opt(v),
            "log-opt" => {
                let (k, val) = split_kv(v)
                    .ok_or_else(|| occ.invalid("expected KEY=VALUE like max-size=10m"))?;
                self.spec.log_opts.insert(k, val);
            }
            "mac-address" => {
                if !v.is_empty() && !valid_mac(v) {
                    return Err(occ.invalid("expected a MAC address like 92:d0:c6:0a:29:33"));
                }
                self.spec.mac_address = opt(v);
            }
            "memory" => self.spec.memory = Some(size_value(occ)?),
            "memory-swap" => {
                self.spec.memory_swap = Some(if v == "-1" { -1 } else { size_value(occ)? });
            }
            "mount" => self.apply_mount(occ)?,
            "name" => {
                if !v.is_empty() && !valid_container_name(v) {
                    return Err(occ.invalid("expected a name of letters, digits and _.- that starts with a letter or digit, at least 2 characters"));
                }
                self.spec.name = opt(v);
            }
            "network" => self.spec.network = opt(v),
            "network-alias" => {
                if v.is_empty() {
                    return Err(occ.invalid("expected an alias name"));
                }
                self.spec.network_aliases.push(v.to_string());
            }
            "pid" => self.spec.pid = opt(v),
            "pids-limit" => {
                let n: i64 = v.parse().ok().filter(|n| *n >= -1).ok_or_else(|| {
                    occ.invalid("expected a number of processes, or -1 for unlimited")
                })?;
                self.spec.pids_limit = Some(n);
            }
            "platform" => {
                if !v.is_empty() && !valid_platform(v) {
                    return Err(occ.invalid("expected os[/arch[/variant]] like linux/amd64"));
                }
                self.spec.platform = opt(v);
            }
            "publish" => {
                let ports = parse_publish(v).map_err(|r| occ.invalid(r))?;
                self.spec.ports.extend(ports);
            }
            "restart" => {
                if !v.is_empty() && !valid_restart(v) {
                    return Err(occ.invalid(
                        "expected no, always, unless-stopped, on-failure or on-failure:N",
                    ));
                }
                self.spec.restart = opt(v);
            }
            "runtime" => self.spec.runtime = opt(v),
            "security-opt" => {
                let opt = self.security_opt(occ)?;
                self.spec.security_opt.push(opt);
            }
            "shm-size" => self.spec.shm_size = Some(size_value(occ)?),
            "stop-signal" => {
                if !v.is_empty()
                    && !v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
                {
                    return Err(occ.invalid("expected a signal like SIGTERM, TERM or 15"));
                }
                self.spec.stop_signal = opt(v);
            }
            "storage-opt" => {
                let (k, val) =
                    split_kv(v).ok_or_else(|| occ.invalid("expected KEY=VALUE like size=20G"))?;
                self.spec.storage_opt.insert(k, val);
            }
            "sysctl" => {
                let (k, val) = split_kv(v)
                    .ok_or_else(|| occ.invalid("expected KEY=VALUE like net.ipv4.ip_forward=1"))?;
                self.spec.sysctls.insert(k, val);
            }
            "tmpfs" => {
                let (path, opts) = v.split_once(':').unwrap_or((v, ""));
                if !path.starts_with('/') {
                    return Err(occ.invalid("expected an absolute container path, optionally with :options (/run:rw,size=64m)"));
                }
                self.spec.tmpfs.insert(path.to_string(), opts.to_string());
            }
            "ulimit" => {
                let u = parse_ulimit(v).map_err(|r| occ.invalid(r))?;
                self.spec.ulimits.retain(|x| x.name != u.name);
                self.spec.ulimits.push(u);
            }
            "user" => self.spec.user = opt(v),
            "userns" => self.spec.userns = opt(v),
            "uts" => self.spec.uts = opt(v),
            "volume" => self.apply_volume(occ)?,
            "workdir" => {
                if !v.is_empty() && !v.starts_with('/') {
                    return Err(occ.invalid("expected an absolute path in the container"));
                }
                self.spec.working_dir = opt(v);
            }
            other => unreachable!("flag {other} has no mapping"),
        }
        Ok(())
    }

    fn env_entry(&self, v: &str) -> Result<String, String> {
        match v.split_once('=') {
            Some(("", _)) => {
                Err("expected KEY=VALUE or KEY; the variable name is empty".to_string())
            }
            Some(_) => Ok(v.to_string()),
            None if v.is_empty() => Err("expected KEY=VALUE or KEY".to_string()),
            None => Ok(match (self.host_env)(v) {
                Some(host) => format!("{v}={host}"),
                // Bare: the daemon unsets the variable, as with docker.
                None => v.to_string(),
            }),
        }
    }

    fn security_opt(&self, occ: &Occ) -> Result<String, RunArgsError> {
        let v = occ.val();
        if v == "no-new-privileges" || v == "systempaths=unconfined" {
            return Ok(v.to_string());
        }
        let (k, val) = v
            .split_once('=')
            .or_else(|| v.split_once(':'))
            .ok_or_else(|| {
                occ.invalid("expected KEY=VALUE like seccomp=unconfined, apparmor=PROFILE, label=disable or no-new-privileges")
            })?;
        if k.is_empty() {
            return Err(occ.invalid("the option name is empty"));
        }
        if k == "seccomp" && val != "unconfined" && val != "builtin" && !val.is_empty() {
            // docker run reads the profile file and sends its JSON.
            let path = self.resolve(val);
            let text = std::fs::read_to_string(&path).map_err(|e| RunArgsError::File {
                flag: occ.written.clone(),
                index: occ.index,
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| RunArgsError::File {
                    flag: occ.written.clone(),
                    index: occ.index,
                    path: path.clone(),
                    reason: format!("the seccomp profile is not valid JSON: {e}"),
                })?;
            return Ok(format!("seccomp={json}"));
        }
        Ok(v.to_string())
    }

    fn apply_volume(&mut self, occ: &Occ) -> Result<(), RunArgsError> {
        let v = occ.val();
        let vol = parse_volume(v).map_err(|r| occ.invalid(r))?;
        let (kind, source) = match vol.source {
            None => (MountKind::Volume, None),
            Some(src) if is_host_path(&src) => (MountKind::Bind, Some(src)),
            Some(src) if src.starts_with('.') => (
                MountKind::Bind,
                Some(self.resolve(&src).to_string_lossy().into_owned()),
            ),
            Some(src) => {
                if !valid_volume_name(&src) {
                    let tilde = if src.starts_with('~') {
                        "; `~` is not expanded, use ${localEnv:HOME}"
                    } else {
                        ""
                    };
                    return Err(occ.invalid(format!(
                        "`{src}` is neither an absolute or ./relative host path nor a valid volume name (letters, digits and _.-, starting with a letter or digit){tilde}"
                    )));
                }
                (MountKind::Volume, Some(src))
            }
        };
        for o in &vol.dropped {
            let what = match o.as_str() {
                "z" | "Z" => "the SELinux relabeling option",
                "nocopy" => "the volume option",
                _ => "the bind propagation option",
            };
            self.warn(
                occ,
                format!("{what} `{o}` in `{v}` is ignored: devc cannot pass mount options to the runtime yet"),
            );
        }
        self.spec.mounts.push(MountSpec {
            kind,
            source,
            target: vol.target,
            readonly: vol.readonly,
        });
        Ok(())
    }

    fn apply_mount(&mut self, occ: &Occ) -> Result<(), RunArgsError> {
        let v = occ.val();
        let m = parse_mount(v).map_err(|e| match e {
            ConfigError::InvalidMount { reason, .. } => occ.invalid(reason),
            other => occ.invalid(other.to_string()),
        })?;
        if m.external.is_some() {
            return Err(occ.invalid(
                "`external` is only valid in devcontainer.json `mounts`; docker run rejects it",
            ));
        }
        if !m.target.starts_with('/') {
            return Err(occ.invalid("target must be an absolute path in the container"));
        }
        let kind = match m.kind {
            MountType::Bind => MountKind::Bind,
            MountType::Volume => MountKind::Volume,
            MountType::Tmpfs => MountKind::Tmpfs,
            other => {
                return Err(occ.invalid(format!(
                    "mount type `{other}` is not supported by devc (use bind, volume or tmpfs)"
                )))
            }
        };
        let prefix = match kind {
            MountKind::Bind => "bind-",
            MountKind::Volume => "volume-",
            MountKind::Tmpfs => "tmpfs-",
        };
        let mut tmpfs_opts = Vec::new();
        let mut dropped = Vec::new();
        for (key, val) in &m.options {
            let known = matches!(
                key.as_str(),
                "bind-propagation"
                    | "bind-nonrecursive"
                    | "bind-recursive"
                    | "bind-create-src"
                    | "volume-nocopy"
                    | "volume-label"
                    | "volume-driver"
                    | "volume-opt"
                    | "volume-subpath"
                    | "tmpfs-size"
                    | "tmpfs-mode"
            );
            if !known {
                return Err(occ.invalid(format!("unexpected key `{key}` (docker run rejects it)")));
            }
            if !key.starts_with(prefix) {
                return Err(occ.invalid(format!("`{key}` cannot be used with type={}", m.kind)));
            }
            let val = val.as_deref().unwrap_or("");
            match key.as_str() {
                "tmpfs-size" => {
                    let n = parse_size(val).ok_or_else(|| {
                        occ.invalid(format!("tmpfs-size=`{val}` is not a size like 64m"))
                    })?;
                    tmpfs_opts.push(format!("size={n}"));
                }
                "tmpfs-mode" => {
                    if val.is_empty() || u32::from_str_radix(val, 8).is_err() {
                        return Err(occ.invalid(format!(
                            "tmpfs-mode=`{val}` is not an octal mode like 1777"
                        )));
                    }
                    tmpfs_opts.push(format!("mode={val}"));
                }
                _ => dropped.push(if val.is_empty() {
                    key.clone()
                } else {
                    format!("{key}={val}")
                }),
            }
        }
        for o in dropped {
            self.warn(
                occ,
                format!("mount option `{o}` is ignored: devc cannot pass mount options to the runtime yet"),
            );
        }
        let source = match kind {
            MountKind::Tmpfs => {
                if m.source.as_deref().is_some_and(|s| !s.is_empty()) {
                    return Err(occ.invalid("a tmpfs mount takes no source"));
                }
                if !tmpfs_opts.is_empty() {
                    // Only the tmpfs map carries size/mode.
                    if m.readonly {
                        tmpfs_opts.insert(0, "ro".to_string());
                    }
                    self.spec.tmpfs.insert(m.target, tmpfs_opts.join(","));
                    return Ok(());
                }
                None
            }
            MountKind::Bind => {
                let src = m.source.unwrap_or_default();
                Some(if is_host_path(&src) {
                    src
                } else {
                    self.resolve(&src).to_string_lossy().into_owned()
                })
            }
            MountKind::Volume => match m.source.filter(|s| !s.is_empty()) {
                None => None,
                Some(src) if valid_volume_name(&src) => Some(src),
                Some(src) => {
                    return Err(occ.invalid(format!(
                        "`{src}` is not a valid volume name (letters, digits and _.-, starting with a letter or digit); for a host folder use type=bind"
                    )))
                }
            },
        };
        self.spec.mounts.push(MountSpec {
            kind,
            source,
            target: m.target,
            readonly: m.readonly,
        });
        Ok(())
    }
}

/// `KEY=VALUE` entries replace an entry with the same key in place (later wins), else
/// append — what the daemon does with `Config.Env`.
fn set_env(env: &mut Vec<String>, entry: String) {
    let key = entry.split_once('=').map_or(entry.as_str(), |(k, _)| k);
    let found = env
        .iter()
        .position(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) == key);
    match found {
        Some(i) => env[i] = entry,
        None => env.push(entry),
    }
}

fn split_kv(v: &str) -> Option<(String, String)> {
    match v.split_once('=') {
        Some((k, val)) if !k.is_empty() => Some((k.to_string(), val.to_string())),
        _ => None,
    }
}

/// Lexically removes `.` and `..` components.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// An absolute host path: `/x`, `C:\x`, `C:/x` or `\\server\share`.
fn is_host_path(s: &str) -> bool {
    s.starts_with('/') || s.starts_with("\\\\") || has_drive(s)
}

fn has_drive(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

// ---------------------------------------------------------------------------
// Value parsers
// ---------------------------------------------------------------------------

/// Go's `strconv.ParseBool`, as pflag uses for boolean flags.
fn parse_bool_flag(occ: &Occ) -> Result<bool, RunArgsError> {
    match occ.value {
        None => Ok(true),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(_) => Err(occ.invalid("expected true or false")),
    }
}

fn size_value(occ: &Occ) -> Result<i64, RunArgsError> {
    parse_size(occ.val()).ok_or_else(|| occ.invalid("expected a size like 512m or 4g"))
}

/// Docker's `RAMInBytes`: a number with an optional binary unit `b`, `k`, `m`, `g`,
/// `t`, `p` (case-insensitive, optionally followed by `i` and/or `b`: `6gb`, `4GiB`);
/// a plain number is bytes.
pub fn parse_size(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut j = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if j == 0 {
        return None;
    }
    let int_end = j;
    if b.get(j) == Some(&b'.') {
        let frac = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        j += 1 + frac;
    }
    let number = &s[..j];
    let mut rest = s[j..].to_ascii_lowercase();
    if rest.starts_with(' ') {
        rest.remove(0);
    }
    let (shift, mut unit) = match rest.chars().next() {
        Some('k') => (10, &rest[1..]),
        Some('m') => (20, &rest[1..]),
        Some('g') => (30, &rest[1..]),
        Some('t') => (40, &rest[1..]),
        Some('p') => (50, &rest[1..]),
        _ => (0, rest.as_str()),
    };
    if shift > 0 {
        unit = unit.strip_prefix('i').unwrap_or(unit);
    }
    unit = unit.strip_prefix('b').unwrap_or(unit);
    if !unit.is_empty() {
        return None;
    }
    if j == int_end {
        let n: i128 = number.parse().ok()?;
        i64::try_from(n.checked_mul(1i128 << shift)?).ok()
    } else {
        let n: f64 = number.parse().ok()?;
        let bytes = n * (1u64 << shift) as f64;
        (bytes < i64::MAX as f64).then_some(bytes as i64)
    }
}

/// `--cpus` (a decimal number of CPUs) in billionths of a CPU.
fn parse_cpus(s: &str) -> Result<i64, String> {
    const EXPECTED: &str = "expected a number of CPUs like 2 or 1.5";
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(EXPECTED.to_string());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 9 {
        return Err("too precise: at most 9 decimal places".to_string());
    }
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| "too large".to_string())?
    };
    let frac_n: i64 = format!("{frac:0<9}").parse().unwrap_or(0);
    int.checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(frac_n))
        .ok_or_else(|| "too large".to_string())
}

fn valid_cpuset(s: &str) -> bool {
    s.split(',').all(|part| {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let num = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
        num(a) && num(b)
    })
}

fn valid_cgroup_rule(s: &str) -> bool {
    let parts: Vec<&str> = s.split(' ').collect();
    let [kind, numbers, perms] = parts.as_slice() else {
        return false;
    };
    let num = |x: &str| x == "*" || (!x.is_empty() && x.bytes().all(|c| c.is_ascii_digit()));
    matches!(*kind, "a" | "b" | "c")
        && numbers
            .split_once(':')
            .is_some_and(|(maj, min)| num(maj) && num(min))
        && valid_device_mode(perms)
}

fn valid_device_mode(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 3
        && s.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
        && s.chars().enumerate().all(|(i, c)| !s[..i].contains(c))
}

/// Docker's `host[:container[:perms]]` (a 2nd part that is a mode like `rwm` is the mode).
fn parse_device(s: &str) -> Result<DeviceMapping, String> {
    if !s.starts_with('/') && s.contains('=') {
        return Err(
            "CDI device names (vendor.com/class=name) are not supported by devc yet; give a host device path like /dev/ttyUSB0"
                .to_string(),
        );
    }
    let parts: Vec<&str> = s.split(':').collect();
    let (host, container, perms) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, m] if valid_device_mode(m) => (*h, *h, *m),
        [h, c] => (*h, *c, "rwm"),
        [h, c, m] => (*h, *c, *m),
        _ => return Err("expected host-path[:container-path[:permissions]]".to_string()),
    };
    if !host.starts_with('/') {
        return Err("the host device must be an absolute path like /dev/ttyUSB0".to_string());
    }
    if !container.starts_with('/') {
        return Err("the container path must be absolute".to_string());
    }
    if !valid_device_mode(perms) {
        return Err(format!("permissions `{perms}` must be letters from rwm"));
    }
    Ok(DeviceMapping {
        host_path: host.to_string(),
        container_path: container.to_string(),
        permissions: perms.to_string(),
    })
}

/// Splits CSV fields at commas outside double quotes (`""` inside quotes is a quote).
fn split_csv(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if quoted {
        return Err("a quoted value is never closed with '\"'".to_string());
    }
    fields.push(cur);
    Ok(fields)
}

/// `--gpus`: `all`, `N`, or `count=…,device=…,capabilities=…,driver=nvidia`. As a
/// convenience over docker, bare fields after `device=`/`capabilities=` continue that
/// list, so `device=0,1` needs no inner quotes.
fn parse_gpus(s: &str) -> Result<GpuRequest, String> {
    const EXPECTED: &str =
        "expected all, a number of GPUs, or count=…/device=…/capabilities=… like device=0,1";
    let fields = split_csv(s)?;
    let mut count: Option<i64> = None;
    let mut devices: Option<Vec<String>> = None;
    let mut caps: Option<Vec<String>> = None;
    let mut seen: Vec<String> = Vec::new();
    let mut last_list: Option<&str> = None;
    let parse_count = |v: &str| -> Result<i64, String> {
        if v == "all" {
            return Ok(-1);
        }
        v.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| EXPECTED.to_string())
    };
    for field in fields {
        let Some((key, val)) = field.split_once('=') else {
            match last_list {
                Some("device") => devices.get_or_insert_with(Vec::new).push(field),
                Some("capabilities") => caps.get_or_insert_with(Vec::new).push(field),
                _ => {
                    if count.is_some() {
                        return Err("the GPU count is given twice".to_string());
                    }
                    count = Some(parse_count(&field)?);
                }
            }
            continue;
        };
        if seen.iter().any(|k| k == key) {
            return Err(format!("`{key}` can be given only once"));
        }
        seen.push(key.to_string());
        last_list = None;
        match key {
            "count" => {
                if count.is_some() {
                    return Err("the GPU count is given twice".to_string());
                }
                count = Some(parse_count(val)?);
            }
            "device" => {
                devices = Some(val.split(',').map(str::to_string).collect());
                last_list = Some("device");
            }
            "capabilities" => {
                caps = Some(val.split(',').map(str::to_string).collect());
                last_list = Some("capabilities");
            }
            "driver" if val == "nvidia" => {}
            "driver" => {
                return Err(format!(
                    "GPU driver `{val}` is not supported by devc yet (only the default, nvidia)"
                ))
            }
            "options" => return Err("GPU driver options are not supported by devc yet".to_string()),
            _ => return Err(format!("unexpected key `{key}`; {EXPECTED}")),
        }
    }
    if let Some(d) = &devices {
        if d.iter().any(|x| x.is_empty()) {
            return Err("a device id is empty".to_string());
        }
        if count.is_some() {
            return Err("give either a count or device ids, not both".to_string());
        }
    }
    let mut capabilities = caps.unwrap_or_default();
    if capabilities.iter().any(|c| c.is_empty()) {
        return Err("a capability is empty".to_string());
    }
    if !capabilities.iter().any(|c| c == "gpu") {
        capabilities.push("gpu".to_string());
    }
    Ok(GpuRequest {
        count: match (count, &devices) {
            (Some(n), _) => n,
            (None, Some(_)) => 0,
            (None, None) => 1,
        },
        device_ids: devices.unwrap_or_default(),
        capabilities,
    })
}

const ULIMITS: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `name=soft[:hard]` (hard defaults to soft; `-1` or `unlimited` for no limit).
fn parse_ulimit(s: &str) -> Result<Ulimit, String> {
    let Some((name, limits)) = s.split_once('=') else {
        return Err("expected name=soft[:hard] like nofile=1024:65536".to_string());
    };
    if !ULIMITS.contains(&name) {
        return Err(format!(
            "unknown ulimit `{name}` (one of {})",
            ULIMITS.join(", ")
        ));
    }
    let num = |x: &str| -> Result<i64, String> {
        if x == "unlimited" {
            return Ok(-1);
        }
        x.parse()
            .map_err(|_| format!("`{x}` is not a number (expected name=soft[:hard])"))
    };
    let (soft, hard) = match limits.split_once(':') {
        Some((s, h)) => (num(s)?, num(h)?),
        None => {
            let n = num(limits)?;
            (n, n)
        }
    };
    // -1 is unlimited: any soft limit fits under an unlimited hard limit.
    if hard != -1 && (soft == -1 || soft > hard) {
        return Err(format!(
            "the soft limit must not exceed the hard limit ({soft} > {hard})"
        ));
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// `host:ip` or `host=ip` (ip may be `[v6]` or `host-gateway`), normalized to `host:ip`.
fn parse_add_host(s: &str) -> Result<String, String> {
    const EXPECTED: &str =
        "expected host:ip or host=ip, like db:10.0.0.2 or host.docker.internal:host-gateway";
    let (host, ip) = s
        .split_once('=')
        .or_else(|| s.split_once(':'))
        .ok_or_else(|| EXPECTED.to_string())?;
    if host.is_empty() {
        return Err(EXPECTED.to_string());
    }
    let ip = ip
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(ip);
    if ip != "host-gateway" && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("`{ip}` is not an IP address; {EXPECTED}"));
    }
    Ok(format!("{host}:{ip}"))
}

fn valid_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn valid_restart(s: &str) -> bool {
    match s.split_once(':') {
        None => matches!(s, "no" | "always" | "unless-stopped" | "on-failure"),
        Some(("on-failure", n)) => n.parse::<u32>().is_ok(),
        Some(_) => false,
    }
}

/// Docker's container name rule `/?[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn valid_container_name(s: &str) -> bool {
    valid_volume_name(s.strip_prefix('/').unwrap_or(s))
}

/// Docker's volume name rule `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn valid_volume_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.len() >= 2
        && c.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn valid_platform(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    parts.len() <= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
}

fn parse_port_range(s: &str, what: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{what} `{s}` is not a port (1-65535) or range like 8000-8002");
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: u16 = a.parse().map_err(|_| bad())?;
    let b: u16 = b.parse().map_err(|_| bad())?;
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok((a, b))
}

/// `[ip:][hostPort:]containerPort[/proto]` with ranges (docker's `nat.ParsePortSpec`).
fn parse_publish(s: &str) -> Result<Vec<PortBinding>, String> {
    let (spec, proto) = match s.rsplit_once('/') {
        Some((spec, p)) => (spec, p.to_ascii_lowercase()),
        None => (s, "tcp".to_string()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("protocol `{proto}` must be tcp, udp or sctp"));
    }
    let parts: Vec<&str> = spec.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        3 => (parts[0].to_string(), parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    let ip = ip
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .map(str::to_string)
        .unwrap_or(ip);
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!(
            "`{ip}` is not an IP address (expected [ip:][hostPort:]containerPort[/tcp|udp])"
        ));
    }
    if container.is_empty() {
        return Err(
            "the container port is missing (expected [ip:][hostPort:]containerPort[/tcp|udp])"
                .to_string(),
        );
    }
    let (cs, ce) = parse_port_range(container, "container port")?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(parse_port_range(host, "host port")?)
    };
    let host_ip = (!ip.is_empty()).then_some(ip);
    let binding = |port: u16, host_port: Option<String>| PortBinding {
        protocol: proto.clone(),
        container_port: port,
        host_ip: host_ip.clone(),
        host_port,
    };
    match host_range {
        None => Ok((cs..=ce).map(|p| binding(p, None)).collect()),
        Some((hs, he)) if he - hs == ce - cs => Ok((0..=ce - cs)
            .map(|i| binding(cs + i, Some((hs + i).to_string())))
            .collect()),
        // One container port, a host range: the runtime picks a free host port in it.
        Some((hs, he)) if cs == ce => Ok(vec![binding(cs, Some(format!("{hs}-{he}")))]),
        Some(_) => Err("the host and container port ranges differ in length".to_string()),
    }
}

struct Volume {
    source: Option<String>,
    target: String,
    readonly: bool,
    /// Options with no place in `MountSpec` (z/Z, propagation, nocopy).
    dropped: Vec<String>,
}

/// Docker's `-v [src:]dst[:opts]`.
fn parse_volume(raw: &str) -> Result<Volume, String> {
    const EXPECTED: &str = "expected [source:]/container/path[:options]";
    let (drive, rest) = if has_drive(raw) {
        raw.split_at(2)
    } else {
        ("", raw)
    };
    let mut parts: Vec<String> = rest.split(':').map(str::to_string).collect();
    parts[0] = format!("{drive}{}", parts[0]);
    let is_mode = |m: &str| parse_volume_mode(m).is_ok();
    let (source, target, mode) = match parts.as_slice() {
        [d] => (None, d.clone(), None),
        [d, m] if is_mode(m) && !m.starts_with('/') => (None, d.clone(), Some(m.clone())),
        [s, d] => (Some(s.clone()), d.clone(), None),
        [s, d, m] => (Some(s.clone()), d.clone(), Some(m.clone())),
        _ => return Err(format!("too many `:`; {EXPECTED}")),
    };
    if source.as_deref() == Some("") {
        return Err(format!("the source is empty; {EXPECTED}"));
    }
    if !target.starts_with('/') {
        return Err(format!(
            "the container path `{target}` must be absolute; {EXPECTED}"
        ));
    }
    if target == "/" {
        return Err("the container path cannot be `/`".to_string());
    }
    let (readonly, dropped) = match mode {
        Some(m) => parse_volume_mode(&m)?,
        None => (false, Vec::new()),
    };
    Ok(Volume {
        source,
        target,
        readonly,
        dropped,
    })
}

/// `-v` options: `ro|rw`, `z|Z`, a propagation, `nocopy`, a consistency, comma-separated,
/// at most one of each kind. Consistency is accepted and dropped silently (Docker
/// ignores it); the others that `MountSpec` cannot carry are returned.
fn parse_volume_mode(m: &str) -> Result<(bool, Vec<String>), String> {
    let mut readonly = false;
    let mut kinds: Vec<&str> = Vec::new();
    let mut dropped = Vec::new();
    for o in m.split(',') {
        let kind = match o {
            "ro" | "rw" => "access",
            "z" | "Z" => "label",
            "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => "propagation",
            "nocopy" => "copy",
            "consistent" | "cached" | "delegated" | "default" => "consistency",
            _ => {
                return Err(format!(
                    "unknown volume option `{o}` (use ro, rw, z, Z, nocopy, a propagation like rshared, or a consistency like cached)"
                ))
            }
        };
        if kinds.contains(&kind) {
            return Err(format!("volume options `{m}` repeat a {kind} option"));
        }
        kinds.push(kind);
        match kind {
            "access" => readonly = o == "ro",
            "consistency" => {}
            _ => dropped.push(o.to_string()),
        }
    }
    Ok((readonly, dropped))
}

/// Docker's env/label file format: one `KEY=VALUE` per line (the value verbatim, no
/// quote processing), blank lines and `#` lines skipped, leading whitespace trimmed; a
/// bare `KEY` takes `lookup(KEY)` and is skipped when that is `None`, except for label
/// files where a bare `KEY` is kept (an empty label).
fn read_kv_file(
    occ: &Occ,
    path: &Path,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, RunArgsError> {
    let is_env = occ.def.name == "env-file";
    let bytes = std::fs::read(path).map_err(|e| RunArgsError::File {
        flag: occ.written.clone(),
        index: occ.index,
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| RunArgsError::File {
        flag: occ.written.clone(),
        index: occ.index,
        path: path.to_path_buf(),
        reason: "the file is not UTF-8 text".to_string(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_err = |reason: String| RunArgsError::FileLine {
            flag: occ.written.clone(),
            index: occ.index,
            path: path.to_path_buf(),
            line: n + 1,
            reason,
        };
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        if key.is_empty() {
            return Err(line_err("no variable name before `=`".to_string()));
        }
        if key.contains(char::is_whitespace) {
            return Err(line_err(format!(
                "variable `{key}` contains whitespace (write KEY=VALUE)"
            )));
        }
        match value {
            Some(v) => out.push(format!("{key}={v}")),
            None if !is_env => out.push(key.to_string()),
            None => {
                if let Some(v) = lookup(key) {
                    out.push(format!("{key}={v}"));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn host_env(k: &str) -> Option<String> {
        match k {
            "HOST_VAR" => Some("from-host".to_string()),
            _ => None,
        }
    }

    fn apply_in(
        dir: &Path,
        args: &[&str],
    ) -> Result<(ContainerSpec, Vec<RunArgsWarning>), RunArgsError> {
        let mut spec = ContainerSpec::default();
        let w = apply_run_args_with_env(&strs(args), dir, &host_env, &mut spec)?;
        Ok((spec, w))
    }

    fn apply(args: &[&str]) -> ContainerSpec {
        let (spec, w) =
            apply_in(Path::new("/base"), args).unwrap_or_else(|e| panic!("{args:?} failed: {e}"));
        assert!(w.is_empty(), "unexpected warnings for {args:?}: {w:?}");
        spec
    }

    fn err(args: &[&str]) -> RunArgsError {
        match apply_in(Path::new("/base"), args) {
            Ok((spec, _)) => panic!("{args:?} should fail, got {spec:?}"),
            Err(e) => e,
        }
    }

    fn err_msg(args: &[&str]) -> String {
        err(args).to_string()
    }

    /// Both `--flag value` and `--flag=value` give the same spec.
    fn both(flag: &str, value: &str) -> ContainerSpec {
        let a = apply(&[flag, value]);
        let b = apply(&[&format!("{flag}={value}")]);
        assert_eq!(a, b, "{flag} {value}");
        a
    }

    #[test]
    fn run_args_empty_is_a_no_op() {
        let mut spec = ContainerSpec {
            env: vec!["A=1".into(), "A=2".into()],
            ..Default::default()
        };
        let w = apply_run_args(&[], Path::new("/"), &mut spec).unwrap();
        assert!(w.is_empty());
        assert_eq!(spec.env, vec!["A=1", "A=2"]);
    }

    #[test]
    fn run_args_capabilities_and_security() {
        assert_eq!(both("--cap-add", "SYS_PTRACE").cap_add, vec!["SYS_PTRACE"]);
        assert_eq!(both("--cap-drop", "ALL").cap_drop, vec!["ALL"]);
        assert_eq!(
            both("--security-opt", "seccomp=unconfined").security_opt,
            vec!["seccomp=unconfined"]
        );
        let s = apply(&[
            "--cap-add=SYS_PTRACE",
            "--cap-add",
            "NET_ADMIN",
            "--security-opt",
            "label=disable",
            "--security-opt=no-new-privileges",
            "--security-opt",
            "apparmor:unconfined",
        ]);
        assert_eq!(s.cap_add, vec!["SYS_PTRACE", "NET_ADMIN"]);
        assert_eq!(
            s.security_opt,
            vec!["label=disable", "no-new-privileges", "apparmor:unconfined"]
        );
        assert!(err_msg(&["--cap-add", "SYS PTRACE"]).contains("capability"));
        assert!(err_msg(&["--security-opt", "bogus"]).contains("seccomp=unconfined"));
    }

    #[test]
    fn run_args_seccomp_profile_file_is_inlined() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("profile.json"),
            "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": []\n}\n",
        )
        .unwrap();
        let (s, _) = apply_in(dir.path(), &["--security-opt", "seccomp=profile.json"]).unwrap();
        assert_eq!(
            s.security_opt,
            vec![r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}"#]
        );
        let e = apply_in(dir.path(), &["--security-opt=seccomp=./nope.json"]).unwrap_err();
        let m = e.to_string();
        assert!(matches!(e, RunArgsError::File { index: 0, .. }), "{e:?}");
        assert!(
            m.contains("nope.json") && m.contains("--security-opt"),
            "{m}"
        );
    }

    #[test]
    fn run_args_booleans() {
        let s = apply(&[
            "--privileged",
            "--init",
            "--read-only",
            "--oom-kill-disable",
            "--publish-all",
            "--tty",
            "--interactive",
        ]);
        assert!(s.privileged && s.read_only && s.publish_all && s.tty && s.interactive);
        assert_eq!(s.init, Some(true));
        assert_eq!(s.oom_kill_disable, Some(true));
        let s = apply(&[
            "--privileged",
            "--privileged=false",
            "--init=false",
            "--tty=true",
        ]);
        assert!(!s.privileged && s.tty);
        assert_eq!(s.init, Some(false));
        for v in ["1", "t", "T", "TRUE", "True"] {
            assert!(apply(&[&format!("--privileged={v}")]).privileged);
        }
        for v in ["0", "f", "F", "FALSE", "False"] {
            assert!(!apply(&["--privileged", &format!("--privileged={v}")]).privileged);
        }
        let s = apply(&["-P", "-t", "-i"]);
        assert!(s.publish_all && s.tty && s.interactive);
        assert!(!apply(&["-t", "-t=false"]).tty);
        let e = err_msg(&["--privileged=yes"]);
        assert_eq!(
            e,
            "invalid value for `--privileged` in runArgs[0]: `yes` (expected true or false)"
        );
        // A separate `false` is not the flag's value (as in docker).
        let e = err(&["--privileged", "false"]);
        assert_eq!(e.index(), 1);
        assert!(e.to_string().contains("`--privileged=false`"), "{e}");
    }

    #[test]
    fn run_args_combined_short_flags() {
        for combo in ["-it", "-ti"] {
            let s = apply(&[combo]);
            assert!(s.tty && s.interactive, "{combo}");
        }
        let s = apply(&["-itp", "8080:80"]);
        assert!(s.tty && s.interactive);
        assert_eq!(s.ports[0].container_port, 80);
        let s = apply(&["-tp80"]);
        assert!(s.tty);
        assert_eq!(s.ports[0].container_port, 80);
        let e = err(&["-itx"]);
        assert_eq!(e.flag(), "-x");
        assert!(e
            .to_string()
            .starts_with("unknown docker run flag `-x` in runArgs[0]"));
        let (s, w) = apply_in(Path::new("/"), &["-itd"]).unwrap();
        assert!(s.tty && s.interactive);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].flag, "-d");
    }

    #[test]
    fn run_args_env_forms() {
        assert_eq!(both("--env", "A=1").env, vec!["A=1"]);
        assert_eq!(both("-e", "A=1").env, vec!["A=1"]);
        assert_eq!(apply(&["-eFOO=bar"]).env, vec!["FOO=bar"]);
        assert_eq!(apply(&["-e=FOO=bar"]).env, vec!["FOO=bar"]);
        assert_eq!(
            apply(&["-e", "GIT_EDITOR=code --wait"]).env,
            vec!["GIT_EDITOR=code --wait"]
        );
        // Bare: host value, else kept bare so the daemon unsets it.
        assert_eq!(apply(&["-e", "HOST_VAR"]).env, vec!["HOST_VAR=from-host"]);
        assert_eq!(apply(&["-e", "NOT_ON_HOST"]).env, vec!["NOT_ON_HOST"]);
        // Later wins, in place; values with '=' are kept whole.
        assert_eq!(
            apply(&["-e", "A=1", "-e", "B=x=y", "-e", "A=2"]).env,
            vec!["A=2", "B=x=y"]
        );
        // The engine's containerEnv is overridden by runArgs -e.
        let mut spec = ContainerSpec {
            env: vec!["A=engine".into(), "C=3".into()],
            ..Default::default()
        };
        apply_run_args_with_env(
            &strs(&["-e", "A=user"]),
            Path::new("/"),
            &host_env,
            &mut spec,
        )
        .unwrap();
        assert_eq!(spec.env, vec!["A=user", "C=3"]);
        assert_eq!(
            err_msg(&["-e", "=x"]),
            "invalid value for `-e` in runArgs[0]: `=x` (expected KEY=VALUE or KEY; the variable name is empty)"
        );
    }

    #[test]
    fn run_args_env_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".devcontainer")).unwrap();
        std::fs::write(
            dir.path().join(".devcontainer/dev.env"),
            "\u{feff}# comment\n\nA=1\n  B=\"quoted\" \r\nHOST_VAR\nNOT_ON_HOST\nC=x=y\nA=from-file\n",
        )
        .unwrap();
        for args in [
            vec!["--env-file", ".devcontainer/dev.env"],
            vec!["--env-file=./.devcontainer/dev.env"],
        ] {
            let (s, w) = apply_in(dir.path(), &args).unwrap();
            assert!(w.is_empty());
            assert_eq!(
                s.env,
                vec![
                    "A=from-file",
                    "B=\"quoted\" ",
                    "HOST_VAR=from-host",
                    "C=x=y"
                ]
            );
        }
        // Files rank below -e and below the engine's entries, wherever they appear.
        let mut spec = ContainerSpec {
            env: vec!["C=engine".into()],
            ..Default::default()
        };
        apply_run_args_with_env(
            &strs(&["-e", "A=flag", "--env-file", ".devcontainer/dev.env"]),
            dir.path(),
            &host_env,
            &mut spec,
        )
        .unwrap();
        assert_eq!(
            spec.env,
            vec!["A=flag", "B=\"quoted\" ", "HOST_VAR=from-host", "C=engine"]
        );
        // Absolute paths are used as they are.
        let abs = dir.path().join(".devcontainer/dev.env");
        let (s, _) = apply_in(
            Path::new("/elsewhere"),
            &["--env-file", abs.to_str().unwrap()],
        )
        .unwrap();
        assert_eq!(s.env.len(), 4);

        // Missing file: the error names the resolved path.
        let e = apply_in(dir.path(), &["-e", "X=1", "--env-file", "missing.env"]).unwrap_err();
        let m = e.to_string();
        assert!(
            matches!(&e, RunArgsError::File { index: 2, path, .. } if path == &dir.path().join("missing.env")),
            "{e:?}"
        );
        assert!(
            m.contains(&dir.path().join("missing.env").display().to_string()),
            "{m}"
        );
        assert!(m.contains("`--env-file` in runArgs[2]"), "{m}");

        std::fs::write(dir.path().join("bad.env"), "A=1\nMY VAR=2\n").unwrap();
        let e = apply_in(dir.path(), &["--env-file", "bad.env"]).unwrap_err();
        assert!(matches!(e, RunArgsError::FileLine { line: 2, .. }), "{e:?}");
        assert!(
            e.to_string().contains("`MY VAR` contains whitespace"),
            "{e}"
        );
        std::fs::write(dir.path().join("bad2.env"), "=2\n").unwrap();
        let e = apply_in(dir.path(), &["--env-file", "bad2.env"]).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn run_args_labels_and_label_file() {
        let s = both("--label", "dev.orbstack.http-port=4321");
        assert_eq!(
            s.labels.get("dev.orbstack.http-port").map(String::as_str),
            Some("4321")
        );
        let s = apply(&["-l", "a=1", "-lb=2", "-l", "flag", "-l", "a=3"]);
        assert_eq!(s.labels.get("a").map(String::as_str), Some("3"));
        assert_eq!(s.labels.get("b").map(String::as_str), Some("2"));
        assert_eq!(s.labels.get("flag").map(String::as_str), Some(""));
        assert!(err_msg(&["-l", "=x"]).contains("label name is empty"));

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("labels"), "# c\na=file\nbare\nz=9\n").unwrap();
        let mut spec = ContainerSpec::default();
        spec.labels.insert("z".into(), "engine".into());
        let w = apply_run_args_with_env(
            &strs(&["-l", "a=flag", "--label-file", "labels"]),
            dir.path(),
            &host_env,
            &mut spec,
        )
        .unwrap();
        assert!(w.is_empty());
        assert_eq!(spec.labels.get("a").map(String::as_str), Some("flag"));
        assert_eq!(spec.labels.get("bare").map(String::as_str), Some(""));
        assert_eq!(spec.labels.get("z").map(String::as_str), Some("engine"));
        let (s, _) = apply_in(dir.path(), &["--label-file=labels"]).unwrap();
        assert_eq!(s.labels.get("a").map(String::as_str), Some("file"));
    }

    #[test]
    fn run_args_volumes() {
        let s = both("--volume", "/var/run/docker.sock:/var/run/docker.sock");
        assert_eq!(
            s.mounts,
            vec![MountSpec {
                kind: MountKind::Bind,
                source: Some("/var/run/docker.sock".into()),
                target: "/var/run/docker.sock".into(),
                readonly: false,
            }]
        );
        assert_eq!(
            both("-v", "cache:/go/pkg").mounts[0].kind,
            MountKind::Volume
        );
        let s = apply(&[
            "-v",
            "cache:/go/pkg:ro",
            "-v/anon",
            "-v",
            "/anon2:rw",
            "-v",
            "./rel:/r:cached",
        ]);
        assert_eq!(
            s.mounts,
            vec![
                MountSpec {
                    kind: MountKind::Volume,
                    source: Some("cache".into()),
                    target: "/go/pkg".into(),
                    readonly: true
                },
                MountSpec {
                    kind: MountKind::Volume,
                    source: None,
                    target: "/anon".into(),
                    readonly: false
                },
                MountSpec {
                    kind: MountKind::Volume,
                    source: None,
                    target: "/anon2".into(),
                    readonly: false
                },
                MountSpec {
                    kind: MountKind::Bind,
                    source: Some("/base/rel".into()),
                    target: "/r".into(),
                    readonly: false
                },
            ]
        );
        let s = apply(&["-v", "../up/x:/x:ro,delegated"]);
        assert_eq!(s.mounts[0].source.as_deref(), Some("/up/x"));
        assert!(s.mounts[0].readonly);
        let s = apply(&["-v", r"C:\Users\me:/home/me"]);
        assert_eq!(s.mounts[0].kind, MountKind::Bind);
        assert_eq!(s.mounts[0].source.as_deref(), Some(r"C:\Users\me"));
        // Options MountSpec cannot carry are warned about, never silently dropped.
        let (s, w) = apply_in(Path::new("/"), &["-v", "/src:/dst:Z,rshared"]).unwrap();
        assert_eq!(s.mounts.len(), 1);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].message.contains("SELinux") && w[0].message.contains("`Z`"),
            "{w:?}"
        );
        assert_eq!((w[0].flag.as_str(), w[0].index), ("-v", 0));
        // Errors.
        assert!(err_msg(&["-v", "relative"]).contains("must be absolute"));
        assert!(err_msg(&["-v", "a:b:c:d"]).contains("too many"));
        assert!(err_msg(&["-v", "/a:/b:bogus"]).contains("unknown volume option `bogus`"));
        assert!(err_msg(&["-v", "/a:/b:ro,rw"]).contains("repeat"));
        assert!(err_msg(&["-v", "~/x:/x"]).contains("${localEnv:HOME}"));
        assert!(err_msg(&["-v", "bad name:/x"]).contains("valid volume name"));
        assert!(err_msg(&["-v", ":/x"]).contains("source is empty"));
        assert!(err_msg(&["-v", "/a:/"]).contains("cannot be `/`"));
    }

    #[test]
    fn run_args_mounts_use_the_project_parser() {
        let s = both(
            "--mount",
            "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock,readonly",
        );
        assert_eq!(
            s.mounts,
            vec![MountSpec {
                kind: MountKind::Bind,
                source: Some("/var/run/docker.sock".into()),
                target: "/var/run/docker.sock".into(),
                readonly: true,
            }]
        );
        let s = apply(&[
            "--mount",
            "src=data,dst=/data",
            "--mount",
            "type=volume,target=/anon",
            "--mount",
            "type=bind,src=rel/dir,dst=/r,consistency=cached",
            "--mount",
            "type=tmpfs,destination=/scratch",
            "--mount",
            r#"type=bind,"source=/a,b",target=/ab"#,
        ]);
        let kinds: Vec<_> = s
            .mounts
            .iter()
            .map(|m| (m.kind, m.source.as_deref(), m.target.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (MountKind::Volume, Some("data"), "/data"),
                (MountKind::Volume, None, "/anon"),
                (MountKind::Bind, Some("/base/rel/dir"), "/r"),
                (MountKind::Tmpfs, None, "/scratch"),
                (MountKind::Bind, Some("/a,b"), "/ab"),
            ]
        );
        // tmpfs size/mode land in the tmpfs map, which carries options.
        let s = apply(&[
            "--mount",
            "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770,ro",
        ]);
        assert!(s.mounts.is_empty());
        assert_eq!(
            s.tmpfs.get("/t").map(String::as_str),
            Some("ro,size=67108864,mode=1770")
        );
        let (_, w) = apply_in(
            Path::new("/"),
            &[
                "--mount",
                "type=bind,src=/a,dst=/b,bind-propagation=rshared",
            ],
        )
        .unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("bind-propagation=rshared"), "{w:?}");
        // Errors carry the parser's reason.
        assert_eq!(
            err_msg(&["--mount", "type=bind,source=/a"]),
            "invalid value for `--mount` in runArgs[0]: `type=bind,source=/a` (mount is missing target=)"
        );
        assert!(
            err_msg(&["--mount", "type=volume,src=v,dst=/v,external=true"]).contains("external")
        );
        assert!(err_msg(&["--mount", "type=npipe,src=a,dst=/b"]).contains("not supported"));
        assert!(err_msg(&["--mount", "type=bind,src=/a,dst=/b,bogus=1"])
            .contains("unexpected key `bogus`"));
        assert!(
            err_msg(&["--mount", "type=bind,src=/a,dst=/b,tmpfs-size=1m"])
                .contains("cannot be used with type=bind")
        );
        assert!(err_msg(&["--mount", "type=tmpfs,src=x,dst=/b"]).contains("no source"));
        assert!(err_msg(&["--mount", "type=tmpfs,dst=/b,tmpfs-size=lots"]).contains("tmpfs-size"));
        assert!(err_msg(&["--mount", "type=volume,src=/abs,dst=/b"]).contains("type=bind"));
        assert!(err_msg(&["--mount", "type=volume,dst=rel"]).contains("absolute"));
    }

    #[test]
    fn run_args_tmpfs() {
        assert_eq!(
            both("--tmpfs", "/run")
                .tmpfs
                .get("/run")
                .map(String::as_str),
            Some("")
        );
        let s = apply(&["--tmpfs", "/run:rw,noexec,size=64m", "--tmpfs=/tmp"]);
        assert_eq!(
            s.tmpfs.get("/run").map(String::as_str),
            Some("rw,noexec,size=64m")
        );
        assert_eq!(s.tmpfs.len(), 2);
        assert!(err_msg(&["--tmpfs", "run"]).contains("absolute"));
    }

    #[test]
    fn run_args_gpus() {
        let all = GpuRequest {
            count: -1,
            device_ids: vec![],
            capabilities: vec!["gpu".into()],
        };
        assert_eq!(both("--gpus", "all").gpus, Some(all.clone()));
        assert_eq!(apply(&["--gpus", "count=all"]).gpus, Some(all));
        assert_eq!(apply(&["--gpus", "2"]).gpus.unwrap().count, 2);
        let devices = GpuRequest {
            count: 0,
            device_ids: vec!["0".into(), "1".into()],
            capabilities: vec!["gpu".into()],
        };
        assert_eq!(apply(&["--gpus", "device=0,1"]).gpus, Some(devices.clone()));
        assert_eq!(apply(&["--gpus", "\"device=0,1\""]).gpus, Some(devices));
        let g = apply(&["--gpus", "capabilities=compute,utility,driver=nvidia"])
            .gpus
            .unwrap();
        assert_eq!(g.count, 1);
        assert_eq!(g.capabilities, vec!["compute", "utility", "gpu"]);
        let g = apply(&["--gpus", "count=1,capabilities=gpu"]).gpus.unwrap();
        assert_eq!((g.count, g.capabilities), (1, vec!["gpu".to_string()]));
        // Later wins.
        assert_eq!(apply(&["--gpus", "all", "--gpus=1"]).gpus.unwrap().count, 1);
        assert!(err_msg(&["--gpus", "lots"]).contains("expected all"));
        assert!(err_msg(&["--gpus", "count=1,device=0"]).contains("not both"));
        assert!(err_msg(&["--gpus", "driver=amd"]).contains("not supported"));
        assert!(err_msg(&["--gpus", "count=1,count=2"]).contains("only once"));
        assert!(err_msg(&["--gpus", "foo=1"]).contains("unexpected key"));
    }

    #[test]
    fn run_args_user_network_names() {
        assert_eq!(both("--user", "vscode").user.as_deref(), Some("vscode"));
        assert_eq!(both("-u", "17447:1003").user.as_deref(), Some("17447:1003"));
        assert_eq!(apply(&["-uroot"]).user.as_deref(), Some("root"));
        assert_eq!(apply(&["-u", "a", "--user=b"]).user.as_deref(), Some("b"));
        assert_eq!(both("--network", "host").network.as_deref(), Some("host"));
        assert_eq!(both("--net", "host").network.as_deref(), Some("host"));
        assert_eq!(apply(&["--network=host", "--network="]).network, None);
        assert_eq!(both("--network-alias", "db").network_aliases, vec!["db"]);
        assert_eq!(
            apply(&["--net-alias", "a", "--network-alias=b"]).network_aliases,
            vec!["a", "b"]
        );
        assert_eq!(both("--name", "dev-app").name.as_deref(), Some("dev-app"));
        assert!(err_msg(&["--name", "bad name"]).contains("letters, digits"));
        assert_eq!(both("--hostname", "dev").hostname.as_deref(), Some("dev"));
        assert_eq!(both("-h", "dev").hostname.as_deref(), Some("dev"));
        assert_eq!(
            both("--domainname", "example.com").domainname.as_deref(),
            Some("example.com")
        );
        assert_eq!(
            both("--userns", "keep-id").userns.as_deref(),
            Some("keep-id")
        );
        // `--userns=` resets (the podman workaround for keep-id).
        let mut spec = ContainerSpec {
            userns: Some("keep-id".into()),
            ..Default::default()
        };
        apply_run_args(&strs(&["--userns="]), Path::new("/"), &mut spec).unwrap();
        assert_eq!(spec.userns, None);
        assert_eq!(both("--ipc", "host").ipc.as_deref(), Some("host"));
        assert_eq!(both("--pid", "host").pid.as_deref(), Some("host"));
        assert_eq!(both("--uts", "host").uts.as_deref(), Some("host"));
        assert_eq!(
            both("--platform", "linux/amd64").platform.as_deref(),
            Some("linux/amd64")
        );
        assert!(err_msg(&["--platform", "linux//amd64"]).contains("os[/arch"));
    }

    #[test]
    fn run_args_hosts_and_dns() {
        assert_eq!(
            both("--add-host", "kafka:127.0.0.1").extra_hosts,
            vec!["kafka:127.0.0.1"]
        );
        let s = apply(&[
            "--add-host",
            "a=10.0.0.1",
            "--add-host",
            "b:::1",
            "--add-host=c=[::1]",
            "--add-host",
            "host.docker.internal:host-gateway",
        ]);
        assert_eq!(
            s.extra_hosts,
            vec![
                "a:10.0.0.1",
                "b:::1",
                "c:::1",
                "host.docker.internal:host-gateway"
            ]
        );
        assert!(err_msg(&["--add-host", "nohost"]).contains("host:ip"));
        assert!(err_msg(&["--add-host", "a:notanip"]).contains("not an IP"));
        assert_eq!(both("--dns", "8.8.8.8").dns, vec!["8.8.8.8"]);
        assert!(err_msg(&["--dns", "dns.example"]).contains("IP address"));
    }

    #[test]
    fn run_args_publish() {
        let p = |proto: &str, c: u16, ip: Option<&str>, h: Option<&str>| PortBinding {
            protocol: proto.into(),
            container_port: c,
            host_ip: ip.map(Into::into),
            host_port: h.map(Into::into),
        };
        assert_eq!(
            both("--publish", "8080:80").ports,
            vec![p("tcp", 80, None, Some("8080"))]
        );
        assert_eq!(
            both("-p", "4141:4141").ports,
            vec![p("tcp", 4141, None, Some("4141"))]
        );
        assert_eq!(
            apply(&["-p=4141:4141"]).ports,
            vec![p("tcp", 4141, None, Some("4141"))]
        );
        assert_eq!(apply(&["-p", "80"]).ports, vec![p("tcp", 80, None, None)]);
        assert_eq!(
            apply(&["-p", "53:53/UDP"]).ports,
            vec![p("udp", 53, None, Some("53"))]
        );
        assert_eq!(
            apply(&["-p", "127.0.0.1:8080:80"]).ports,
            vec![p("tcp", 80, Some("127.0.0.1"), Some("8080"))]
        );
        assert_eq!(
            apply(&["-p", "127.0.0.1::80"]).ports,
            vec![p("tcp", 80, Some("127.0.0.1"), None)]
        );
        assert_eq!(
            apply(&["-p", "[::1]:8080:80/tcp"]).ports,
            vec![p("tcp", 80, Some("::1"), Some("8080"))]
        );
        assert_eq!(
            apply(&["-p", "8000-8002:9000-9002"]).ports,
            vec![
                p("tcp", 9000, None, Some("8000")),
                p("tcp", 9001, None, Some("8001")),
                p("tcp", 9002, None, Some("8002")),
            ]
        );
        assert_eq!(apply(&["-p", "7000-7001"]).ports.len(), 2);
        assert_eq!(
            apply(&["-p", "8000-8010:80"]).ports,
            vec![p("tcp", 80, None, Some("8000-8010"))]
        );
        assert!(err_msg(&["-p", "8000:80-81"]).contains("ranges differ"));
        assert!(err_msg(&["-p", "80/icmp"]).contains("tcp, udp or sctp"));
        assert!(err_msg(&["-p", "99999"]).contains("not a port"));
        assert!(err_msg(&["-p", "1.2.3:80:80"]).contains("not an IP"));
        assert!(err_msg(&["-p", "80:"]).contains("container port is missing"));
        assert!(apply(&["-P"]).publish_all);
    }

    #[test]
    fn run_args_resources() {
        assert_eq!(both("--shm-size", "6gb").shm_size, Some(6 << 30));
        assert_eq!(both("--cpus", "2").nano_cpus, Some(2_000_000_000));
        assert_eq!(apply(&["--cpus=1.5"]).nano_cpus, Some(1_500_000_000));
        assert_eq!(apply(&["--cpus=.25"]).nano_cpus, Some(250_000_000));
        assert!(err_msg(&["--cpus", "1.0000000001"]).contains("too precise"));
        assert!(err_msg(&["--cpus", "-1"]).contains("number of CPUs"));
        assert_eq!(both("--memory", "8GB").memory, Some(8 << 30));
        assert_eq!(both("-m", "512m").memory, Some(512 << 20));
        assert_eq!(apply(&["-m4g"]).memory, Some(4 << 30));
        assert_eq!(apply(&["-m", "1024"]).memory, Some(1024));
        assert_eq!(apply(&["-m", "1.5k"]).memory, Some(1536));
        assert_eq!(apply(&["-m", "1b"]).memory, Some(1));
        assert_eq!(apply(&["-m", "2GiB"]).memory, Some(2 << 30));
        assert_eq!(apply(&["-m", "1g", "--memory=2g"]).memory, Some(2 << 30));
        assert_eq!(
            err_msg(&["--memory", "lots"]),
            "invalid value for `--memory` in runArgs[0]: `lots` (expected a size like 512m or 4g)"
        );
        assert!(err_msg(&["-m", "99999999999p"]).contains("size"));
        assert_eq!(both("--memory-swap", "1g").memory_swap, Some(1 << 30));
        assert_eq!(apply(&["--memory-swap=-1"]).memory_swap, Some(-1));
        assert_eq!(both("--pids-limit", "100").pids_limit, Some(100));
        assert_eq!(apply(&["--pids-limit=-1"]).pids_limit, Some(-1));
        assert!(err_msg(&["--pids-limit", "x"]).contains("processes"));
        assert_eq!(
            both("--cpuset-cpus", "0-3,5").cpuset_cpus.as_deref(),
            Some("0-3,5")
        );
        assert!(err_msg(&["--cpuset-cpus", "0-"]).contains("CPUs"));
        assert_eq!(both("--cpu-shares", "512").cpu_shares, Some(512));
        assert_eq!(both("-c", "512").cpu_shares, Some(512));
        assert_eq!(apply(&["-c512"]).cpu_shares, Some(512));
        assert!(err_msg(&["-c", "lots"]).contains("integer"));
    }

    #[test]
    fn run_args_devices() {
        let d = |h: &str, c: &str, p: &str| DeviceMapping {
            host_path: h.into(),
            container_path: c.into(),
            permissions: p.into(),
        };
        assert_eq!(
            both("--device", "/dev/ttyUSB0:/dev/ttyUSB0").devices,
            vec![d("/dev/ttyUSB0", "/dev/ttyUSB0", "rwm")]
        );
        let s = apply(&[
            "--device",
            "/dev/sda",
            "--device",
            "/dev/sda:r",
            "--device",
            "/dev/sdb:/dev/xvdb:rw",
        ]);
        assert_eq!(
            s.devices,
            vec![
                d("/dev/sda", "/dev/sda", "rwm"),
                d("/dev/sda", "/dev/sda", "r"),
                d("/dev/sdb", "/dev/xvdb", "rw"),
            ]
        );
        assert!(err_msg(&["--device", "nvidia.com/gpu=all"]).contains("CDI"));
        assert!(err_msg(&["--device", "/dev/a:/dev/b:rwx"]).contains("rwm"));
        assert!(err_msg(&["--device", "dev/a"]).contains("absolute"));
        assert_eq!(
            both("--device-cgroup-rule", "c 42:* rmw").device_cgroup_rules,
            vec!["c 42:* rmw"]
        );
        assert!(err_msg(&["--device-cgroup-rule", "x 1:2 r"]).contains("type a|b|c"));
    }

    #[test]
    fn run_args_entrypoint() {
        assert_eq!(
            both("--entrypoint", "/bin/bash").entrypoint,
            Some(vec!["/bin/bash".to_string()])
        );
        // Docker semantics: one string, not split on spaces.
        assert_eq!(
            apply(&["--entrypoint", "/bin/sh -c"]).entrypoint,
            Some(vec!["/bin/sh -c".to_string()])
        );
        assert_eq!(apply(&["--entrypoint="]).entrypoint, Some(vec![]));
        assert_eq!(apply(&["--entrypoint", ""]).entrypoint, Some(vec![]));
    }

    #[test]
    fn run_args_ulimit_sysctl_and_misc() {
        let s = both("--ulimit", "nofile=1024:65536");
        assert_eq!(
            s.ulimits,
            vec![Ulimit {
                name: "nofile".into(),
                soft: 1024,
                hard: 65536
            }]
        );
        let s = apply(&[
            "--ulimit",
            "nofile=10",
            "--ulimit",
            "core=-1",
            "--ulimit",
            "nofile=20:30",
            "--ulimit=memlock=unlimited",
        ]);
        let u: Vec<_> = s
            .ulimits
            .iter()
            .map(|u| (u.name.as_str(), u.soft, u.hard))
            .collect();
        assert_eq!(
            u,
            vec![("core", -1, -1), ("nofile", 20, 30), ("memlock", -1, -1)]
        );
        assert!(err_msg(&["--ulimit", "bogus=1"]).contains("unknown ulimit"));
        assert!(err_msg(&["--ulimit", "nofile=2:1"]).contains("must not exceed"));
        assert!(err_msg(&["--ulimit", "nofile"]).contains("name=soft"));

        let s = both("--sysctl", "net.ipv4.ip_forward=1");
        assert_eq!(
            s.sysctls.get("net.ipv4.ip_forward").map(String::as_str),
            Some("1")
        );
        assert!(err_msg(&["--sysctl", "x"]).contains("KEY=VALUE"));
        assert_eq!(both("--group-add", "docker").group_add, vec!["docker"]);
        assert_eq!(
            both("--restart", "on-failure:3").restart.as_deref(),
            Some("on-failure:3")
        );
        assert_eq!(
            apply(&["--restart=unless-stopped"]).restart.as_deref(),
            Some("unless-stopped")
        );
        assert!(err_msg(&["--restart", "always:3"]).contains("on-failure:N"));
        assert_eq!(
            both("--stop-signal", "SIGINT").stop_signal.as_deref(),
            Some("SIGINT")
        );
        assert_eq!(
            both("--workdir", "/src").working_dir.as_deref(),
            Some("/src")
        );
        assert_eq!(both("-w", "/src").working_dir.as_deref(), Some("/src"));
        assert!(err_msg(&["-w", "src"]).contains("absolute"));
        assert_eq!(
            both("--log-driver", "json-file").log_driver.as_deref(),
            Some("json-file")
        );
        let s = both("--log-opt", "max-size=10m");
        assert_eq!(s.log_opts.get("max-size").map(String::as_str), Some("10m"));
        assert!(err_msg(&["--log-opt", "max-size"]).contains("KEY=VALUE"));
        assert_eq!(
            both("--cgroup-parent", "/x").cgroup_parent.as_deref(),
            Some("/x")
        );
        assert_eq!(both("--runtime", "runsc").runtime.as_deref(), Some("runsc"));
        let s = both("--storage-opt", "size=20G");
        assert_eq!(s.storage_opt.get("size").map(String::as_str), Some("20G"));
        assert_eq!(
            both("--mac-address", "92:d0:c6:0a:29:33")
                .mac_address
                .as_deref(),
            Some("92:d0:c6:0a:29:33")
        );
        assert!(err_msg(&["--mac-address", "92:d0"]).contains("MAC"));
    }

    #[test]
    fn run_args_ignored_flags_warn() {
        let (s, w) = apply_in(
            Path::new("/"),
            &[
                "--rm",
                "-d",
                "--detach=true",
                "--sig-proxy=false",
                "-a",
                "STDOUT",
                "--attach=STDERR",
                "--pull",
                "always",
                "-q",
                "--quiet",
                "--detach-keys=ctrl-x",
                "--disable-content-trust",
                "--init",
            ],
        )
        .unwrap();
        assert_eq!(s.init, Some(true));
        let got: Vec<(&str, usize)> = w.iter().map(|w| (w.flag.as_str(), w.index)).collect();
        assert_eq!(
            got,
            vec![
                ("--rm", 0),
                ("-d", 1),
                ("--detach", 2),
                ("--sig-proxy", 3),
                ("-a", 4),
                ("--attach", 6),
                ("--pull", 7),
                ("-q", 9),
                ("--quiet", 10),
                ("--detach-keys", 11),
                ("--disable-content-trust", 12),
            ]
        );
        assert!(w.iter().all(|w| w.message.starts_with("ignored: ")));
        assert!(w[0]
            .to_string()
            .starts_with("`--rm` in runArgs[0]: ignored: a dev container is kept"));
        // Their values are still checked, and consumed.
        assert!(err_msg(&["--rm=maybe"]).contains("true or false"));
        assert_eq!(
            err(&["--pull"]),
            RunArgsError::MissingValue {
                flag: "--pull".into(),
                index: 0
            }
        );
    }

    #[test]
    fn run_args_errors_name_flag_index_and_next_step() {
        assert_eq!(
            err_msg(&["--init", "--init", "--init", "--foo"]),
            format!("unknown docker run flag `--foo` in runArgs[3]: remove it or use a supported flag (see {DOCKER_RUN_REFERENCE})")
        );
        assert_eq!(
            err_msg(&["--foo=bar"]),
            format!("unknown docker run flag `--foo` in runArgs[0]: remove it or use a supported flag (see {DOCKER_RUN_REFERENCE})")
        );
        assert_eq!(
            err_msg(&["--init", "--cap-add"]),
            "missing value for `--cap-add` at the end of runArgs (runArgs[1]): add the value as the next runArgs entry, or write `--cap-add=VALUE`"
        );
        assert_eq!(
            err(&["-e"]),
            RunArgsError::MissingValue {
                flag: "-e".into(),
                index: 0
            }
        );
        assert_eq!(err(&["-it", "-v"]).index(), 1);
        let e = err(&["-privileged"]);
        assert_eq!(e.flag(), "-privileged");
        assert!(
            e.to_string().contains("(did you mean `--privileged`?)"),
            "{e}"
        );
        assert!(err_msg(&["-cap-add=SYS_PTRACE"]).contains("did you mean `--cap-add`"));
        let e = err(&["--expose", "80"]);
        assert!(matches!(e, RunArgsError::UnsupportedFlag { index: 0, .. }));
        assert_eq!(
            e.to_string(),
            "docker run flag `--expose` in runArgs[0] is not supported by devc yet: remove it from runArgs (to reach a port from the host use forwardPorts, appPort or --publish)"
        );
        assert!(err_msg(&["--dns-opt", "x"]).contains("`--dns-opt`"));
        let e = err(&["ubuntu"]);
        assert!(matches!(
            e,
            RunArgsError::UnexpectedArgument { index: 0, .. }
        ));
        assert!(
            e.to_string()
                .contains("the image and command come from devcontainer.json"),
            "{e}"
        );
        assert!(err_msg(&["--"]).contains("remove `--`"));
        assert!(err_msg(&["-x"]).starts_with("unknown docker run flag `-x` in runArgs[0]"));
    }

    #[test]
    fn run_args_error_leaves_spec_unchanged() {
        let mut spec = ContainerSpec {
            env: vec!["A=1".into()],
            ..Default::default()
        };
        let before = spec.clone();
        let r = apply_run_args(
            &strs(&["--privileged", "-e", "B=2", "--memory", "lots"]),
            Path::new("/"),
            &mut spec,
        );
        assert!(r.is_err());
        assert_eq!(spec, before);
    }

    #[test]
    fn run_args_flag_lists() {
        let sup = supported_flags();
        for f in [
            "--cap-add",
            "-v",
            "--net",
            "--net-alias",
            "-P",
            "-c",
            "-h",
            "-w",
            "--mount",
        ] {
            assert!(sup.iter().any(|s| s == f), "{f}");
        }
        let ign = ignored_flags();
        for f in [
            "--rm",
            "-d",
            "--detach",
            "--sig-proxy",
            "-a",
            "--attach",
            "--pull",
            "-q",
        ] {
            assert!(ign.iter().any(|s| s == f), "{f}");
        }
        // No flag or shorthand is defined twice.
        let mut all: Vec<String> = FLAGS
            .iter()
            .flat_map(|d| {
                std::iter::once(d.name.to_string())
                    .chain(d.aliases.iter().map(|a| a.to_string()))
                    .chain(d.short.map(|c| format!("-{c}")))
            })
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
        // Every applied flag has a mapping (no unreachable! for any of them).
        for d in FLAGS.iter().filter(|d| d.handling == Handling::Apply) {
            let args: Vec<String> = match d.arity {
                Arity::Bool => vec![format!("--{}", d.name)],
                Arity::Value => vec![format!("--{}", d.name), String::new()],
            };
            let mut spec = ContainerSpec::default();
            let _ = apply_run_args_with_env(&args, Path::new("/nonexistent"), &host_env, &mut spec);
        }
    }

    // -----------------------------------------------------------------------
    // Corpus
    // -----------------------------------------------------------------------

    fn corpus_dir() -> PathBuf {
        if let Ok(dir) = std::env::var("DEVC_CORPUS") {
            return PathBuf::from(dir);
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        if !dir.is_dir() {
            panic!(
                "corpus not found at {}: expected ../shared/corpus beside the repository (or set DEVC_CORPUS)",
                dir.display()
            );
        }
        dir
    }

    /// Every corpus `runArgs` (string arrays only; after `${localEnv}` /
    /// `${localWorkspaceFolder}` substitution, as the engine does before `docker run`)
    /// applies cleanly, except that files referenced by `--env-file` are not in the
    /// corpus. The flags the corpus uses (2025 snapshot) are: --add-host, --cap-add,
    /// --cpus, --device, -e, --env-file, --gpus, --init, -l, --memory, --mount, --name,
    /// --net, --network, -p (as `-p=…`), --platform, --privileged, --publish,
    /// --security-opt (both forms), --shm-size, -u, --user, --userns, -v, --volume. The
    /// set is computed below, and every flag in it must be supported.
    #[test]
    fn run_args_corpus() {
        use devc_config::substitute::SubstitutionContext;
        let dir = corpus_dir().join("realworld");
        let tmp = tempfile::tempdir().unwrap();
        // A realistic folder name: `${localWorkspaceFolderBasename}` ends up in --name.
        let workspace = tmp.path().join("my-project");
        std::fs::create_dir(&workspace).unwrap();
        let ctx = SubstitutionContext {
            local_env: [("HOME".to_string(), "/home/dev".to_string())]
                .into_iter()
                .collect(),
            local_workspace_folder: Some(workspace.to_string_lossy().into_owned()),
            ..Default::default()
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonc"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no .jsonc files in {}", dir.display());

        let mut used: std::collections::BTreeMap<String, Handling> = Default::default();
        let mut unsupported_flags: Vec<String> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        let (mut with_run_args, mut clean, mut missing_files) = (0, 0, 0);
        for path in &files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path).unwrap();
            let Some(root) = devc_jsonc::parse(&text).root.map(|r| r.to_value()) else {
                continue;
            };
            let Some(serde_json::Value::Array(items)) = root.get("runArgs") else {
                continue;
            };
            let Some(raw): Option<Vec<String>> = items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect()
            else {
                continue;
            };
            with_run_args += 1;
            let args: Vec<String> = raw
                .iter()
                .map(|a| {
                    ctx.substitute_str(a, &[devc_config::substitute::Phase::Local])
                        .map(|s| s.value)
                        .unwrap_or_else(|_| a.clone())
                })
                .collect();
            // Which flags does it use?
            let scanned = scan(&args, |occ| {
                used.insert(occ.written.clone(), occ.def.handling);
                Ok(())
            });
            if let Err(e) = scanned {
                unsupported_flags.push(format!("{name}: {e}"));
            }
            let mut spec = ContainerSpec::default();
            match apply_run_args_with_env(&args, &workspace, &|_| None, &mut spec) {
                Ok(_) => clean += 1,
                Err(RunArgsError::File {
                    ref flag, ref path, ..
                }) if (flag == "--env-file" || flag == "--label-file") && !path.exists() => {
                    missing_files += 1
                }
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        for (flag, handling) in &used {
            if *handling != Handling::Apply {
                unsupported_flags.push(format!("{flag}: {handling:?}"));
            }
        }
        eprintln!(
            "runArgs corpus: {with_run_args} files with runArgs, {clean} clean, {missing_files} need an env file absent from the corpus; flags used: {:?}",
            used.keys().collect::<Vec<_>>()
        );
        assert!(with_run_args > 0, "no corpus file has runArgs");
        assert!(
            unsupported_flags.is_empty(),
            "corpus flags not supported:\n{}",
            unsupported_flags.join("\n")
        );
        assert!(
            failures.is_empty(),
            "corpus runArgs that fail:\n{}",
            failures.join("\n")
        );
    }
}
