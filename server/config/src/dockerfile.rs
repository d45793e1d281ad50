//! Dockerfile reader for what the engine needs without building: parser directives,
//! global ARGs, stages (FROM/ARG/ENV/USER), the base image and `USER` of the target
//! stage, and naming the final stage, mirroring the reference CLI's `dockerfileUtils.ts`.

use indexmap::IndexMap;
use serde_json::Value;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// The escape character when no `# escape=` directive says otherwise.
pub const DEFAULT_ESCAPE: char = '\\';

/// Variable lookups during resolution (`find_value` calls) before giving up.
const MAX_STEPS: u32 = 10_000;
/// Nested expansions (a value whose expansion needs another value, ...) before giving up.
const MAX_DEPTH: u32 = 64;
/// Nested `${a:-${b:-...}}` words expanded; deeper words expand to nothing.
const MAX_NESTING: u32 = 32;
/// Longest expansion result; longer means a runaway Dockerfile and resolution fails.
const MAX_LEN: usize = 64 * 1024;

/// A parsed Dockerfile, reduced to the instructions that matter without building.
///
/// Values (`image`, ARG defaults, ENV values, USER) are kept as written: quotes
/// kept and variables unexpanded; [`find_base_image`] and [`find_user`] expand them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives at the top of the file (`# syntax=…`, `# escape=…`); names
    /// lowercased, values trimmed, the first occurrence of a name wins.
    pub directives: IndexMap<String, String>,
    /// The escape / line-continuation character (`\` or, with `# escape=\``, `` ` ``).
    pub escape: char,
    /// ARGs declared before the first FROM, the only ones FROM lines can see.
    pub global_args: Vec<Arg>,
    /// The stages, in file order.
    pub stages: Vec<Stage>,
}

/// One `ARG` declaration (`ARG A=1 B` declares two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    /// The default as written (quotes kept), `None` for `ARG NAME`.
    pub default: Option<String>,
}

/// A stage instruction the engine looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    Arg(Arg),
    /// One variable of `ENV K=V K2="v 2"` or of the legacy `ENV K V`.
    Env {
        name: String,
        value: String,
    },
    /// `USER`'s argument as written.
    User(String),
}

/// One `FROM [--platform=…] <image> [AS <name>]` and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The image (or earlier stage name) as written, e.g. `"${BASE}"`; empty if missing.
    pub image: String,
    /// The `--platform=` flag's value as written.
    pub platform: Option<String>,
    /// The stage name after `AS`, as written.
    pub name: Option<String>,
    pub instructions: Vec<Instruction>,
    /// 1-based line of the FROM instruction.
    pub line: usize,
    /// Byte offset in the original text just after the image word (where the reference
    /// inserts ` AS <name>` when the last stage has none).
    pub image_end: usize,
}

/// Result of [`ensure_final_stage_name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalStageName {
    /// The last stage's name: its own, or the default that was added.
    pub name: String,
    /// The Dockerfile text with ` AS <default>` added; `None` when the stage was named.
    pub modified: Option<String>,
}

/// An OS/architecture/variant triple, e.g. `linux/arm64/v8`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformInfo {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl PlatformInfo {
    /// Parses `os/arch[/variant]`; `None` without an architecture.
    pub fn parse(platform: &str) -> Option<PlatformInfo> {
        let mut parts = platform.trim().splitn(3, '/');
        let os = parts.next().filter(|s| !s.is_empty())?;
        let arch = parts.next().filter(|s| !s.is_empty())?;
        let variant = parts.next().filter(|s| !s.is_empty());
        Some(PlatformInfo {
            os: os.to_string(),
            arch: arch.to_string(),
            variant: variant.map(str::to_string),
        })
    }

    /// `os/arch[/variant]`, skipping empty parts as the reference does.
    pub fn to_platform_string(&self) -> String {
        [
            self.os.as_str(),
            self.arch.as_str(),
            self.variant.as_deref().unwrap_or(""),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/")
    }
}

/// The automatic platform ARGs of the global scope (`BUILDPLATFORM`, `BUILDOS`,
/// `BUILDARCH`, `BUILDVARIANT`, `TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`,
/// `TARGETVARIANT`), built like the reference builds them.
pub fn platform_args(build: &PlatformInfo, target: &PlatformInfo) -> IndexMap<String, String> {
    let mut m = IndexMap::new();
    for (prefix, p) in [("BUILD", build), ("TARGET", target)] {
        m.insert(format!("{prefix}PLATFORM"), p.to_platform_string());
        m.insert(format!("{prefix}OS"), p.os.clone());
        m.insert(format!("{prefix}ARCH"), p.arch.clone());
        m.insert(
            format!("{prefix}VARIANT"),
            p.variant.clone().unwrap_or_default(),
        );
    }
    m
}

/// Where resolution reads variables from: build args, the base image's environment,
/// the platform args. Implemented for the usual maps, for `KEY=VALUE` lists (the
/// shape of `docker inspect`'s `Config.Env`), for pairs, and `()` for "none".
pub trait VarLookup {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<&str>;
}

impl VarLookup for () {
    fn var(&self, _name: &str) -> Option<&str> {
        None
    }
}

impl<T: VarLookup + ?Sized> VarLookup for &T {
    fn var(&self, name: &str) -> Option<&str> {
        (**self).var(name)
    }
}

impl<S: BuildHasher> VarLookup for HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl<S: BuildHasher> VarLookup for IndexMap<String, String, S> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl VarLookup for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// A JSON object (e.g. `build.args`); only string values count.
impl VarLookup for serde_json::Map<String, Value> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
}

/// `KEY=VALUE` entries; entries without `=` are ignored and a later duplicate wins.
impl VarLookup for [String] {
    fn var(&self, name: &str) -> Option<&str> {
        self.iter().rev().find_map(|entry| {
            let (k, v) = entry.split_once('=')?;
            (k == name).then_some(v)
        })
    }
}

/// `(name, value)` pairs; a later duplicate wins.
impl<K: AsRef<str>, V: AsRef<str>> VarLookup for [(K, V)] {
    fn var(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v.as_ref())
    }
}

impl<T> VarLookup for Vec<T>
where
    [T]: VarLookup,
{
    fn var(&self, name: &str) -> Option<&str> {
        self.as_slice().var(name)
    }
}

impl<T, const N: usize> VarLookup for [T; N]
where
    [T]: VarLookup,
{
    fn var(&self, name: &str) -> Option<&str> {
        self.as_slice().var(name)
    }
}

