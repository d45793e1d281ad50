//! The build context as a tar stream: the context folder minus what
//! `.dockerignore` excludes (the docker CLI's pattern semantics: `*`, `?`,
//! `[…]`, `**`, `!` exceptions, the last matching pattern wins, a pattern that
//! matches a directory excludes everything below it), plus the Dockerfile under
//! a generated name when it lives outside the context.
//!
//! `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence over
//! the context's `.dockerignore` (as with BuildKit). The Dockerfile and
//! `.dockerignore` themselves are always sent. Entries are sorted, owned by
//! 0:0 and keep their mode and mtime; symlinks are sent as links; sockets,
//! FIFOs and devices are skipped.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// The `.dockerignore` patterns, compiled.
#[derive(Debug, Default)]
pub(crate) struct IgnoreMatcher {
    patterns: Vec<(Regex, bool)>,
    /// The cleaned text of the `!` patterns.
    exceptions: Vec<String>,
}

/// `filepath.Clean` for slash-separated relative patterns.
fn clean(pattern: &str) -> String {
    let rooted = pattern.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(p) if *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// The regular expression moby's patternmatcher builds for a cleaned pattern.
fn pattern_regex(pattern: &str) -> Result<Regex, regex::Error> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut first = true;
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    re.push_str(".*");
                } else {
                    re.push_str("(.*/)?");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => re.push_str(&regex::escape(&next.to_string())),
                None => re.push_str("\\\\"),
            },
            '[' | ']' => re.push(ch),
            // `^` outside a class would be an anchor.
            '^' if first => re.push_str("\\^"),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        first = false;
    }
    re.push('$');
    Regex::new(&re)
}

impl IgnoreMatcher {
    /// Parses `.dockerignore` text (comments, blank lines, `!` exceptions,
    /// leading `/` removed, paths cleaned). Invalid patterns are skipped with a warning.
    pub fn parse(text: &str) -> IgnoreMatcher {
        let mut matcher = IgnoreMatcher::default();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut pattern = line.trim();
            if pattern.is_empty() {
                continue;
            }
            let exception = pattern.starts_with('!');
            if exception {
                pattern = pattern[1..].trim();
                if pattern.is_empty() {
                    continue;
                }
            }
            let mut cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            matcher.push(&cleaned, exception);
        }
        matcher
    }

    fn push(&mut self, cleaned: &str, exception: bool) {
        match pattern_regex(cleaned) {
            Ok(re) => {
                self.patterns.push((re, exception));
                if exception {
                    self.exceptions.push(cleaned.to_string());
                }
            }
            Err(e) => tracing::warn!(pattern = cleaned, "ignoring invalid .dockerignore pattern: {e}"),
        }
    }

    /// Always send `path` (the Dockerfile, `.dockerignore`).
    pub fn keep(&mut self, path: &str) {
        if self.matches(path) {
            self.push(&regex_literal_pattern(path), true);
        }
    }

    /// Whether an excluded directory must still be walked because an
    /// exception may re-include something below it (the CLI's rule: an
    /// exception pattern that starts with `dir/`).
    pub fn may_include_below(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.exceptions.iter().any(|e| format!("{e}/").starts_with(&prefix))
    }

    /// Whether `path` (relative, `/`-separated) is excluded.
    pub fn matches(&self, path: &str) -> bool {
        let parents: Vec<&str> = path.split('/').collect();
        let parents = &parents[..parents.len().saturating_sub(1)];
        let mut matched = false;
        for (re, exception) in &self.patterns {
            // An exclusion cannot change an excluded path, an exception an included one.
            if *exception != matched {
                continue;
            }
            let mut hit = re.is_match(path);
            if !hit {
                hit = (1..=parents.len()).any(|n| re.is_match(&parents[..n].join("/")));
            }
            if hit {
                matched = !exception;
            }
        }
        matched
    }
}

