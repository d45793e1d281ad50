//! The validation engine shared by `devc validate` and the language server:
//! syntax errors, schema problems and semantic checks (referenced files exist,
//! mounts parse, variables are well formed, image/build exclusivity, command
//! shapes) for one devcontainer.json, each on a precise span.

use crate::document::ConfigDocument;
use crate::substitute::{check_variables, VariableIssueKind};
use devc_jsonc::{Node, NodeKind, PathSegment, Property, Span, SyntaxErrorKind};
pub use devc_schema::Severity;
use devc_schema::ProblemCode;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub severity: Severity,
    pub message: String,
    pub code: DiagnosticCode,
    /// Property path of the node the diagnostic is about (empty for syntax errors).
    pub path: Vec<PathSegment>,
}

/// Where a diagnostic comes from; quick fixes key off this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticCode {
    Syntax(SyntaxErrorKind),
    Schema(ProblemCode),
    MissingFile,
    InvalidMount,
    Variable(VariableIssueKind),
    ImageAndBuild,
    EmptyCommand,
    /// A Feature id, option name or option value (from devcontainer-feature.json).
    Feature,
}

impl DiagnosticCode {
    /// A stable short name (for `--format json` and LSP diagnostic codes).
    pub fn name(self) -> String {
        match self {
            DiagnosticCode::Syntax(SyntaxErrorKind::DuplicateKey) => "duplicate-key".into(),
            DiagnosticCode::Syntax(_) => "syntax".into(),
            DiagnosticCode::Schema(ProblemCode::NotAllowed) => "unknown-property".into(),
            DiagnosticCode::Schema(ProblemCode::Deprecated) => "deprecated".into(),
            DiagnosticCode::Schema(ProblemCode::Missing) => "missing-property".into(),
            DiagnosticCode::Schema(_) => "schema".into(),
            DiagnosticCode::MissingFile => "missing-file".into(),
            DiagnosticCode::InvalidMount => "invalid-mount".into(),
            DiagnosticCode::Variable(_) => "variable".into(),
            DiagnosticCode::ImageAndBuild => "image-and-build".into(),
            DiagnosticCode::EmptyCommand => "empty-command".into(),
            DiagnosticCode::Feature => "feature".into(),
        }
    }
}

const LIFECYCLE: [&str; 6] = [
    "initializeCommand",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
];

/// Everything wrong with `doc`, ordered by position. File-existence checks are
/// relative to the document's folder.
pub fn diagnose(doc: &ConfigDocument) -> Vec<Diagnostic> {
    diagnose_text(&doc.parse, &doc.text, Some(&doc.path))
}

/// Like [`diagnose`] for an already parsed text; without `config_path` (an
/// unsaved buffer) file-existence checks are skipped.
pub fn diagnose_text(parse: &devc_jsonc::Parse, text: &str, config_path: Option<&Path>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = parse
        .errors
        .iter()
        .map(|e| Diagnostic {
            span: e.span.clone(),
            severity: match e.severity {
                devc_jsonc::Severity::Error => Severity::Error,
                devc_jsonc::Severity::Warning => Severity::Warning,
            },
            message: e.message.clone(),
            code: DiagnosticCode::Syntax(e.kind),
            path: Vec::new(),
        })
        .collect();
    let Some(root) = &parse.root else {
        if !parse.has_errors() {
            out.push(Diagnostic {
                span: 0..0,
                severity: Severity::Error,
                message: "the file is empty: a devcontainer.json holds one JSON object".into(),
                code: DiagnosticCode::Syntax(SyntaxErrorKind::RootExpected),
                path: Vec::new(),
            });
        }
        return out;
    };
    let top = Top::of(root);
    let mut semantic = Vec::new();
    if root.as_object().is_some() {
        let mut checker = Checker { text, dir: config_path.and_then(Path::parent), out: &mut semantic };
        checker.check(root, &top);
    }
    let image_and_build = semantic.iter().any(|d| d.code == DiagnosticCode::ImageAndBuild);
    for p in devc_schema::devcontainer().validate(root) {
        // With both image and build set the schema's findings ("matches more than
        // one form", "image/build not allowed") restate the semantic error, worse.
        let restates = p.path.is_empty()
            && (p.code == ProblemCode::MultipleMatches
                || (p.code == ProblemCode::NotAllowed
                    && ["\"image\"", "\"build\"", "\"dockerFile\""].contains(&&text[p.span.clone()])));
        if image_and_build && restates {
            continue;
        }
        let mut message = p.message;
        if p.code == ProblemCode::Missing && p.path.is_empty() && !top.has_source() {
            message = "no container source: set \"image\" (a prebuilt image), \"build\" (a Dockerfile) or \"dockerComposeFile\" (Docker Compose)".to_string();
        }
        out.push(Diagnostic { span: p.span, severity: p.severity, message, code: DiagnosticCode::Schema(p.code), path: p.path });
    }
    if root.as_object().is_some() && !top.has_source() && !out.iter().any(|d| d.code == DiagnosticCode::Schema(ProblemCode::Missing) && d.path.is_empty()) {
        out.push(Diagnostic {
            span: root.span.start..root.span.start + 1,
            severity: Severity::Warning,
            message: "no container source: `devc up` needs one of \"image\", \"build\" (a Dockerfile) or \"dockerComposeFile\"".to_string(),
            code: DiagnosticCode::Schema(ProblemCode::Missing),
            path: Vec::new(),
        });
    }
    out.extend(semantic);
    out.sort_by_key(|d| (d.span.start, d.span.end));
    out
}