impl Dockerfile {
    /// Parses Dockerfile text. Never fails: what it does not understand is skipped.
    pub fn parse(text: &str) -> Dockerfile {
        let lines = split_lines(text);
        let mut directives = IndexMap::new();
        for line in &lines {
            match parse_directive(line.text) {
                Some((name, value)) => {
                    directives.entry(name).or_insert(value);
                }
                None => break,
            }
        }
        let escape = match directives.get("escape").map(String::as_str) {
            Some("`") => '`',
            _ => DEFAULT_ESCAPE,
        };
        let mut df = Dockerfile {
            directives,
            escape,
            global_args: Vec::new(),
            stages: Vec::new(),
        };

        let mut i = 0;
        while i < lines.len() {
            let line = &lines[i];
            let line_no = i + 1;
            i += 1;
            let trimmed = line.text.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut logical = Logical::default();
            let mut cur_start = line.start + (line.text.len() - trimmed.len());
            let mut cur = trimmed;
            loop {
                let (content, continues) = strip_continuation(cur, escape);
                logical.push(cur_start, content);
                if !continues {
                    break;
                }
                // Blank and comment lines inside a continuation are dropped.
                let mut next = None;
                while i < lines.len() {
                    let l = &lines[i];
                    i += 1;
                    let t = l.text.trim_start();
                    if !t.is_empty() && !t.starts_with('#') {
                        next = Some(l);
                        break;
                    }
                }
                match next {
                    Some(l) => {
                        cur_start = l.start;
                        cur = l.text;
                    }
                    None => break,
                }
            }
            for (terminator, strip_tabs) in df.apply(&logical, line_no) {
                while i < lines.len() {
                    let l = lines[i].text;
                    i += 1;
                    let l = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if l.trim_end() == terminator {
                        break;
                    }
                }
            }
        }
        df
    }

    /// Records one logical line; returns the heredocs (terminator, strip tabs) whose
    /// bodies follow it.
    fn apply(&mut self, logical: &Logical, line_no: usize) -> Vec<(String, bool)> {
        let text = logical.text.as_str();
        let kw_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let keyword = text[..kw_end].to_ascii_uppercase();
        let rest = text[kw_end..].trim_start();
        let rest_off = text.len() - rest.len();
        let escape = self.escape;
        match keyword.as_str() {
            "FROM" => {
                let words = split_words(rest, escape);
                let mut idx = 0;
                let mut platform = None;
                while let Some(&(s, e)) = words.get(idx) {
                    let w = &rest[s..e];
                    if !w.starts_with("--") {
                        break;
                    }
                    if let Some(p) = w.strip_prefix("--platform=") {
                        platform = Some(p.to_string());
                    }
                    idx += 1;
                }
                let (image, image_end) = match words.get(idx) {
                    Some(&(s, e)) => (rest[s..e].to_string(), logical.orig_end(rest_off + e)),
                    None => (String::new(), logical.orig_end(text.len())),
                };
                let name = match (words.get(idx + 1), words.get(idx + 2)) {
                    (Some(&(s, e)), Some(&(ns, ne))) if rest[s..e].eq_ignore_ascii_case("as") => {
                        Some(rest[ns..ne].to_string())
                    }
                    _ => None,
                };
                self.stages.push(Stage {
                    image,
                    platform,
                    name,
                    instructions: Vec::new(),
                    line: line_no,
                    image_end,
                });
            }
            "ARG" => {
                for (s, e) in split_words(rest, escape) {
                    let word = &rest[s..e];
                    let (name, default) = match word.split_once('=') {
                        Some((n, d)) => (n, Some(d.to_string())),
                        None => (word, None),
                    };
                    if name.is_empty() {
                        continue;
                    }
                    let arg = Arg {
                        name: name.to_string(),
                        default,
                    };
                    match self.stages.last_mut() {
                        Some(stage) => stage.instructions.push(Instruction::Arg(arg)),
                        None => self.global_args.push(arg),
                    }
                }
            }
            "ENV" => {
                let Some(stage) = self.stages.last_mut() else {
                    return Vec::new();
                };
                let words = split_words(rest, escape);
                let Some(&(fs, fe)) = words.first() else {
                    return Vec::new();
                };
                if rest[fs..fe].contains('=') {
                    for (s, e) in words {
                        if let Some((name, value)) = rest[s..e].split_once('=') {
                            if !name.is_empty() {
                                stage.instructions.push(Instruction::Env {
                                    name: name.to_string(),
                                    value: value.to_string(),
                                });
                            }
                        }
                    }
                } else {
                    // Legacy `ENV K V…`: the value is the rest of the line. Like the
                    // reference, `ENV K = V` also reads as K=V.
                    let value = rest[fe..]
                        .trim_start_matches(|c: char| c.is_whitespace() || c == '=')
                        .trim_end();
                    if !value.is_empty() {
                        stage.instructions.push(Instruction::Env {
                            name: rest[fs..fe].to_string(),
                            value: value.to_string(),
                        });
                    }
                }
            }
            "USER" => {
                let user = rest.trim();
                if let (Some(stage), false) = (self.stages.last_mut(), user.is_empty()) {
                    stage.instructions.push(Instruction::User(user.to_string()));
                }
            }
            "RUN" | "COPY" | "ADD" => return heredocs(rest, escape),
            _ => {}
        }
        Vec::new()
    }

    /// The `syntax` directive, if any.
    pub fn syntax(&self) -> Option<&str> {
        self.directives.get("syntax").map(String::as_str)
    }

    /// The `docker/dockerfile` frontend version of the `syntax` directive (`"1.4"`,
    /// `"1.4-labs"`, `"latest"` when untagged); `None` without one or for another frontend.
    pub fn syntax_version(&self) -> Option<String> {
        let syntax = self.syntax()?;
        let lower = syntax.to_ascii_lowercase();
        let rest = lower.strip_prefix("docker.io/").unwrap_or(&lower);
        let rest = rest.strip_prefix("docker/dockerfile")?;
        let tail = syntax.get(syntax.len() - rest.len()..)?;
        let version = tail
            .strip_prefix(':')
            .and_then(|v| v.split(char::is_whitespace).next())
            .filter(|v| !v.is_empty())
            .unwrap_or("latest");
        Some(version.to_string())
    }

    /// Whether the Dockerfile's frontend supports additional build contexts (dockerfile
    /// syntax 1.4 and later): `Some(false)` without a `syntax` directive, `None` when the
    /// directive names another frontend (unknown), as the reference decides.
    pub fn supports_build_contexts(&self) -> Option<bool> {
        let Some(version) = self.syntax_version() else {
            return if self.syntax().is_some() {
                None
            } else {
                Some(false)
            };
        };
        let nums = leading_version_numbers(&version);
        Some(match nums.as_slice() {
            [] => true, // latest, labs, or another non-numeric tag
            [major, ..] if *major > 1 => true,
            [1] => true,
            [1, minor, ..] => *minor >= 4,
            _ => false,
        })
    }

