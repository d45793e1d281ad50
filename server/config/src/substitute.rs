//! The one `${...}` variable substitution engine, reference-exact (matches of
//! `\$\{(.*?)\}`, inner text split on ':'), in its three phases (local, devcontainerId,
//! containerEnv), plus a scanner and checker that report byte ranges for editors.

use crate::error::ConfigError;
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

/// The three moments at which the reference substitutes variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Config read time: `localEnv`/`env`, the four workspace folder variables.
    Local,
    /// Once the id labels are known: `devcontainerId`.
    DevcontainerId,
    /// Once the container exists: `containerEnv`.
    ContainerEnv,
}

/// A variable name the engine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownVariable {
    pub name: &'static str,
    /// One-line description, for hovers and completion.
    pub description: &'static str,
    /// Whether it takes `:NAME` (and optionally `:default`).
    pub takes_argument: bool,
    pub phase: Phase,
}

/// Every variable name understood by the engine, with a one-line description.
pub const KNOWN_VARIABLES: &[KnownVariable] = &[
    KnownVariable {
        name: "localEnv",
        description: "Host environment variable: ${localEnv:NAME} or ${localEnv:NAME:default} (missing → default or empty)",
        takes_argument: true,
        phase: Phase::Local,
    },
    KnownVariable {
        name: "env",
        description: "Alias of localEnv: ${env:NAME} or ${env:NAME:default}",
        takes_argument: true,
        phase: Phase::Local,
    },
    KnownVariable {
        name: "localWorkspaceFolder",
        description: "Absolute path of the workspace folder on the host",
        takes_argument: false,
        phase: Phase::Local,
    },
    KnownVariable {
        name: "localWorkspaceFolderBasename",
        description: "Name of the workspace folder on the host (last path segment)",
        takes_argument: false,
        phase: Phase::Local,
    },
    KnownVariable {
        name: "containerWorkspaceFolder",
        description: "Path of the workspace folder inside the container (workspaceFolder)",
        takes_argument: false,
        phase: Phase::Local,
    },
    KnownVariable {
        name: "containerWorkspaceFolderBasename",
        description: "Last path segment of the workspace folder inside the container",
        takes_argument: false,
        phase: Phase::Local,
    },
    KnownVariable {
        name: "devcontainerId",
        description: "Stable id of this dev container, derived from its id labels (resolved once the container is known)",
        takes_argument: false,
        phase: Phase::DevcontainerId,
    },
    KnownVariable {
        name: "containerEnv",
        description: "Container environment variable: ${containerEnv:NAME} or ${containerEnv:NAME:default} (resolved once the container exists)",
        takes_argument: true,
        phase: Phase::ContainerEnv,
    },
];

/// Looks up a known variable by its exact name.
pub fn known_variable(name: &str) -> Option<&'static KnownVariable> {
    KNOWN_VARIABLES.iter().find(|v| v.name == name)
}

/// One `${...}` occurrence in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableRef {
    /// Byte range of the whole `${...}` in the scanned string.
    pub range: Range<usize>,
    /// Text before the first ':' (the whole inner text when there is none).
    pub name: String,
    /// The ':'-separated parts after the name.
    pub args: Vec<String>,
}

impl VariableRef {
    /// Byte range of the text between `${` and `}`.
    pub fn inner_range(&self) -> Range<usize> {
        self.range.start + 2..self.range.end - 1
    }
    /// Byte range of the variable name.
    pub fn name_range(&self) -> Range<usize> {
        let start = self.range.start + 2;
        start..start + self.name.len()
    }
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Finds every `${...}` exactly as the reference's `/\$\{(.*?)\}/g` does: the
/// shortest match up to the first `}`, never across a line break.
pub fn scan_variables(s: &str) -> Vec<VariableRef> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with("${") {
            let body_start = i + 2;
            let mut close = None;
            for (off, c) in s[body_start..].char_indices() {
                if c == '}' {
                    close = Some(body_start + off);
                    break;
                }
                if is_line_terminator(c) {
                    break;
                }
            }
            if let Some(close) = close {
                let inner = &s[body_start..close];
                let mut parts = inner.split(':');
                let name = parts.next().unwrap_or_default().to_string();
                let args = parts.map(str::to_string).collect();
                out.push(VariableRef {
                    range: i..close + 1,
                    name,
                    args,
                });
                i = close + 1;
                continue;
            }
        }
        i += s[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// Severity of a [`VariableIssue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// What is wrong with a `${...}` occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableIssueKind {
    /// `${` with no `}` on the same line: left as literal text.
    Unclosed,
    /// `${}`.
    EmptyName,
    /// Not one of [`KNOWN_VARIABLES`]: left as literal text.
    UnknownVariable,
    /// Whitespace around the name or argument, which is not trimmed.
    Whitespace,
    /// `${localEnv}`, `${env}`, `${containerEnv}` without a name: an error at run time.
    MissingArgument,
    /// `${localEnv:}`: empty variable name, always resolves to "".
    EmptyArgument,
    /// Parts that are ignored (`${localEnv:A:default:extra}`, `${localWorkspaceFolder:x}`).
    IgnoredArguments,
    /// `${a${b}}`: nesting is not supported, the match ends at the first `}`.
    NestedVariable,
}

/// A problem found by [`check_variables`], with its byte range in the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableIssue {
    pub range: Range<usize>,
    pub kind: VariableIssueKind,
    pub severity: Severity,
    pub message: String,
}