/// A pattern that matches exactly `path` (glob characters escaped).
fn regex_literal_pattern(path: &str) -> String {
    let mut out = String::new();
    for ch in path.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// What to send for one build.
#[derive(Debug)]
pub(crate) struct ContextPlan {
    pub context: PathBuf,
    /// The Dockerfile's path inside the archive (the `dockerfile` query parameter).
    pub dockerfile_name: String,
    /// The Dockerfile's content when it lives outside the context.
    pub outside_dockerfile: Option<Vec<u8>>,
    pub ignore: IgnoreMatcher,
}

fn to_slash(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl ContextPlan {
    /// `dockerfile` may be absolute, relative to the context, or relative to
    /// the working directory (tried in that order); empty means `Dockerfile`
    /// in the context.
    pub fn new(context: &Path, dockerfile: &Path) -> io::Result<ContextPlan> {
        let context = fs::canonicalize(context)
            .map_err(|e| io::Error::new(e.kind(), format!("context folder {}: {e}", context.display())))?;
        if !context.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("{} is not a folder", context.display())));
        }
        let dockerfile = if dockerfile.as_os_str().is_empty() {
            context.join("Dockerfile")
        } else if dockerfile.is_relative() && context.join(dockerfile).exists() {
            context.join(dockerfile)
        } else {
            dockerfile.to_path_buf()
        };
        let dockerfile = fs::canonicalize(&dockerfile)
            .map_err(|e| io::Error::new(e.kind(), format!("Dockerfile {}: {e}", dockerfile.display())))?;

        let mut ignore_file = dockerfile.as_os_str().to_owned();
        ignore_file.push(".dockerignore");
        let ignore_text = match fs::read_to_string(&ignore_file) {
            Ok(text) => Some(text),
            Err(_) => fs::read_to_string(context.join(".dockerignore")).ok(),
        };
        let mut ignore = ignore_text.map(|t| IgnoreMatcher::parse(&t)).unwrap_or_default();
        ignore.keep(".dockerignore");

        let (dockerfile_name, outside_dockerfile) = match dockerfile.strip_prefix(&context) {
            Ok(rel) if !rel.as_os_str().is_empty() => {
                let name = to_slash(rel);
                ignore.keep(&name);
                (name, None)
            }
            _ => {
                let content = fs::read(&dockerfile)
                    .map_err(|e| io::Error::new(e.kind(), format!("Dockerfile {}: {e}", dockerfile.display())))?;
                let hash = Sha256::digest(&content);
                let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
                (format!(".devc-dockerfile-{hex}"), Some(content))
            }
        };
        Ok(ContextPlan { context, dockerfile_name, outside_dockerfile, ignore })
    }
}

fn header_for(meta: &fs::Metadata) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
    header.set_uid(0);
    header.set_gid(0);
    header
}

/// Writes the archive for `plan` to `out`.
pub(crate) fn write_tar<W: Write>(plan: &ContextPlan, out: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    walk(&mut builder, plan, &plan.context, Path::new(""))?;
    if let Some(content) = &plan.outside_dockerfile {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, &plan.dockerfile_name, content.as_slice())?;
    }
    builder.into_inner()
}

fn walk<W: Write>(builder: &mut tar::Builder<W>, plan: &ContextPlan, dir: &Path, rel: &Path) -> io::Result<()> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let rel_path = rel.join(entry.file_name());
        let name = to_slash(&rel_path);
        let excluded = plan.ignore.matches(&name);
        let meta = fs::symlink_metadata(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let file_type = meta.file_type();
        if file_type.is_dir() {
            if excluded && !plan.ignore.may_include_below(&name) {
                continue;
            }
            if !excluded {
                let mut header = header_for(&meta);
                header.set_size(0);
                builder.append_data(&mut header, &rel_path, io::empty())?;
            }
            walk(builder, plan, &path, &rel_path)?;
        } else if excluded {
            continue;
        } else if file_type.is_symlink() {
            let target = fs::read_link(&path)?;
            let mut header = header_for(&meta);
            header.set_size(0);
            builder.append_link(&mut header, &rel_path, &target)?;
        } else if file_type.is_file() {
            let file = fs::File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            let mut header = header_for(&meta);
            let size = meta.len();
            let mut reader = file.take(size);
            builder.append_data(&mut header, &rel_path, &mut reader)?;
            if reader.limit() != 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} shrank while it was read", path.display())));
            }
        }
    }
    Ok(())
}

/// A `Write` that sends 64 KiB chunks into a channel (from a blocking thread).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = bytes::Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the daemon stopped reading the build context"))
    }
}