    /// Index of the stage named `name` (case-insensitive; a later duplicate wins).
    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.stages.iter().rposition(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Index of the target stage: the one named `target` (`build.target`), else the
    /// last. An empty target counts as none; an unknown one gives `None`.
    pub fn target_stage_index(&self, target: Option<&str>) -> Option<usize> {
        match target.filter(|t| !t.is_empty()) {
            Some(t) => self.stage_index(t),
            None => self.stages.len().checked_sub(1),
        }
    }

    /// The target stage (see [`Dockerfile::target_stage_index`]).
    pub fn target_stage(&self, target: Option<&str>) -> Option<&Stage> {
        self.target_stage_index(target).map(|i| &self.stages[i])
    }

    /// The target stage's name, if it has one.
    pub fn target_stage_name(&self, target: Option<&str>) -> Option<&str> {
        self.target_stage(target)?.name.as_deref()
    }

    /// The last stage's name, if it has one.
    pub fn last_stage_name(&self) -> Option<&str> {
        self.stages.last()?.name.as_deref()
    }

    /// Whether the last stage is named (`FROM … AS <name>`).
    pub fn last_stage_is_named(&self) -> bool {
        self.last_stage_name().is_some()
    }
}

/// The image the target stage (`target`, else the last stage) is ultimately built FROM,
/// following `FROM <stage name>` chains. FROM lines see global ARGs (defaults overridden
/// by `build_args`) and `platform_args`; undeclared build args are not visible.
/// `None` without stages, for an unknown target, a stage cycle, or an empty image.
pub fn find_base_image(
    dockerfile: &Dockerfile,
    build_args: &(impl VarLookup + ?Sized),
    target: Option<&str>,
    platform_args: &(impl VarLookup + ?Sized),
) -> Option<String> {
    let r = Resolver::new(dockerfile, &build_args, &(), &platform_args);
    let mut stage = dockerfile.target_stage_index(target)?;
    let mut seen = vec![false; dockerfile.stages.len()];
    loop {
        if std::mem::replace(&mut seen[stage], true) {
            return None;
        }
        let image = r.image_of(stage);
        if r.failed.get() {
            return None;
        }
        match dockerfile.stage_index(&image) {
            Some(next) => stage = next,
            None => return (!image.is_empty()).then_some(image),
        }
    }
}

/// The last `USER` of the target stage or, following the stage chain, of the stages it
/// builds on, with variables expanded as the reference does (ENV and ARG of the stage,
/// ENV of earlier stages, global ARGs, then `base_image_env`, then `platform_args`).
/// `None` means "the base image's user" (also for an empty result or a stage cycle).
pub fn find_user(
    dockerfile: &Dockerfile,
    build_args: &(impl VarLookup + ?Sized),
    base_image_env: &(impl VarLookup + ?Sized),
    target: Option<&str>,
    platform_args: &(impl VarLookup + ?Sized),
) -> Option<String> {
    let r = Resolver::new(dockerfile, &build_args, &base_image_env, &platform_args);
    let mut stage = dockerfile.target_stage_index(target)?;
    let mut seen = vec![false; dockerfile.stages.len()];
    loop {
        if std::mem::replace(&mut seen[stage], true) {
            return None;
        }
        let last_user = dockerfile.stages[stage]
            .instructions
            .iter()
            .enumerate()
            .rev()
            .find_map(|(j, ins)| match ins {
                Instruction::User(u) => Some((j, u)),
                _ => None,
            });
        if let Some((j, raw)) = last_user {
            let user = r.expand(raw, Scope::Stage(stage), j);
            return (!r.failed.get() && !user.is_empty()).then_some(user);
        }
        let image = r.image_of(stage);
        if r.failed.get() {
            return None;
        }
        stage = dockerfile.stage_index(&image)?;
    }
}

/// The reference's `ensureDockerfileHasFinalStageName`: the last stage's name, or
/// `default_name` together with the text where ` AS <default_name>` follows the last
/// FROM's image. `None` when the Dockerfile has no FROM.
pub fn ensure_final_stage_name(text: &str, default_name: &str) -> Option<FinalStageName> {
    let dockerfile = Dockerfile::parse(text);
    let last = dockerfile.stages.last()?;
    if let Some(name) = &last.name {
        return Some(FinalStageName {
            name: name.clone(),
            modified: None,
        });
    }
    let before = text.get(..last.image_end)?;
    let after = text.get(last.image_end..)?;
    Some(FinalStageName {
        name: default_name.to_string(),
        modified: Some(format!("{before} AS {default_name}{after}")),
    })
}

// ---------------------------------------------------------------------------
// Lines

struct PhysLine<'a> {
    /// Byte offset of the line in the text.
    start: usize,
    /// The line without its `\n` / `\r\n`.
    text: &'a str,
}

fn split_lines(text: &str) -> Vec<PhysLine<'_>> {
    let mut pos = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut out = Vec::new();
    for piece in text[pos..].split_inclusive('\n') {
        let t = piece.strip_suffix('\n').unwrap_or(piece);
        let t = t.strip_suffix('\r').unwrap_or(t);
        out.push(PhysLine {
            start: pos,
            text: t,
        });
        pos += piece.len();
    }
    out
}

/// `# name=value` at the top of the file.
fn parse_directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let (name, value) = rest.split_once('=')?;
    let name = name.trim_end();
    let value = value.trim();
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (valid_name && !value.is_empty()).then(|| (name.to_ascii_lowercase(), value.to_string()))
}

/// Splits off a trailing escape character (optionally followed by blanks).
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(content) => (content, true),
        None => (line, false),
    }
}

/// An instruction joined from its physical lines, remembering where each piece came from.
#[derive(Default)]
struct Logical {
    text: String,
    /// (offset in `text`, offset in the original text) of each non-empty piece.
    pieces: Vec<(usize, usize)>,
}

impl Logical {
    fn push(&mut self, orig_start: usize, piece: &str) {
        if !piece.is_empty() {
            self.pieces.push((self.text.len(), orig_start));
            self.text.push_str(piece);
        }
    }

    /// Original offset just after the byte before `end` (an exclusive end in `text`).
    fn orig_end(&self, end: usize) -> usize {
        let Some(last) = end.checked_sub(1) else {
            return self.pieces.first().map_or(0, |p| p.1);
        };
        let idx = self.pieces.partition_point(|p| p.0 <= last);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(logical, orig)) => orig + (last - logical) + 1,
            None => 0,
        }
    }
}

/// Byte ranges of the whitespace-separated words of `s`; quotes group, the escape
/// character protects the next character. Quotes stay in the words.
fn split_words(s: &str, escape: char) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (idx, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == escape && q == '"' {
                    escaped = true;
                }
            }
            None => {
                if c.is_whitespace() {
                    if let Some(st) = start.take() {
                        words.push((st, idx));
                    }
                    continue;
                }
                if start.is_none() {
                    start = Some(idx);
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == escape {
                    escaped = true;
                }
            }
        }
    }
    if let Some(st) = start {
        words.push((st, s.len()));
    }
    words
}

/// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`) among the words of a
/// RUN/COPY/ADD line: (terminator, strip leading tabs).
fn heredocs(rest: &str, escape: char) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (s, e) in split_words(rest, escape) {
        let word = rest[s..e].trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(after) = word.strip_prefix("<<") else {
            continue;
        };
        let (strip_tabs, name) = match after.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, after),
        };
        let name = ['"', '\'']
            .iter()
            .find_map(|q| name.strip_prefix(*q).and_then(|n| n.strip_suffix(*q)))
            .unwrap_or(name);
        if !name.is_empty() && !name.contains(['<', '"', '\'']) {
            out.push((name.to_string(), strip_tabs));
        }
    }
    out
}

/// The numbers of `^\d+(\.\d+){0,2}` in `version`.
fn leading_version_numbers(version: &str) -> Vec<u64> {
    let mut nums = Vec::new();
    for part in version.split('.').take(3) {
        let digits = part.len() - part.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            break;
        }
        nums.push(part[..digits].parse().unwrap_or(u64::MAX));
        if digits != part.len() {
            break; // `1.4-labs`: the number ends inside this part
        }
    }
    nums
}