fn known_names_list() -> String {
    KNOWN_VARIABLES
        .iter()
        .map(|v| v.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether [`check_variables`] finds nothing in `s`, decided without
/// allocating: every `${` opens a `${...}` closed on its line whose name is
/// known and whose arguments are as the variable expects. `false` means "maybe
/// not": the caller then runs the full check.
fn variables_are_clean(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'$') {
        let open = i + off;
        if b.get(open + 1) != Some(&b'{') {
            i = open + 1;
            continue;
        }
        // The body up to the first '}': no line terminator ('\n', '\r', U+2028,
        // U+2029; 0xE2 starts the last two, we do not look closer), no "${".
        let body = open + 2;
        let Some(len) = b[body..].iter().position(|&c| c == b'}') else { return false };
        let close = body + len;
        let inner = &b[body..close];
        if inner.is_empty() || inner.iter().any(|&c| matches!(c, b'\n' | b'\r' | 0xE2)) {
            return false;
        }
        if inner.iter().zip(&inner[1..]).any(|(&a, &b)| a == b'$' && b == b'{') {
            return false;
        }
        // NAME[:ARG[:DEFAULT]]: where the first two ':' are, and whether there is a third.
        let colon = |from: usize| inner[from..].iter().position(|&c| c == b':').map(|p| from + p);
        let first = colon(0);
        let name_end = first.unwrap_or(inner.len());
        let Some(known) = known_variable(&s[body..body + name_end]) else { return false };
        match first {
            None => {
                if known.takes_argument {
                    return false;
                }
            }
            Some(c0) => {
                if !known.takes_argument {
                    return false;
                }
                let second = colon(c0 + 1);
                if second.is_some_and(|c1| colon(c1 + 1).is_some()) {
                    return false;
                }
                let arg = &s[body + c0 + 1..body + second.unwrap_or(inner.len())];
                if arg.is_empty() || arg.starts_with(char::is_whitespace) || arg.ends_with(char::is_whitespace) {
                    return false;
                }
            }
        }
        i = close + 1;
    }
    true
}

/// Reports malformed or suspicious `${...}` uses in `s`, with byte ranges.
pub fn check_variables(s: &str) -> Vec<VariableIssue> {
    if variables_are_clean(s) {
        return Vec::new();
    }
    let refs = scan_variables(s);
    let mut issues = Vec::new();
    // `${` that did not start a match and is not inside one.
    let mut i = 0;
    let mut next_ref = 0;
    while let Some(off) = s[i..].find("${") {
        let pos = i + off;
        while next_ref < refs.len() && refs[next_ref].range.end <= pos {
            next_ref += 1;
        }
        let inside = refs
            .get(next_ref)
            .is_some_and(|r| r.range.start <= pos && pos < r.range.end);
        if !inside {
            let end = s[pos..]
                .find(is_line_terminator)
                .map_or(s.len(), |e| pos + e);
            issues.push(VariableIssue {
                range: pos..end,
                kind: VariableIssueKind::Unclosed,
                severity: Severity::Warning,
                message: "'${' is never closed with '}' on this line; the text is left as is"
                    .to_string(),
            });
        }
        i = pos + 2;
    }
    for r in &refs {
        let text = &s[r.range.clone()];
        let inner = &s[r.inner_range()];
        let mut push = |kind, severity, message: String| {
            issues.push(VariableIssue {
                range: r.range.clone(),
                kind,
                severity,
                message,
            })
        };
        if inner.is_empty() {
            push(
                VariableIssueKind::EmptyName,
                Severity::Warning,
                "empty variable '${}' is left as is".to_string(),
            );
            continue;
        }
        if inner.contains("${") {
            push(
                VariableIssueKind::NestedVariable,
                Severity::Warning,
                format!("nested variables are not supported: '{text}' ends at the first '}}'"),
            );
            continue;
        }
        let Some(known) = known_variable(&r.name) else {
            if let Some(k) = known_variable(r.name.trim()) {
                push(
                    VariableIssueKind::Whitespace,
                    Severity::Warning,
                    format!("whitespace around the variable name is not trimmed: '{text}' is left as is; write ${{{}}}", k.name),
                );
            } else {
                push(
                    VariableIssueKind::UnknownVariable,
                    Severity::Warning,
                    format!(
                        "unknown variable '{}' in '{text}' is left as is; known variables: {}",
                        r.name,
                        known_names_list()
                    ),
                );
            }
            continue;
        };
        if known.takes_argument {
            match r.args.first() {
                None => push(
                    VariableIssueKind::MissingArgument,
                    Severity::Error,
                    format!(
                        "'{text}' can not be resolved because no environment variable name is given; write ${{{}:NAME}}",
                        known.name
                    ),
                ),
                Some(a) if a.is_empty() => push(
                    VariableIssueKind::EmptyArgument,
                    Severity::Warning,
                    format!("'{text}' names no environment variable and resolves to the default or an empty string"),
                ),
                Some(a) if a.trim() != a => push(
                    VariableIssueKind::Whitespace,
                    Severity::Warning,
                    format!("whitespace is not trimmed: '{text}' looks up the variable '{a}'"),
                ),
                Some(_) if r.args.len() > 2 => push(
                    VariableIssueKind::IgnoredArguments,
                    Severity::Warning,
                    format!(
                        "only '{}' is used as the default in '{text}'; the text after the next ':' is ignored",
                        r.args[1]
                    ),
                ),
                Some(_) => {}
            }
        } else if !r.args.is_empty() {
            push(
                VariableIssueKind::IgnoredArguments,
                Severity::Warning,
                format!(
                    "${{{}}} takes no argument; the text after ':' in '{text}' is ignored",
                    known.name
                ),
            );
        }
    }
    issues.sort_by_key(|i| (i.range.start, i.range.end));
    issues
}

/// [`check_variables`] on every string value of `value` (object keys are not
/// substituted, so not checked). Returns the JSON pointer of each string with its issues.
pub fn check_value(value: &Value) -> Vec<(String, VariableIssue)> {
    fn walk(v: &Value, pointer: &mut String, out: &mut Vec<(String, VariableIssue)>) {
        match v {
            Value::String(s) => {
                out.extend(check_variables(s).into_iter().map(|i| (pointer.clone(), i)))
            }
            Value::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    walk(item, pointer, out);
                    pointer.truncate(len);
                }
            }
            Value::Object(m) => {
                for (k, item) in m {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer_token(k));
                    walk(item, pointer, out);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut String::new(), &mut out);
    out
}

/// A variable left literal because its name is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstitutionWarning {
    /// JSON pointer of the string in the substituted value ("" for a bare string).
    pub pointer: String,
    /// The offending `${...}` text.
    pub text: String,
    /// Byte range of `text` in the string at `pointer`.
    pub range: Range<usize>,
    pub message: String,
}