/// The top-level properties the checks look at: the first one with each key,
/// as [`Node::property`] finds it, all found in one pass.
#[derive(Default)]
struct Top<'n> {
    image: Option<&'n Property>,
    build: Option<&'n Property>,
    docker_file: Option<&'n Property>,
    context: Option<&'n Property>,
    compose: Option<&'n Property>,
    mounts: Option<&'n Property>,
    workspace_mount: Option<&'n Property>,
    hooks: [Option<&'n Property>; LIFECYCLE.len()],
}

impl<'n> Top<'n> {
    fn of(root: &'n Node) -> Top<'n> {
        let mut top = Top::default();
        for p in root.as_object().unwrap_or_default() {
            let slot = match p.key.value.as_str() {
                "image" => &mut top.image,
                "build" => &mut top.build,
                "dockerFile" => &mut top.docker_file,
                "context" => &mut top.context,
                "dockerComposeFile" => &mut top.compose,
                "mounts" => &mut top.mounts,
                "workspaceMount" => &mut top.workspace_mount,
                key => match LIFECYCLE.iter().position(|h| *h == key) {
                    Some(i) => &mut top.hooks[i],
                    None => continue,
                },
            };
            if slot.is_none() {
                *slot = Some(p);
            }
        }
        top
    }

    /// The value of a property found (what [`Node::get`] returns).
    fn get(p: Option<&'n Property>) -> Option<&'n Node> {
        p?.value.as_ref()
    }

    fn has_source(&self) -> bool {
        [self.image, self.build, self.docker_file, self.compose].into_iter().any(|p| Top::get(p).is_some())
    }
}

/// One step of a path while walking the tree (borrowed; see [`Checker::variables`]).
enum Step<'n> {
    Key(&'n str),
    Index(usize),
}

/// The property path from `root` to `target` (a node of that tree): down the
/// values whose spans contain `target`'s, or, should spans overlap after a
/// syntax error, by searching the whole tree.
fn path_of(root: &Node, target: &Node) -> Vec<PathSegment> {
    fn guided(node: &Node, target: &Node, path: &mut Vec<PathSegment>) -> bool {
        if std::ptr::eq(node, target) {
            return true;
        }
        let inside = |n: &Node| n.span.start <= target.span.start && target.span.end <= n.span.end;
        match &node.kind {
            NodeKind::Object(props) => {
                for p in props {
                    if let Some(v) = p.value.as_ref().filter(|v| inside(v)) {
                        path.push(PathSegment::Key(p.key.value.clone()));
                        return guided(v, target, path);
                    }
                }
                false
            }
            NodeKind::Array(items) => match items.iter().position(inside) {
                Some(i) => {
                    path.push(PathSegment::Index(i));
                    guided(&items[i], target, path)
                }
                None => false,
            },
            _ => false,
        }
    }
    fn search(node: &Node, target: &Node, path: &mut Vec<PathSegment>) -> bool {
        if std::ptr::eq(node, target) {
            return true;
        }
        match &node.kind {
            NodeKind::Object(props) => {
                for p in props {
                    if let Some(v) = &p.value {
                        path.push(PathSegment::Key(p.key.value.clone()));
                        if search(v, target, path) {
                            return true;
                        }
                        path.pop();
                    }
                }
                false
            }
            NodeKind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSegment::Index(i));
                    if search(item, target, path) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            _ => false,
        }
    }
    let mut path = Vec::new();
    if guided(root, target, &mut path) {
        return path;
    }
    path.clear();
    search(root, target, &mut path);
    path
}

/// Whether `path` is below `dir` (by components; both already normalized).
fn is_strictly_within(path: &Path, dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (p, d) = (path.as_os_str().as_bytes(), dir.as_os_str().as_bytes());
        if d == b"/" {
            return p.len() > 1 && p[0] == b'/';
        }
        p.len() > d.len() && p.starts_with(d) && p[d.len()] == b'/'
    }
    #[cfg(not(unix))]
    {
        path != dir && path.starts_with(dir)
    }
}