// ---------------------------------------------------------------------------
// Resolution

#[derive(Clone, Copy)]
enum Scope {
    /// A FROM line: global ARGs and platform args only.
    FromLine,
    /// Global ARGs reached from a stage: then the base image's env, then platform args.
    Preamble,
    Stage(usize),
}

struct Resolver<'a> {
    df: &'a Dockerfile,
    build_args: &'a dyn VarLookup,
    base_env: &'a dyn VarLookup,
    platform: &'a dyn VarLookup,
    steps: Cell<u32>,
    depth: Cell<u32>,
    /// Set when a limit was hit; results are then meaningless.
    failed: Cell<bool>,
}

impl<'a> Resolver<'a> {
    fn new(
        df: &'a Dockerfile,
        build_args: &'a dyn VarLookup,
        base_env: &'a dyn VarLookup,
        platform: &'a dyn VarLookup,
    ) -> Self {
        Resolver {
            df,
            build_args,
            base_env,
            platform,
            steps: Cell::new(0),
            depth: Cell::new(0),
            failed: Cell::new(false),
        }
    }

    /// A stage's FROM image with variables expanded.
    fn image_of(&self, stage: usize) -> String {
        self.expand(&self.df.stages[stage].image, Scope::FromLine, usize::MAX)
    }

    /// Expands `raw`, seeing only what is declared before instruction `before` of `scope`.
    fn expand(&self, raw: &str, scope: Scope, before: usize) -> String {
        let depth = self.depth.get();
        if self.failed.get() || depth >= MAX_DEPTH {
            self.failed.set(true);
            return String::new();
        }
        self.depth.set(depth + 1);
        let mut lookup = |name: &str| self.find_value(name, scope, before);
        let out = expand_word(raw, self.df.escape, &mut lookup, 0);
        self.depth.set(depth);
        if out.len() > MAX_LEN {
            self.failed.set(true);
            return String::new();
        }
        out
    }