/// A substitution result plus the warnings collected on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Substituted<T> {
    pub value: T,
    pub warnings: Vec<SubstitutionWarning>,
}

/// Everything the variables can resolve to. `None` inputs leave their variables literal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubstitutionContext {
    /// Host environment (`localEnv`, `env`).
    pub local_env: HashMap<String, String>,
    /// Absolute host workspace folder.
    pub local_workspace_folder: Option<String>,
    /// Raw (unsubstituted) container workspace folder; it is itself substituted first.
    pub container_workspace_folder: Option<String>,
    /// Phase 2 input.
    pub devcontainer_id: Option<String>,
    /// Phase 3 input (container `Config.Env` or probed env).
    pub container_env: Option<HashMap<String, String>>,
    /// For error messages only.
    pub config_file: Option<PathBuf>,
}

/// Node's `path.posix.basename`.
pub fn posix_basename(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    match t.rfind('/') {
        Some(i) => &t[i + 1..],
        None => t,
    }
}

fn escape_pointer_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

fn lookup(
    env: &HashMap<String, String>,
    r: &VariableRef,
    text: &str,
    pointer: &str,
) -> Result<String, ConfigError> {
    match r.args.first() {
        Some(name) => Ok(match env.get(name) {
            Some(v) => v.clone(),
            None => r.args.get(1).cloned().unwrap_or_default(),
        }),
        None => Err(ConfigError::MissingVariableName {
            path: None,
            pointer: if pointer.is_empty() {
                "/".to_string()
            } else {
                pointer.to_string()
            },
            text: text.to_string(),
            variable: r.name.clone(),
        }),
    }
}