/// The owned form of a borrowed path.
fn owned(path: &[Step]) -> Vec<PathSegment> {
    path.iter()
        .map(|step| match step {
            Step::Key(k) => PathSegment::Key((*k).to_string()),
            Step::Index(i) => PathSegment::Index(*i),
        })
        .collect()
}

struct Checker<'a> {
    text: &'a str,
    dir: Option<&'a Path>,
    out: &'a mut Vec<Diagnostic>,
}

impl Checker<'_> {
    fn push(&mut self, span: Span, severity: Severity, code: DiagnosticCode, path: &[PathSegment], message: String) {
        self.out.push(Diagnostic { span, severity, message, code, path: path.to_vec() });
    }

    fn check(&mut self, root: &Node, top: &Top) {
        use Step::{Index, Key};
        // image and build are exclusive.
        if Top::get(top.image).is_some() {
            for (other, property) in [("build", top.build), ("dockerFile", top.docker_file)] {
                if let Some(p) = property {
                    self.push(
                        p.key.span.clone(),
                        Severity::Error,
                        DiagnosticCode::ImageAndBuild,
                        &owned(&[Key(other)]),
                        format!("both \"image\" and \"{other}\" are set; use \"image\" for a prebuilt image or \"{other}\" to build one, not both"),
                    );
                }
            }
        }
        // Referenced files.
        if let Some(build) = Top::get(top.build) {
            let mut dockerfile = None;
            if let Some(df) = build.get("dockerfile") {
                dockerfile = self.file_exists_at(df, false, "Dockerfile", &[Key("build"), Key("dockerfile")], None);
            }
            if let Some(ctx) = build.get("context") {
                let within = dockerfile.as_deref();
                self.file_exists_at(ctx, true, "build context folder", &[Key("build"), Key("context")], within);
            }
        }
        if let Some(df) = Top::get(top.docker_file) {
            let dockerfile = self.file_exists_at(df, false, "Dockerfile", &[Key("dockerFile")], None);
            if let Some(ctx) = Top::get(top.context) {
                self.file_exists_at(ctx, true, "build context folder", &[Key("context")], dockerfile.as_deref());
            }
        }
        let compose = Top::get(top.compose);
        match compose.map(|n| &n.kind) {
            Some(NodeKind::String(_)) => {
                if let Some(node) = compose {
                    self.file_exists_at(node, false, "Docker Compose file", &[Key("dockerComposeFile")], None);
                }
            }
            Some(NodeKind::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.file_exists_at(item, false, "Docker Compose file", &[Key("dockerComposeFile"), Index(i)], None);
                }
            }
            _ => {}
        }
        // Mount strings.
        if let Some(items) = Top::get(top.mounts).and_then(Node::as_array) {
            for (i, item) in items.iter().enumerate() {
                if let Some(s) = item.as_str() {
                    self.mount(item, s, &[Key("mounts"), Index(i)]);
                }
            }
        }
        if let Some(wm) = Top::get(top.workspace_mount) {
            if let Some(s) = wm.as_str().filter(|s| !s.is_empty()) {
                self.mount(wm, s, &[Key("workspaceMount")]);
            }
        }
        // Lifecycle command shapes beyond the schema.
        for (hook, property) in LIFECYCLE.into_iter().zip(top.hooks) {
            if let Some(cmd) = Top::get(property) {
                self.command(cmd, &[Key(hook)]);
                if let Some(props) = cmd.as_object() {
                    for p in props {
                        if let Some(v) = &p.value {
                            self.command(v, &[Key(hook), Key(&p.key.value)]);
                        }
                    }
                }
            }
        }
        // Variables in every string value.
        self.variables(root, root);
    }

    /// Walks every string value for `${...}` problems. The path of a string is
    /// worked out only when it has issues.
    fn variables(&mut self, root: &Node, node: &Node) {
        match &node.kind {
            NodeKind::String(s) if s.as_bytes().contains(&b'$') => {
                let issues = check_variables(s);
                if issues.is_empty() {
                    return;
                }
                let path = path_of(root, node);
                for issue in issues {
                    let span = self.value_span(node, s, issue.range.clone());
                    let severity = match issue.severity {
                        crate::substitute::Severity::Error => Severity::Error,
                        crate::substitute::Severity::Warning => Severity::Warning,
                    };
                    let message = if path.is_empty() {
                        issue.message.clone()
                    } else {
                        format!("{}: {}", devc_jsonc::path_to_string(&path), issue.message)
                    };
                    self.push(span, severity, DiagnosticCode::Variable(issue.kind), &path, message);
                }
            }
            NodeKind::Array(items) => {
                for item in items {
                    if matches!(item.kind, NodeKind::String(_) | NodeKind::Array(_) | NodeKind::Object(_)) {
                        self.variables(root, item);
                    }
                }
            }
            NodeKind::Object(props) => {
                for p in props {
                    if let Some(v) = &p.value {
                        if matches!(v.kind, NodeKind::String(_) | NodeKind::Array(_) | NodeKind::Object(_)) {
                            self.variables(root, v);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn command(&mut self, cmd: &Node, path: &[Step]) {
        if let Some(items) = cmd.as_array() {
            if let Some(first) = items.first() {
                if first.as_str().is_some_and(|s| s.trim().is_empty()) {
                    let path = owned(path);
                    self.push(
                        first.span.clone(),
                        Severity::Error,
                        DiagnosticCode::EmptyCommand,
                        &path,
                        format!("{}: the first element of an array command is the program to run and must not be empty", devc_jsonc::path_to_string(&path)),
                    );
                }
            }
        }
    }

    fn mount(&mut self, node: &Node, s: &str, path: &[Step]) {
        if crate::mount::mount_string_is_valid(s) {
            return; // parse_mount would succeed: skip building the mount
        }
        if let Err(e) = crate::mount::parse_mount(s) {
            let path = owned(path);
            self.push(node.span.clone(), Severity::Error, DiagnosticCode::InvalidMount, &path, format!("{}: {e}", devc_jsonc::path_to_string(&path)));
        }
    }

    /// Reports `node`'s path (relative to the config's folder) when it is not an
    /// existing file (or folder, with `want_dir`); returns the resolved path
    /// when it was found. `found_within` is a file found just before: a folder
    /// on its path (by components, after `.`/`..` are folded) exists, since
    /// finding the file walked through it, so it is not looked up again.
    fn file_exists_at(&mut self, node: &Node, want_dir: bool, what: &str, path: &[Step], found_within: Option<&Path>) -> Option<PathBuf> {
        let (Some(base), Some(rel)) = (self.dir, node.as_str()) else { return None };
        if rel.is_empty() || rel.contains("${") {
            return None; // resolved only at `up`; nothing to check statically
        }
        let full = crate::discovery::resolve_path(base, Path::new(rel));
        let on_the_way = want_dir && found_within.is_some_and(|file| is_strictly_within(file, &full));
        let ok = on_the_way || if want_dir { full.is_dir() } else { full.is_file() };
        if !ok {
            let path = owned(path);
            self.push(
                node.span.clone(),
                Severity::Error,
                DiagnosticCode::MissingFile,
                &path,
                format!(
                    "{}: {what} {} not found (paths are relative to {}); create it or fix the path",
                    devc_jsonc::path_to_string(&path),
                    full.display(),
                    base.display()
                ),
            );
            return None;
        }
        Some(full)
    }

    /// Maps a byte range of a decoded string value back to the source. When the
    /// string has escapes the offsets differ, so the whole value is used.
    fn value_span(&self, node: &Node, decoded: &str, range: std::ops::Range<usize>) -> Span {
        let raw = self.text.get(node.span.start + 1..node.span.end.saturating_sub(1));
        if raw == Some(decoded) {
            node.span.start + 1 + range.start..node.span.start + 1 + range.end
        } else {
            node.span.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, dir: Option<&Path>) -> Vec<(String, Severity, String, String)> {
        let path = dir.map(|d| d.join("devcontainer.json"));
        let parse = devc_jsonc::parse(text);
        diagnose_text(&parse, text, path.as_deref())
            .into_iter()
            .map(|d| (text[d.span.clone()].to_string(), d.severity, d.code.name(), d.message))
            .collect()
    }

    #[test]
    fn valid_image_config_is_clean() {
        let found = run(r#"{ "image": "alpine", "forwardPorts": [3000, "db:5432"], "remoteUser": "${localEnv:USER}" }"#, None);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn missing_dockerfile_and_context_are_reported_on_the_values() {
        let dir = tempfile::tempdir().unwrap();
        let found = run(r#"{ "build": { "dockerfile": "Dockerfile", "context": "../nowhere" } }"#, Some(dir.path()));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "\"Dockerfile\"");
        assert!(found[0].3.contains("Dockerfile") && found[0].3.contains("not found"));
        assert_eq!(found[1].0, "\"../nowhere\"");
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let found = run(r#"{ "build": { "dockerfile": "Dockerfile", "context": "." } }"#, Some(dir.path()));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn compose_files_are_checked_each() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yml"), "services: {}\n").unwrap();
        let text = r#"{ "dockerComposeFile": ["a.yml", "b.yml"], "service": "s", "workspaceFolder": "/w" }"#;
        let found = run(text, Some(dir.path()));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "\"b.yml\"");
        assert_eq!(found[0].2, "missing-file");
    }

    #[test]
    fn image_and_build_together_is_an_error_on_the_build_key() {
        let found = run(r#"{ "image": "a", "build": { "dockerfile": "D" } }"#, None);
        let errs: Vec<_> = found.iter().filter(|f| f.1 == Severity::Error).collect();
        assert_eq!(errs.len(), 1, "{found:?}");
        assert_eq!(errs[0].0, "\"build\"");
        assert_eq!(errs[0].2, "image-and-build");
    }

    #[test]
    fn bad_mount_strings_are_errors() {
        let found = run(r#"{ "image": "a", "mounts": ["source=/a,target=/b,type=bind", "source=/x"], "workspaceMount": "type=bind" }"#, None);
        let mounts: Vec<_> = found.iter().filter(|f| f.2 == "invalid-mount").collect();
        assert_eq!(mounts.len(), 2, "{found:?}");
        assert_eq!(mounts[0].0, "\"source=/x\"");
        assert!(mounts[0].3.starts_with("mounts[1]: invalid mount"), "{}", mounts[0].3);
        assert_eq!(mounts[1].0, "\"type=bind\"");
    }

    #[test]
    fn variable_problems_point_inside_the_string() {
        let found = run(r#"{ "image": "a", "containerEnv": { "A": "x ${localEnv} ${nope} ${unclosed" } }"#, None);
        let vars: Vec<_> = found.iter().filter(|f| f.2 == "variable").collect();
        assert!(vars.iter().any(|v| v.0 == "${localEnv}" && v.1 == Severity::Error), "{vars:?}");
        assert!(vars.iter().any(|v| v.0 == "${nope}" && v.1 == Severity::Warning), "{vars:?}");
        assert!(vars.iter().all(|v| v.3.starts_with("containerEnv.A: ")));
    }

    #[test]
    fn empty_program_in_array_command() {
        let found = run(r#"{ "image": "a", "postCreateCommand": { "one": ["", "x"] } }"#, None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].2, "empty-command");
    }

    #[test]
    fn syntax_and_schema_errors_together() {
        let found = run("{ \"image\": 1 \"remoteUser\": \"x\" }", None);
        assert_eq!(found[0].0, "1");
        assert_eq!(found[1].0, "\"remoteUser\"");
        assert_eq!(found[1].3, "expected comma");
    }

    #[test]
    fn no_container_source_says_what_to_add() {
        // With container options present the schema requires a source.
        let found = run(r#"{ "name": "x", "runArgs": ["--init"] }"#, None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0.as_str(), found[0].1), ("{", Severity::Error));
        assert!(found[0].3.starts_with("no container source: set \"image\""), "{}", found[0].3);
        // The spec schema accepts common properties alone; `up` would still fail.
        let found = run(r#"{ "name": "x", "remoteUser": "dev" }"#, None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0.as_str(), found[0].1), ("{", Severity::Warning));
        assert!(found[0].3.contains("`devc up` needs one"), "{}", found[0].3);
    }

    #[test]
    fn empty_file_is_an_error() {
        let found = run("  ", None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, Severity::Error);
    }
}