    /// The reference's `findValue`: the nearest earlier ENV (or ARG with a value) of the
    /// stage, then ENVs of the stages it builds on, then global ARGs, the base image's
    /// env and the platform args.
    fn find_value(&self, var: &str, mut scope: Scope, mut before: usize) -> Option<String> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if self.failed.get() || steps > MAX_STEPS {
            self.failed.set(true);
            return None;
        }
        let mut consider_arg = true;
        let mut seen = vec![false; self.df.stages.len()];
        loop {
            match scope {
                Scope::Stage(s) => {
                    if std::mem::replace(&mut seen[s], true) {
                        return None;
                    }
                    let instructions = &self.df.stages[s].instructions;
                    for j in (0..before.min(instructions.len())).rev() {
                        match &instructions[j] {
                            Instruction::Env { name, value } if name == var => {
                                return Some(self.expand(value, scope, j));
                            }
                            Instruction::Arg(arg) if consider_arg && arg.name == var => {
                                if let Some(v) = self.build_args.var(var) {
                                    return Some(v.to_string());
                                }
                                if let Some(d) = &arg.default {
                                    return Some(self.expand(d, scope, j));
                                }
                            }
                            _ => {}
                        }
                    }
                    let image = self.image_of(s);
                    before = usize::MAX;
                    match self.df.stage_index(&image) {
                        Some(next) => {
                            scope = Scope::Stage(next);
                            consider_arg = false; // ARGs do not carry over to later stages
                        }
                        None => {
                            scope = Scope::Preamble;
                            consider_arg = true;
                        }
                    }
                }
                Scope::Preamble | Scope::FromLine => {
                    let args = &self.df.global_args;
                    for j in (0..before.min(args.len())).rev() {
                        let arg = &args[j];
                        if arg.name != var {
                            continue;
                        }
                        if let Some(v) = self.build_args.var(var) {
                            return Some(v.to_string());
                        }
                        if let Some(d) = &arg.default {
                            return Some(self.expand(d, scope, j));
                        }
                    }
                    let env = match scope {
                        Scope::Preamble => self.base_env.var(var),
                        _ => None,
                    };
                    return env.or_else(|| self.platform.var(var)).map(str::to_string);
                }
            }
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Shell-like expansion of one word: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}`
/// (and `-`, `+`, `?` without the colon); quotes are removed (no expansion inside
/// single quotes); the escape character protects the next character.
fn expand_word(
    raw: &str,
    escape: char,
    lookup: &mut dyn FnMut(&str) -> Option<String>,
    nesting: u32,
) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut in_double = false;
    let mut i = 0;
    while i < chars.len() && out.len() <= MAX_LEN {
        let c = chars[i];
        if c == escape {
            match chars.get(i + 1) {
                Some(&n) if !in_double || n == '"' || n == '$' || n == escape => {
                    out.push(n);
                    i += 2;
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
            continue;
        }
        match c {
            '\'' if !in_double => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    out.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_double = !in_double;
                i += 1;
            }
            '$' => i = expand_dollar(&chars, i, escape, lookup, nesting, &mut out),
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Expands the `$…` at `chars[i]` into `out`; returns the index after it. Anything
/// malformed is kept as a literal `$`.
fn expand_dollar(
    chars: &[char],
    i: usize,
    escape: char,
    lookup: &mut dyn FnMut(&str) -> Option<String>,
    nesting: u32,
    out: &mut String,
) -> usize {
    let braced = chars.get(i + 1) == Some(&'{');
    let name_start = if braced { i + 2 } else { i + 1 };
    let mut j = name_start;
    while j < chars.len() && is_name_char(chars[j]) {
        j += 1;
    }
    if j == name_start {
        out.push('$');
        return i + 1;
    }
    let name: String = chars[name_start..j].iter().collect();
    if !braced {
        out.push_str(&lookup(&name).unwrap_or_default());
        return j;
    }
    let (colon, op, word_start) = match (chars.get(j), chars.get(j + 1)) {
        (Some('}'), _) => {
            out.push_str(&lookup(&name).unwrap_or_default());
            return j + 1;
        }
        (Some(':'), Some(&op)) if matches!(op, '-' | '+' | '?') => (true, op, j + 2),
        (Some(&op), _) if matches!(op, '-' | '+' | '?') => (false, op, j + 1),
        _ => {
            out.push('$');
            return i + 1;
        }
    };
    let Some(close) = find_closing_brace(chars, word_start, escape) else {
        out.push('$');
        return i + 1;
    };
    let value = lookup(&name);
    let is_set = if colon {
        value.as_deref().is_some_and(|v| !v.is_empty())
    } else {
        value.is_some()
    };
    let expand_inner = |lookup: &mut dyn FnMut(&str) -> Option<String>| {
        if nesting >= MAX_NESTING {
            return String::new();
        }
        let word: String = chars[word_start..close].iter().collect();
        expand_word(&word, escape, lookup, nesting + 1)
    };
    let result = match op {
        '-' if !is_set => expand_inner(lookup),
        '+' if is_set => expand_inner(lookup),
        '+' => String::new(),
        _ => value.unwrap_or_default(),
    };
    out.push_str(&result);
    close + 1
}

/// Index of the `}` closing a `${name:-word}` whose word starts at `start`.
fn find_closing_brace(chars: &[char], start: usize, escape: char) -> Option<usize> {
    let mut depth = 0u32;
    let mut quote: Option<char> = None;
    let mut k = start;
    while k < chars.len() {
        let c = chars[k];
        if c == escape && quote != Some('\'') {
            k += 2;
            continue;
        }
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '$' if chars.get(k + 1) == Some(&'{') => {
                    depth += 1;
                    k += 2;
                    continue;
                }
                '}' if depth == 0 => return Some(k),
                '}' => depth -= 1,
                _ => {}
            },
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_VARS: [(&str, &str); 0] = [];

    fn base(text: &str, args: &[(&str, &str)], target: Option<&str>) -> Option<String> {
        find_base_image(&Dockerfile::parse(text), args, target, &())
    }

    fn user(
        text: &str,
        args: &[(&str, &str)],
        env: &[(&str, &str)],
        target: Option<&str>,
    ) -> Option<String> {
        find_user(&Dockerfile::parse(text), args, env, target, &())
    }

    fn amd64_on_arm64() -> IndexMap<String, String> {
        platform_args(
            &PlatformInfo::parse("linux/arm64").unwrap(),
            &PlatformInfo::parse("linux/amd64").unwrap(),
        )
    }

    fn env(name: &str, value: &str) -> Instruction {
        Instruction::Env {
            name: name.into(),
            value: value.into(),
        }
    }

    // --- parsing -----------------------------------------------------------------

    #[test]
    fn env_key_equals_value() {
        let df = Dockerfile::parse("FROM debian\nENV A=B");
        assert_eq!(df.stages[0].instructions, vec![env("A", "B")]);
    }

    #[test]
    fn env_with_spaced_equals_reads_like_the_reference() {
        let df = Dockerfile::parse("FROM debian\nENV A = B");
        assert_eq!(df.stages[0].instructions, vec![env("A", "B")]);
    }

    #[test]
    fn env_legacy_form_takes_rest_of_line() {
        let df = Dockerfile::parse("FROM debian\nENV A B\nENV C d e  f \n");
        assert_eq!(
            df.stages[0].instructions,
            vec![env("A", "B"), env("C", "d e  f")]
        );
    }

    #[test]
    fn env_several_pairs_with_quotes() {
        let text = "FROM debian\nENV K=V K2=\"v 2\" K3='x y'\nUSER ${K2}\n";
        let df = Dockerfile::parse(text);
        assert_eq!(
            df.stages[0].instructions[..3],
            [env("K", "V"), env("K2", "\"v 2\""), env("K3", "'x y'")]
        );
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("v 2"));
    }

    #[test]
    fn lowercase_keywords() {
        let df = Dockerfile::parse("from E\nenv A=B\narg C\nuser D\n");
        assert_eq!(df.stages.len(), 1);
        assert_eq!(df.stages[0].image, "E");
        assert_eq!(
            df.stages[0].instructions,
            vec![
                env("A", "B"),
                Instruction::Arg(Arg {
                    name: "C".into(),
                    default: None
                }),
                Instruction::User("D".into()),
            ]
        );
    }

    #[test]
    fn global_args_only_before_first_from() {
        let df = Dockerfile::parse("ARG A=1 B\narg C=\"x y\"\nFROM img\nARG D=2\n");
        let names: Vec<_> = df.global_args.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(df.global_args[0].default.as_deref(), Some("1"));
        assert_eq!(df.global_args[1].default, None);
        assert_eq!(df.global_args[2].default.as_deref(), Some("\"x y\""));
        assert_eq!(df.stages[0].instructions.len(), 1);
    }

    #[test]
    fn directives_only_at_the_top() {
        let df = Dockerfile::parse(
            "# syntax=docker/dockerfile:1.4\n#Escape = `\n# syntax=other\n\n# check=skip\nFROM a\n",
        );
        assert_eq!(df.directives.len(), 2);
        assert_eq!(df.syntax(), Some("docker/dockerfile:1.4"));
        assert_eq!(df.directives["escape"], "`");
        assert_eq!(df.escape, '`');
        let df = Dockerfile::parse("\n# syntax=docker/dockerfile:1.4\nFROM a\n");
        assert!(df.directives.is_empty());
        assert_eq!(df.escape, '\\');
    }

    #[test]
    fn from_with_platform_flag_and_name() {
        let df = Dockerfile::parse("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n");
        let s = &df.stages[0];
        assert_eq!(s.platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(s.image, "golang:1.22");
        assert_eq!(s.name.as_deref(), Some("Build"));
        assert_eq!(s.line, 1);
        let text = "FROM --platform=linux/amd64 img\n";
        assert_eq!(base(text, &[], None).as_deref(), Some("img"));
    }

    #[test]
    fn continuations_with_comments_and_blank_lines() {
        let text = "FROM \\\n  # a comment\n\n   debian:12 \\  \n  AS \\\n base\nENV A=1 \\\n    B=2\nUSER \\\n   someone\n";
        let df = Dockerfile::parse(text);
        assert_eq!(df.stages.len(), 1);
        let s = &df.stages[0];
        assert_eq!(s.image, "debian:12");
        assert_eq!(s.name.as_deref(), Some("base"));
        assert_eq!(
            s.instructions,
            vec![
                env("A", "1"),
                env("B", "2"),
                Instruction::User("someone".into())
            ]
        );
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("someone"));
    }

    #[test]
    fn escape_directive_changes_continuation_char() {
        let text = "# escape=`\nFROM mcr.microsoft.com/windows `\n  AS win\nUSER C:\\Users\\me\n";
        let df = Dockerfile::parse(text);
        assert_eq!(df.stages[0].image, "mcr.microsoft.com/windows");
        assert_eq!(df.stages[0].name.as_deref(), Some("win"));
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("C:\\Users\\me"));
        // With the default escape, a trailing backtick is just a character.
        let df = Dockerfile::parse("FROM a `\nUSER x\n");
        assert_eq!(df.stages[0].instructions.len(), 1);
    }

    #[test]
    fn heredoc_bodies_are_skipped() {
        let text = "FROM a AS one\nRUN <<EOF\nFROM evil\nUSER evil\nEOF\nCOPY <<-\"X\" 2<<'Y' /dst\n\tFROM x\n\tX\nUSER y\nY\nUSER real\nrun echo $((1<<2)) && cat <<<str\nFROM b\n";
        let df = Dockerfile::parse(text);
        let images: Vec<_> = df.stages.iter().map(|s| s.image.as_str()).collect();
        assert_eq!(images, ["a", "b"]);
        assert_eq!(
            df.stages[0].instructions,
            vec![Instruction::User("real".into())]
        );
        // An unterminated heredoc swallows the rest without trouble.
        let df = Dockerfile::parse("FROM a\nRUN cat <<EOF\nFROM b\n");
        assert_eq!(df.stages.len(), 1);
    }

    #[test]
    fn crlf_and_bom() {
        let text =
            "\u{feff}# syntax=docker/dockerfile:1\r\nARG B=img\r\nFROM $B AS x\r\nUSER u\r\n";
        let df = Dockerfile::parse(text);
        assert_eq!(df.syntax(), Some("docker/dockerfile:1"));
        assert_eq!(base(text, &[], None).as_deref(), Some("img"));
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("u"));
    }

    // --- find_base_image -----------------------------------------------------------

    #[test]
    fn base_simple_from() {
        assert_eq!(
            base("FROM image1\nUSER user1\n", &[], None).as_deref(),
            Some("image1")
        );
    }

    #[test]
    fn base_from_arg_default() {
        let text = "ARG BASE_IMAGE=\"image2\"\nFROM ${BASE_IMAGE}\nARG IMAGE_USER=user2\nUSER $IMAGE_USER\n";
        assert_eq!(base(text, &[], None).as_deref(), Some("image2"));
    }

    #[test]
    fn base_from_arg_overridden_by_build_arg() {
        let text = "ARG BASE_IMAGE=\"image2\"\nFROM ${BASE_IMAGE}\n";
        assert_eq!(
            base(text, &[("BASE_IMAGE", "image3")], None).as_deref(),
            Some("image3")
        );
    }

    #[test]
    fn base_follows_stage_chain_for_target() {
        let text = "\nFROM image1 as stage1\nFROM stage3 as stage2\nFROM image3 as stage3\nFROM image4 as stage4\n";
        assert_eq!(base(text, &[], Some("stage2")).as_deref(), Some("image3"));
        assert_eq!(base(text, &[], None).as_deref(), Some("image4"));
        assert_eq!(base(text, &[], Some("stage1")).as_deref(), Some("image1"));
    }

    #[test]
    fn base_quoted_from() {
        let text = "\nARG BASE_IMAGE=\"ubuntu:latest\"\n\nFROM \"${BASE_IMAGE}\"\n";
        assert_eq!(Dockerfile::parse(text).stages.len(), 1);
        assert_eq!(base(text, &[], None).as_deref(), Some("ubuntu:latest"));
    }

    #[test]
    fn base_plus_expression() {
        let text = "\nARG cloud\nFROM ${cloud:+mcr.microsoft.com/}azure-cli:latest\n";
        assert_eq!(
            base(text, &[("cloud", "true")], None).as_deref(),
            Some("mcr.microsoft.com/azure-cli:latest")
        );
        assert_eq!(base(text, &[], None).as_deref(), Some("azure-cli:latest"));
    }

    #[test]
    fn base_minus_expression() {
        let text = "\nARG cloud\nFROM ${cloud:-mcr.microsoft.com/}azure-cli:latest\n";
        assert_eq!(
            base(text, &[("cloud", "ghcr.io/")], None).as_deref(),
            Some("ghcr.io/azure-cli:latest")
        );
        assert_eq!(
            base(text, &[], None).as_deref(),
            Some("mcr.microsoft.com/azure-cli:latest")
        );
    }

    #[test]
    fn base_expressions_with_quoted_words() {
        let plus_unbalanced =
            "\nARG cloud\nFROM ${cloud:+\"mcr.microsoft.com/\"}azure-cli:latest\"\n";
        assert_eq!(
            base(plus_unbalanced, &[("cloud", "true")], None).as_deref(),
            Some("mcr.microsoft.com/azure-cli:latest")
        );
        let plus_quoted =
            "\nARG cloud\nFROM \"${cloud:+\"mcr.microsoft.com/\"}azure-cli:latest\"\n";
        assert_eq!(
            base(plus_quoted, &[], None).as_deref(),
            Some("azure-cli:latest")
        );
        let minus_quoted =
            "\nARG cloud\nFROM \"${cloud:-\"mcr.microsoft.com/\"}azure-cli:latest\"\n";
        assert_eq!(
            base(minus_quoted, &[("cloud", "ghcr.io/")], None).as_deref(),
            Some("ghcr.io/azure-cli:latest")
        );
        let minus_named =
            "\nARG cloud\nFROM ${cloud:-\"mcr.microsoft.com/\"}azure-cli:latest as label\n";
        let df = Dockerfile::parse(minus_named);
        assert_eq!(df.stages.len(), 1);
        assert_eq!(df.last_stage_name(), Some("label"));
        assert_eq!(
            base(minus_named, &[], None).as_deref(),
            Some("mcr.microsoft.com/azure-cli:latest")
        );
    }

    #[test]
    fn base_colonless_expressions_and_escapes() {
        let text = "ARG EMPTY=\nARG UNSET\nFROM ${EMPTY-a}${UNSET-b}${EMPTY:-c}${EMPTY+d}${UNSET+e}/x\\$y:'$t'\n";
        assert_eq!(base(text, &[], None).as_deref(), Some("bcd/x$y:$t"));
    }

    #[test]
    fn base_undeclared_build_args_are_not_visible() {
        let text = "FROM ${IMG:-fallback}\n";
        assert_eq!(
            base(text, &[("IMG", "other")], None).as_deref(),
            Some("fallback")
        );
        // An ARG declared inside a stage does not reach the FROM lines.
        let text = "FROM a AS one\nARG IMG=x\nFROM ${IMG:-b}\n";
        assert_eq!(base(text, &[("IMG", "c")], None).as_deref(), Some("b"));
        // Unset and empty: no image.
        assert_eq!(base("FROM $NOPE\n", &[], None), None);
    }

    #[test]
    fn base_global_arg_defaults_refer_to_each_other() {
        let text = "ARG REG=ghcr.io\nARG IMG=$REG/app\nARG TAG\nFROM ${IMG}:${TAG:-latest}\n";
        assert_eq!(base(text, &[], None).as_deref(), Some("ghcr.io/app:latest"));
        assert_eq!(
            base(text, &[("REG", "quay.io"), ("TAG", "1")], None).as_deref(),
            Some("quay.io/app:1")
        );
    }

    #[test]
    fn base_platform_args_in_from() {
        let text = "\nFROM ubuntu:latest as base-amd64\nUSER amd64_user\n\nFROM ubuntu:latest as base-arm64\nUSER arm64_user\n\nFROM base-${TARGETARCH}\n";
        let df = Dockerfile::parse(text);
        let platform = amd64_on_arm64();
        assert_eq!(
            find_base_image(&df, &NO_VARS, None, &platform).as_deref(),
            Some("ubuntu:latest")
        );
        assert_eq!(
            find_user(&df, &NO_VARS, &NO_VARS, None, &platform).as_deref(),
            Some("amd64_user")
        );
        let text = "FROM img-$BUILDOS-$BUILDARCH-${TARGETVARIANT:-none}:${TARGETPLATFORM}\n";
        assert_eq!(
            find_base_image(&Dockerfile::parse(text), &NO_VARS, None, &platform).as_deref(),
            Some("img-linux-arm64-none:linux/amd64")
        );
    }

    #[test]
    fn base_stage_names_are_case_insensitive() {
        let text = "FROM alpine:3 AS Builder\nFROM builder AS FINAL\n";
        assert_eq!(base(text, &[], None).as_deref(), Some("alpine:3"));
        assert_eq!(base(text, &[], Some("final")).as_deref(), Some("alpine:3"));
        let df = Dockerfile::parse(text);
        assert_eq!(df.target_stage_name(Some("BUILDER")), Some("Builder"));
        assert_eq!(df.target_stage_name(None), Some("FINAL"));
    }

    #[test]
    fn base_and_user_none_without_from_or_target() {
        for text in [
            "",
            "\nRUN some command\n",
            "# syntax=docker/dockerfile:1\nARG A=1\n",
        ] {
            assert_eq!(base(text, &[], None), None);
            assert_eq!(user(text, &[], &[], None), None);
            assert_eq!(ensure_final_stage_name(text, "x"), None);
            assert!(!Dockerfile::parse(text).last_stage_is_named());
        }
        assert_eq!(base("FROM a AS one\n", &[], Some("two")), None);
        // An empty target means "the last stage".
        assert_eq!(
            base("FROM a AS one\nFROM b\n", &[], Some("")).as_deref(),
            Some("b")
        );
    }

    #[test]
    fn stage_cycles_give_none() {
        let text = "FROM b AS a\nFROM a AS b\n";
        assert_eq!(base(text, &[], None), None);
        assert_eq!(user(text, &[], &[], None), None);
        assert_eq!(base("FROM self AS self\n", &[], None), None);
    }

    // --- find_user ---------------------------------------------------------------

    #[test]
    fn user_simple() {
        assert_eq!(
            user("FROM debian\nUSER user1\n", &[], &[], None).as_deref(),
            Some("user1")
        );
    }

    #[test]
    fn user_last_one_wins() {
        let text = "FROM ubuntu:latest as base\nUSER dockerfileUserA\nUSER dockerfileUserB\n";
        assert_eq!(
            user(text, &[], &[], None).as_deref(),
            Some("dockerfileUserB")
        );
        let text = "FROM debian:latest as base\nFROM ubuntu:latest as dev\n";
        assert_eq!(base(text, &[], None).as_deref(), Some("ubuntu:latest"));
        assert_eq!(user(text, &[], &[], None), None);
    }

    #[test]
    fn user_from_arg_default_and_override() {
        let text = "FROM debian\nARG IMAGE_USER=user2\nUSER $IMAGE_USER\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user2"));
        assert_eq!(
            user(text, &[("IMAGE_USER", "user3")], &[], None).as_deref(),
            Some("user3")
        );
    }

    #[test]
    fn user_follows_stage_chain() {
        let text = "\nFROM image1 as stage1\nUSER user1\nFROM stage3 as stage2\nFROM image3 as stage3\nUSER user3_1\nUSER user3_2\nFROM image4 as stage4\nUSER user4\n";
        assert_eq!(
            user(text, &[], &[], Some("stage2")).as_deref(),
            Some("user3_2")
        );
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user4"));
    }

    #[test]
    fn user_arg_after_env_wins_like_reference() {
        let text = "\nFROM debian\nENV USERNAME=user1\nARG USERNAME=user2\nUSER ${USERNAME}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user2"));
    }

    #[test]
    fn user_args_do_not_carry_into_later_stages() {
        let text = "\nFROM debian as one\nENV USERNAME=user1\nARG USERNAME=user2\n\nFROM one as two\nUSER ${USERNAME}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user1"));
    }

    #[test]
    fn user_from_global_arg() {
        let text = "\nARG USERNAME=user1\nFROM debian\nUSER ${USERNAME}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user1"));
    }

    #[test]
    fn user_unbound_arg_after_env() {
        let text = "\nFROM debian\nENV USERNAME=user1\nARG USERNAME\nUSER ${USERNAME}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user1"));
    }

    #[test]
    fn user_unbound_variable_is_none() {
        let text = "\nFROM debian\nUSER ${USERNAME}\n";
        assert_eq!(user(text, &[], &[], None), None);
    }

    #[test]
    fn user_env_after_arg() {
        let text = "\nFROM debian\nARG USERNAME=user1\nENV USERNAME=user2\nUSER ${USERNAME}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user2"));
    }

    #[test]
    fn user_env_set_from_arg() {
        let text =
            "\nFROM debian\nARG USERNAME1=user1\nENV USERNAME2=${USERNAME1}\nUSER ${USERNAME2}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("user1"));
    }

    #[test]
    fn user_several_variables() {
        let text = "\nFROM debian\nARG USERNAME1=user1\nENV USERNAME2=user2\nUSER A${USERNAME1}A${USERNAME2}A\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("Auser1Auser2A"));
    }

    #[test]
    fn user_from_base_image_env() {
        let text = "\nFROM mybase\nUSER ${USERNAME}\n";
        assert_eq!(
            user(text, &[], &[("USERNAME", "user1")], None).as_deref(),
            Some("user1")
        );
        // The `docker inspect` Config.Env shape works too.
        let env_list = vec!["PATH=/bin".to_string(), "USERNAME=user2".to_string()];
        let df = Dockerfile::parse(text);
        assert_eq!(
            find_user(&df, &NO_VARS, &env_list, None, &()).as_deref(),
            Some("user2")
        );
    }

    #[test]
    fn user_with_uid_gid_and_default_expression() {
        let text = "FROM debian\nARG UID\nUSER ${UID:-1000}:${GID:-1000}\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("1000:1000"));
        assert_eq!(
            user(text, &[("UID", "501")], &[], None).as_deref(),
            Some("501:1000")
        );
    }

    #[test]
    fn build_args_from_json_and_hash_maps() {
        let text = "ARG V=1\nFROM img:$V\n";
        let df = Dockerfile::parse(text);
        let json = serde_json::json!({ "V": "2" });
        let args = json.as_object().unwrap();
        assert_eq!(
            find_base_image(&df, args, None, &()).as_deref(),
            Some("img:2")
        );
        let mut map = HashMap::new();
        map.insert("V".to_string(), "3".to_string());
        assert_eq!(
            find_base_image(&df, &map, None, &()).as_deref(),
            Some("img:3")
        );
    }

    // --- final stage name --------------------------------------------------------

    #[test]
    fn final_stage_named() {
        let text = "\nFROM ubuntu:latest as base\n\nRUN some command\n\nFROM base as final\n\nCOPY src dest\n";
        let r = ensure_final_stage_name(text, "placeholder").unwrap();
        assert_eq!(r.name, "final");
        assert_eq!(r.modified, None);
        let text = "FROM a as base\n \tFROM  --platform=my-platform \tbase  as\t  final  #<- a comment with as something\n";
        let r = ensure_final_stage_name(text, "placeholder").unwrap();
        assert_eq!(r.name, "final");
        assert_eq!(r.modified, None);
        assert!(Dockerfile::parse(text).last_stage_is_named());
    }

    #[test]
    fn final_stage_unnamed_gets_default() {
        let text =
            "\nFROM ubuntu:latest as base\n\nRUN some command\n\nFROM base\n\nCOPY src dest\n";
        let r = ensure_final_stage_name(text, "placeholder").unwrap();
        assert_eq!(r.name, "placeholder");
        assert_eq!(
            r.modified.as_deref(),
            Some("\nFROM ubuntu:latest as base\n\nRUN some command\n\nFROM base AS placeholder\n\nCOPY src dest\n")
        );
        let trailing = "FROM ubuntu:latest as base\nFROM base";
        assert_eq!(
            ensure_final_stage_name(trailing, "p")
                .unwrap()
                .modified
                .as_deref(),
            Some("FROM ubuntu:latest as base\nFROM base AS p")
        );
        let comment =
            "FROM a as base\n \tFROM  --platform=my-platform \tbase   #<- comment\nRUN x\n";
        assert_eq!(
            ensure_final_stage_name(comment, "p").unwrap().modified.as_deref(),
            Some("FROM a as base\n \tFROM  --platform=my-platform \tbase AS p   #<- comment\nRUN x\n")
        );
        let continued = "FROM a AS b\nFROM \\\n  # comment\n\n  b\nRUN x\n";
        assert_eq!(
            ensure_final_stage_name(continued, "p")
                .unwrap()
                .modified
                .as_deref(),
            Some("FROM a AS b\nFROM \\\n  # comment\n\n  b AS p\nRUN x\n")
        );
        assert!(!Dockerfile::parse(continued).last_stage_is_named());
    }

    // --- syntax directive ----------------------------------------------------------

    #[test]
    fn build_context_support_by_syntax() {
        let check = |text: &str| Dockerfile::parse(text).supports_build_contexts();
        assert_eq!(check("FROM debian"), Some(false));
        assert_eq!(
            check("# syntax=docker/dockerfile:1.4\nFROM debian"),
            Some(true)
        );
        assert_eq!(
            check("# syntax=docker.io/docker/dockerfile:1.4\nFROM debian"),
            Some(true)
        );
        assert_eq!(check("# syntax=mycompany/myimage:1.4\nFROM debian"), None);
        let table = [
            ("0", false),
            ("1", true),
            ("1.2", false),
            ("1.2.3", false),
            ("1.4", true),
            ("1.4.5", true),
            ("1.5", true),
            ("1.5.0", true),
            ("2", true),
            ("", true),
            ("latest", true),
        ];
        for suffix in ["", "-labs"] {
            for (version, expected) in table {
                let tag = format!("{version}{suffix}");
                let syntax = if tag.is_empty() {
                    "docker.io/docker/dockerfile".to_string()
                } else {
                    format!("docker.io/docker/dockerfile:{tag}")
                };
                let text = format!("# syntax={syntax}\n        FROM debian");
                assert_eq!(check(&text), Some(expected), "tag {tag:?}");
            }
        }
        let df = Dockerfile::parse("# syntax=docker/dockerfile\nFROM a");
        assert_eq!(df.syntax_version().as_deref(), Some("latest"));
    }

    #[test]
    fn platform_args_like_reference() {
        let args = platform_args(
            &PlatformInfo::parse("linux/arm/v7").unwrap(),
            &PlatformInfo::parse("linux/amd64").unwrap(),
        );
        assert_eq!(args["BUILDPLATFORM"], "linux/arm/v7");
        assert_eq!(args["BUILDVARIANT"], "v7");
        assert_eq!(args["TARGETPLATFORM"], "linux/amd64");
        assert_eq!(args["TARGETVARIANT"], "");
        assert_eq!(args.len(), 8);
        assert_eq!(PlatformInfo::parse("linux"), None);
    }

    // --- robustness ----------------------------------------------------------------

    fn exercise(text: &str) {
        let df = Dockerfile::parse(text);
        let platform = amd64_on_arm64();
        let targets = [None, Some("a"), Some("b"), Some("")];
        for target in targets {
            let _ = find_base_image(&df, &[("A", "$B"), ("B", "${A}")], target, &platform);
            let _ = find_user(&df, &[("A", "x")], &[("B", "y")], target, &platform);
            let _ = df.target_stage_name(target);
        }
        let _ = ensure_final_stage_name(text, "p");
        let _ = df.supports_build_contexts();
        let _ = df.last_stage_is_named();
    }

    #[test]
    fn garbage_and_truncated_input_never_panics() {
        let realistic = "\u{feff}# syntax=docker/dockerfile:1.4\n# escape=\\\nARG BASE=\"debian:12\" V\nFROM --platform=$BUILDPLATFORM ${BASE:-x} AS a\nENV K=\"v 2\" \\\n  # c\n  L='é 🦀'\nRUN <<-EOF cat\n\tFROM z\n\tEOF\nUSER ${K:+\"$L\"}\nFROM a AS b\nUSER $V:${ZZ-1}\n";
        for (i, _) in realistic.char_indices() {
            exercise(&realistic[..i]);
        }
        let fragments = [
            "FROM ",
            "from ",
            " AS ",
            " as ",
            "ARG ",
            "ENV ",
            "USER ",
            "RUN ",
            "COPY ",
            "<<EOF",
            "<<-'X'",
            "EOF",
            "X",
            "\n",
            "\r\n",
            "\\",
            "\\\n",
            "`",
            "`\n",
            "# escape=`\n",
            "# syntax=docker/dockerfile:1.4\n",
            "$",
            "${",
            "}",
            ":-",
            ":+",
            "-",
            "+",
            "\"",
            "'",
            "=",
            " ",
            "\t",
            "A",
            "B",
            "a",
            "b",
            "${A:-${B:+x}}",
            "é",
            "🦀",
            "#",
            "--platform=$BUILDPLATFORM ",
            "$A",
            "${B}",
            "${A:-",
            "\u{feff}",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let n = (next() % 60) as usize;
            let text: String = (0..n)
                .map(|_| fragments[(next() % fragments.len() as u64) as usize])
                .collect();
            exercise(&text);
        }
        for text in [
            "FROM",
            "FROM \\",
            "FROM --platform=",
            "FROM a AS",
            "ENV",
            "ENV =",
            "FROM a\nENV =x \"",
            "FROM a\nUSER",
            "FROM a\nARG =",
            "FROM '",
            "FROM \"${A:-'}\"",
            "FROM ${:-x}",
            "FROM ${A:x}",
            "FROM $",
            "FROM ${",
            "FROM ${A",
            "FROM ${A:-",
            "FROM ${A:-${B:-",
            "\\",
            "`",
            "#",
            "# escape=`\nFROM a`",
            "FROM a\nRUN <<",
            "FROM a\nRUN <<-",
            "FROM a\nRUN <<''",
        ] {
            exercise(text);
        }
    }

    #[test]
    fn runaway_expansions_stop() {
        // Exponential ARG chain.
        let mut text = String::from("ARG A0=xxxxxxxxxxxxxxxx\n");
        for i in 1..48 {
            text.push_str(&format!("ARG A{i}=$A{p}$A{p}\n", p = i - 1));
        }
        text.push_str("FROM img-$A47\nUSER $A47\n");
        assert_eq!(base(&text, &[], None), None);
        assert_eq!(user(&text, &[], &[], None), None);
        // ENVs referring to themselves across a stage cycle.
        let cyclic = "FROM b AS a\nENV X=$X\nFROM a AS b\nENV X=$X\nUSER $X\n";
        assert_eq!(user(cyclic, &[], &[], None), None);
        // Deeply nested default words.
        let nested = format!("FROM {}x{}\n", "${A:-".repeat(5000), "}".repeat(5000));
        let _ = base(&nested, &[], None);
        let nested = format!("FROM {}\n", "${A:-".repeat(5000));
        let _ = base(&nested, &[], None);
        // A self-referencing ENV resolves against what came before it.
        let text = "FROM a\nENV P=/bin\nENV P=$P:/usr/bin\nUSER $P\n";
        assert_eq!(user(text, &[], &[], None).as_deref(), Some("/bin:/usr/bin"));
    }
}