struct Resolver<'a> {
    ctx: &'a SubstitutionContext,
    phases: &'a [Phase],
    /// containerWorkspaceFolder after its own substitution.
    cwf: Option<String>,
    warnings: Vec<SubstitutionWarning>,
}

impl<'a> Resolver<'a> {
    fn new(ctx: &'a SubstitutionContext, phases: &'a [Phase]) -> Result<Self, ConfigError> {
        let mut r = Resolver {
            ctx,
            phases,
            cwf: ctx.container_workspace_folder.clone(),
            warnings: Vec::new(),
        };
        if phases.contains(&Phase::Local) {
            if let Some(raw) = ctx.container_workspace_folder.as_deref() {
                // The reference resolves containerWorkspaceFolder with a context in which
                // containerWorkspaceFolder is still the raw value.
                let resolved = r.resolve_phase(raw, Phase::Local, "/workspaceFolder", false)?;
                r.cwf = Some(resolved);
            }
        }
        Ok(r)
    }

    fn resolve_phase(
        &mut self,
        s: &str,
        phase: Phase,
        pointer: &str,
        warn: bool,
    ) -> Result<String, ConfigError> {
        let refs = scan_variables(s);
        if refs.is_empty() {
            return Ok(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for r in refs {
            out.push_str(&s[last..r.range.start]);
            let text = &s[r.range.clone()];
            let replacement = self.replace(&r, text, phase, pointer)?;
            match replacement {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str(text);
                    if warn && known_variable(&r.name).is_none() {
                        self.warnings.push(SubstitutionWarning {
                            pointer: pointer.to_string(),
                            text: text.to_string(),
                            range: r.range.clone(),
                            message: format!(
                                "unknown variable '{}' in '{text}' is left as is; known variables: {}",
                                r.name,
                                known_names_list()
                            ),
                        });
                    }
                }
            }
            last = r.range.end;
        }
        out.push_str(&s[last..]);
        Ok(out)
    }

    fn replace(
        &self,
        r: &VariableRef,
        text: &str,
        phase: Phase,
        pointer: &str,
    ) -> Result<Option<String>, ConfigError> {
        let ctx = self.ctx;
        Ok(match (phase, r.name.as_str()) {
            (Phase::Local, "env" | "localEnv") => Some(lookup(&ctx.local_env, r, text, pointer)?),
            (Phase::Local, "localWorkspaceFolder") => ctx.local_workspace_folder.clone(),
            (Phase::Local, "localWorkspaceFolderBasename") => ctx
                .local_workspace_folder
                .as_deref()
                .map(|f| posix_basename(f).to_string()),
            (Phase::Local, "containerWorkspaceFolder") => self.cwf.clone(),
            (Phase::Local, "containerWorkspaceFolderBasename") => {
                self.cwf.as_deref().map(|f| posix_basename(f).to_string())
            }
            (Phase::DevcontainerId, "devcontainerId") => ctx.devcontainer_id.clone(),
            (Phase::ContainerEnv, "containerEnv") => match &ctx.container_env {
                Some(env) => Some(lookup(env, r, text, pointer)?),
                None => None,
            },
            _ => None,
        })
    }

    fn string(&mut self, s: &str, pointer: &str) -> Result<String, ConfigError> {
        let mut cur = s.to_string();
        for &phase in self.phases {
            // Unknown names are reported once, during the local phase (or the first phase run).
            let warn = phase == self.phases[0];
            cur = self.resolve_phase(&cur, phase, pointer, warn)?;
        }
        Ok(cur)
    }

    fn value(&mut self, v: &Value, pointer: &mut String) -> Result<Value, ConfigError> {
        Ok(match v {
            Value::String(s) => Value::String(self.string(s, pointer)?),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, item) in a.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    out.push(self.value(item, pointer)?);
                    pointer.truncate(len);
                }
                Value::Array(out)
            }
            Value::Object(m) => {
                let mut out = serde_json::Map::new();
                for (k, item) in m {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer_token(k));
                    out.insert(k.clone(), self.value(item, pointer)?);
                    pointer.truncate(len);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

impl SubstitutionContext {
    /// A context with the current process environment as `local_env`.
    pub fn with_process_env() -> Self {
        SubstitutionContext {
            local_env: std::env::vars().collect(),
            ..Default::default()
        }
    }

    /// The phases whose inputs are known, in order: always `Local`, then
    /// `DevcontainerId` if an id is set, then `ContainerEnv` if a container env is set.
    pub fn available_phases(&self) -> Vec<Phase> {
        let mut p = vec![Phase::Local];
        if self.devcontainer_id.is_some() {
            p.push(Phase::DevcontainerId);
        }
        if self.container_env.is_some() {
            p.push(Phase::ContainerEnv);
        }
        p
    }

    /// Applies `phases` in order to every string of `value` (object keys untouched).
    pub fn substitute(
        &self,
        value: &Value,
        phases: &[Phase],
    ) -> Result<Substituted<Value>, ConfigError> {
        let mut r = Resolver::new(self, phases).map_err(|e| self.locate(e))?;
        let mut pointer = String::new();
        let value = r.value(value, &mut pointer).map_err(|e| self.locate(e))?;
        Ok(Substituted {
            value,
            warnings: r.warnings,
        })
    }

    /// Phase 1 (the reference's `substitute()` at config read time).
    pub fn substitute_local(&self, value: &Value) -> Result<Substituted<Value>, ConfigError> {
        self.substitute(value, &[Phase::Local])
    }

    /// Phase 2 only (`${devcontainerId}`); literal when no id is set.
    pub fn substitute_devcontainer_id(&self, value: &Value) -> Value {
        // Phase 2 never fails: devcontainerId takes no argument.
        match self.substitute(value, &[Phase::DevcontainerId]) {
            Ok(s) => s.value,
            Err(_) => value.clone(),
        }
    }

    /// Phase 3 only (`${containerEnv:…}`); literal when no container env is set.
    pub fn substitute_container_env(&self, value: &Value) -> Result<Value, ConfigError> {
        self.substitute(value, &[Phase::ContainerEnv])
            .map(|s| s.value)
    }

    /// All phases whose inputs are known (see [`Self::available_phases`]).
    pub fn substitute_all(&self, value: &Value) -> Result<Substituted<Value>, ConfigError> {
        self.substitute(value, &self.available_phases())
    }

    /// Substitutes one string with `phases`.
    pub fn substitute_str(
        &self,
        s: &str,
        phases: &[Phase],
    ) -> Result<Substituted<String>, ConfigError> {
        let mut r = Resolver::new(self, phases).map_err(|e| self.locate(e))?;
        let value = r.string(s, "").map_err(|e| self.locate(e))?;
        Ok(Substituted {
            value,
            warnings: r.warnings,
        })
    }

    fn locate(&self, e: ConfigError) -> ConfigError {
        match &self.config_file {
            Some(p) => e.with_path(p),
            None => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> SubstitutionContext {
        SubstitutionContext {
            local_env: [("FOO", "foo"), ("EMPTY", ""), ("COLON", "a:b")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            local_workspace_folder: Some("/home/u/proj".into()),
            container_workspace_folder: Some("/workspaces/${localWorkspaceFolderBasename}".into()),
            ..Default::default()
        }
    }

    fn local(s: &str) -> String {
        ctx().substitute_str(s, &[Phase::Local]).unwrap().value
    }

    #[test]
    fn local_env_rules() {
        assert_eq!(local("${localEnv:FOO}"), "foo");
        assert_eq!(local("${env:FOO}"), "foo");
        assert_eq!(local("${localEnv:NOPE}"), "");
        assert_eq!(local("${localEnv:NOPE:dflt}"), "dflt");
        assert_eq!(local("${localEnv:NOPE:default:a:b:c}"), "default");
        assert_eq!(local("${localEnv:EMPTY:dflt}"), "");
        assert_eq!(local("${localEnv:FOO:unused}"), "foo");
        assert_eq!(local("${localEnv:}"), "");
        assert_eq!(local("x${localEnv:FOO}-${localEnv:COLON}y"), "xfoo-a:by");
    }

    #[test]
    fn local_env_without_name_is_an_error() {
        let err = ctx()
            .substitute_local(&json!({"a": ["${localEnv}"]}))
            .unwrap_err();
        match &err {
            ConfigError::MissingVariableName {
                pointer,
                text,
                variable,
                ..
            } => {
                assert_eq!(pointer, "/a/0");
                assert_eq!(text, "${localEnv}");
                assert_eq!(variable, "localEnv");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn workspace_variables() {
        assert_eq!(local("${localWorkspaceFolder}"), "/home/u/proj");
        assert_eq!(local("${localWorkspaceFolderBasename}"), "proj");
        assert_eq!(local("${containerWorkspaceFolder}"), "/workspaces/proj");
        assert_eq!(local("${containerWorkspaceFolderBasename}"), "proj");
    }

    #[test]
    fn container_workspace_folder_referring_to_itself_stays_literal() {
        // Reference quirk: the basename of the raw value is the variable text itself.
        let c = SubstitutionContext {
            container_workspace_folder: Some("/custom/${containerWorkspaceFolderBasename}".into()),
            ..Default::default()
        };
        let v = c
            .substitute_str(
                "${containerWorkspaceFolder}|${containerWorkspaceFolderBasename}",
                &[Phase::Local],
            )
            .unwrap();
        assert_eq!(
            v.value,
            "/custom/${containerWorkspaceFolderBasename}|${containerWorkspaceFolderBasename}"
        );
    }

    #[test]
    fn unknown_inputs_stay_literal() {
        let c = SubstitutionContext::default();
        let s = "${localWorkspaceFolder} ${containerWorkspaceFolderBasename} ${devcontainerId} ${containerEnv:PATH}";
        assert_eq!(c.substitute_all(&json!(s)).unwrap().value, json!(s));
    }

    #[test]
    fn unknown_names_warn_and_stay_literal() {
        let out = ctx()
            .substitute_local(&json!({"k": ["a ${foo:bar} b"]}))
            .unwrap();
        assert_eq!(out.value, json!({"k": ["a ${foo:bar} b"]}));
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(out.warnings[0].pointer, "/k/0");
        assert_eq!(out.warnings[0].text, "${foo:bar}");
        assert_eq!(out.warnings[0].range, 2..12);
        assert!(out.warnings[0].message.contains("unknown variable 'foo'"));
    }

    #[test]
    fn keys_are_not_substituted() {
        let out = ctx()
            .substitute_local(&json!({"${localEnv:FOO}": "${localEnv:FOO}"}))
            .unwrap();
        assert_eq!(out.value, json!({"${localEnv:FOO}": "foo"}));
    }

    #[test]
    fn lazy_match_and_line_breaks_like_javascript() {
        assert_eq!(local("${localEnv:${localEnv:FOO}}"), "FOO}");
        assert_eq!(local("${localEnv:FOO"), "${localEnv:FOO");
        assert_eq!(local("${}"), "${}");
        assert_eq!(
            local("${local\nEnv:FOO} ${localEnv:FOO}"),
            "${local\nEnv:FOO} foo"
        );
        assert_eq!(local("$${localEnv:FOO}}"), "$foo}");
    }

    #[test]
    fn phases_two_and_three() {
        let mut c = ctx();
        let v = json!([
            "${devcontainerId}",
            "${containerEnv:PATH}",
            "${containerEnv:NOPE:d}",
            "${localEnv:FOO}"
        ]);
        assert_eq!(
            c.substitute_all(&v).unwrap().value,
            json!([
                "${devcontainerId}",
                "${containerEnv:PATH}",
                "${containerEnv:NOPE:d}",
                "foo"
            ])
        );
        c.devcontainer_id = Some("abc".into());
        c.container_env = Some(
            [("PATH".to_string(), "/bin".to_string())]
                .into_iter()
                .collect(),
        );
        assert_eq!(
            c.substitute_all(&v).unwrap().value,
            json!(["abc", "/bin", "d", "foo"])
        );
        assert_eq!(
            c.substitute_devcontainer_id(&v),
            json!([
                "abc",
                "${containerEnv:PATH}",
                "${containerEnv:NOPE:d}",
                "${localEnv:FOO}"
            ])
        );
        assert!(matches!(
            c.substitute_container_env(&json!("${containerEnv}")),
            Err(ConfigError::MissingVariableName { .. })
        ));
    }

    #[test]
    fn later_phase_sees_earlier_output() {
        let mut c = ctx();
        c.local_env
            .insert("INDIRECT".into(), "${devcontainerId}".into());
        c.devcontainer_id = Some("id1".into());
        assert_eq!(
            c.substitute_all(&json!("${localEnv:INDIRECT}"))
                .unwrap()
                .value,
            json!("id1")
        );
    }

    #[test]
    fn basename_like_node() {
        assert_eq!(posix_basename("/a/b/"), "b");
        assert_eq!(posix_basename("/"), "");
        assert_eq!(posix_basename(""), "");
        assert_eq!(posix_basename("x"), "x");
    }

    #[test]
    fn scanner_reports_byte_ranges() {
        let s = "é${localEnv:A:b} ${x}";
        let refs = scan_variables(s);
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].range, 2..17);
        assert_eq!(&s[refs[0].range.clone()], "${localEnv:A:b}");
        assert_eq!(refs[0].name, "localEnv");
        assert_eq!(refs[0].args, vec!["A", "b"]);
        assert_eq!(&s[refs[0].name_range()], "localEnv");
        assert_eq!(&s[refs[0].inner_range()], "localEnv:A:b");
        assert_eq!(refs[1].name, "x");
        assert!(refs[1].args.is_empty());
    }

    fn kinds(s: &str) -> Vec<(VariableIssueKind, Range<usize>)> {
        check_variables(s)
            .into_iter()
            .map(|i| (i.kind, i.range))
            .collect()
    }

    #[test]
    fn checker_finds_malformed_syntax() {
        use VariableIssueKind::*;
        assert_eq!(kinds("a ${localEnv:X"), vec![(Unclosed, 2..14)]);
        assert_eq!(kinds("${}"), vec![(EmptyName, 0..3)]);
        assert_eq!(kinds("${localEnv: FOO}"), vec![(Whitespace, 0..16)]);
        assert_eq!(kinds("${ localEnv:FOO}"), vec![(Whitespace, 0..16)]);
        assert_eq!(kinds("${nope}"), vec![(UnknownVariable, 0..7)]);
        assert_eq!(kinds("${localEnv}"), vec![(MissingArgument, 0..11)]);
        assert_eq!(check_variables("${localEnv}")[0].severity, Severity::Error);
        assert_eq!(kinds("${localEnv:}"), vec![(EmptyArgument, 0..12)]);
        assert_eq!(
            kinds("${localEnv:A:default:a:b}"),
            vec![(IgnoredArguments, 0..25)]
        );
        assert_eq!(
            kinds("${localWorkspaceFolder:x}"),
            vec![(IgnoredArguments, 0..25)]
        );
        assert_eq!(
            kinds("${localEnv:${localEnv:A}}"),
            vec![(NestedVariable, 0..24)]
        );
        assert_eq!(kinds("${a\n} ${localEnv:A}"), vec![(Unclosed, 0..3)]);
        assert!(kinds("${localEnv:A:b} ${containerEnv:PATH} ${devcontainerId}").is_empty());
    }

    #[test]
    fn check_value_reports_pointers() {
        let v = json!({"a": ["ok", "${nope}"], "${bad}": {"x/y": "${localEnv}"}});
        let found: Vec<(String, VariableIssueKind)> = check_value(&v)
            .into_iter()
            .map(|(p, i)| (p, i.kind))
            .collect();
        assert_eq!(
            found,
            vec![
                ("/a/1".to_string(), VariableIssueKind::UnknownVariable),
                (
                    "/${bad}/x~1y".to_string(),
                    VariableIssueKind::MissingArgument
                )
            ]
        );
    }

    #[test]
    fn known_variable_list_is_complete() {
        for n in [
            "localEnv",
            "env",
            "localWorkspaceFolder",
            "localWorkspaceFolderBasename",
            "containerWorkspaceFolder",
            "containerWorkspaceFolderBasename",
            "devcontainerId",
            "containerEnv",
        ] {
            assert!(known_variable(n).is_some(), "{n}");
        }
        assert!(KNOWN_VARIABLES.iter().all(|v| !v.description.is_empty()));
    }
}