/// The archive as a byte stream (written by a blocking task) and that task's
/// outcome. A read error also ends the stream with an error, which aborts the request.
pub(crate) fn tar_stream(
    plan: ContextPlan,
) -> (
    impl futures_util::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static,
    tokio::task::JoinHandle<io::Result<()>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<bytes::Bytes>>(8);
    let handle = tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let result = write_tar(&plan, writer).and_then(|mut w| w.flush());
        if let Err(e) = &result {
            let _ = tx.blocking_send(Err(io::Error::new(e.kind(), e.to_string())));
        }
        result
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    (stream, handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn matcher(text: &str) -> IgnoreMatcher {
        IgnoreMatcher::parse(text)
    }

    #[test]
    fn clean_like_go() {
        assert_eq!(clean("a//b/./c/"), "a/b/c");
        assert_eq!(clean("./a/../b"), "b");
        assert_eq!(clean("/a/b"), "/a/b");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("."), ".");
        assert_eq!(clean("../x"), "../x");
    }

    #[test]
    fn dockerignore_patterns() {
        let m = matcher("# comment\n\nnode_modules\n*.log\n!keep.log\n/build/\n**/*.tmp\ndocs/**\n!docs/README.md\na?c\n[xy].txt\n");
        assert!(m.matches("node_modules"));
        assert!(m.matches("node_modules/x/y.js"));
        assert!(!m.matches("src/node_modules"), "patterns are anchored at the context root");
        assert!(m.matches("err.log"));
        assert!(!m.matches("keep.log"));
        assert!(!m.matches("sub/err.log"), "* does not cross /");
        assert!(m.matches("build/out.bin"));
        assert!(m.matches("x.tmp") && m.matches("deep/er/x.tmp"));
        assert!(m.matches("docs/guide.md"));
        assert!(!m.matches("docs/README.md"));
        assert!(m.matches("abc") && !m.matches("a/c"));
        assert!(m.matches("x.txt") && !m.matches("z.txt"));
        assert!(!m.matches("# comment"));
        assert!(!m.matches("src/main.rs"));
    }

    #[test]
    fn last_match_wins_and_exceptions_need_a_prior_exclusion() {
        let m = matcher("!a.txt\n*.txt\n");
        assert!(m.matches("a.txt"));
        let m = matcher("*\n!src\n");
        assert!(!m.matches("src/lib.rs"), "an exception for a dir re-includes what is below it");
        assert!(m.matches("target/x"));
    }

    fn unpack(data: &[u8]) -> BTreeMap<String, (tar::EntryType, Vec<u8>)> {
        let mut archive = tar::Archive::new(data);
        let mut out = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().trim_end_matches('/').to_string();
            let kind = entry.header().entry_type();
            assert_eq!(entry.header().uid().unwrap(), 0);
            let mut body = Vec::new();
            if kind == tar::EntryType::Symlink {
                body = entry.link_name().unwrap().unwrap().to_string_lossy().as_bytes().to_vec();
            } else {
                entry.read_to_end(&mut body).unwrap();
            }
            out.insert(name, (kind, body));
        }
        out
    }

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    #[test]
    fn tar_with_outside_dockerfile_and_dockerignore() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = tmp.path().join("ctx");
        write(&ctx, "app/main.sh", "echo hi\n");
        write(&ctx, "app/debug.log", "noise");
        write(&ctx, "node_modules/pkg/index.js", "x");
        write(&ctx, ".dockerignore", "node_modules\n*/*.log\n");
        std::os::unix::fs::symlink("app/main.sh", ctx.join("link")).unwrap();
        write(tmp.path(), ".devcontainer/Dockerfile", "FROM scratch\n");

        let plan = ContextPlan::new(&ctx, &tmp.path().join(".devcontainer/Dockerfile")).unwrap();
        assert!(plan.dockerfile_name.starts_with(".devc-dockerfile-"));
        let files = unpack(&write_tar(&plan, Vec::new()).unwrap());
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(names, vec![plan.dockerfile_name.as_str(), ".dockerignore", "app", "app/main.sh", "link"]);
        assert_eq!(files[&plan.dockerfile_name].1, b"FROM scratch\n");
        assert_eq!(files["app/main.sh"].1, b"echo hi\n");
        assert_eq!(files["link"], (tar::EntryType::Symlink, b"app/main.sh".to_vec()));
        assert_eq!(files["app"].0, tar::EntryType::Directory);

        // Same content, same generated name (build cache friendly).
        let again = ContextPlan::new(&ctx, &tmp.path().join(".devcontainer/Dockerfile")).unwrap();
        assert_eq!(again.dockerfile_name, plan.dockerfile_name);
    }

    #[test]
    fn dockerfile_inside_context_is_sent_even_when_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "docker/Dockerfile.dev", "FROM scratch\n");
        write(tmp.path(), "docker/Dockerfile.dev.dockerignore", "docker\nsecret\n");
        write(tmp.path(), ".dockerignore", "*\n");
        write(tmp.path(), "secret", "s");
        write(tmp.path(), "src/a", "a");

        let plan = ContextPlan::new(tmp.path(), Path::new("docker/Dockerfile.dev")).unwrap();
        assert_eq!(plan.dockerfile_name, "docker/Dockerfile.dev");
        assert!(plan.outside_dockerfile.is_none());
        let files = unpack(&write_tar(&plan, Vec::new()).unwrap());
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        // The Dockerfile's own .dockerignore wins over the context's `*`.
        assert_eq!(names, vec![".dockerignore", "docker/Dockerfile.dev", "src", "src/a"]);
    }

    #[test]
    fn missing_context_or_dockerfile_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(ContextPlan::new(&tmp.path().join("nope"), Path::new("")).is_err());
        let err = ContextPlan::new(tmp.path(), Path::new("")).unwrap_err();
        assert!(err.to_string().contains("Dockerfile"), "{err}");
    }
}
