//! Image build and pull plumbing that needs no daemon: build query options,
//! the classic builder's JSON messages → progress lines / image id /
//! `BuildFailed`, pull progress lines, and image reference splitting.

use crate::{BuildRequest, Progress, Result, RuntimeError};
use bollard::models::{BuildInfo, CreateImageInfo, ProgressDetail};
use bollard::query_parameters::{BuildImageOptions, BuildImageOptionsBuilder, BuilderVersion};
use std::collections::HashMap;

/// The step reported when the build fails before its first `Step N/M`.
pub(crate) const NO_STEP: &str = "0 (before the first step)";

/// Query options for `POST /build` (classic builder). Only the first tag is
/// sent (`t`); the others are added with `tag` once the image exists.
pub(crate) fn build_options(request: &BuildRequest, dockerfile_name: &str) -> BuildImageOptions {
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(dockerfile_name)
        .rm(true)
        .forcerm(true)
        .nocache(request.no_cache)
        .version(BuilderVersion::BuilderV1);
    if let Some(tag) = request.tags.first() {
        options = options.t(tag);
    }
    if !request.args.is_empty() {
        options = options.buildargs(&request.args.iter().collect::<HashMap<_, _>>());
    }
    if !request.labels.is_empty() {
        options = options.labels(&request.labels.iter().collect::<HashMap<_, _>>());
    }
    if !request.cache_from.is_empty() {
        options = options.cachefrom(&request.cache_from);
    }
    if let Some(target) = &request.target {
        options = options.target(target);
    }
    if let Some(platform) = &request.platform {
        options = options.platform(platform);
    }
    if request.pull {
        options = options.pull("1");
    }
    options.build()
}

/// What the build stream has told so far.
#[derive(Debug, Default)]
pub(crate) struct BuildState {
    /// The last `Step N/M : …` line.
    pub last_step: Option<String>,
    /// From the `aux` message (`{"aux":{"ID":"sha256:…"}}`).
    pub image_id: Option<String>,
    /// From `Successfully built <short id>` (daemons that send no `aux`).
    pub built_short_id: Option<String>,
    /// A line split across two `stream` messages.
    partial: String,
}

impl BuildState {
    /// Handles one message: progress lines out, `BuildFailed` for an error.
    pub fn handle(&mut self, info: &BuildInfo, progress: Progress<'_>) -> Result<()> {
        if let Some(detail) = &info.error_detail {
            return Err(self.failure(detail.message.clone().unwrap_or_else(|| "unknown error".into())));
        }
        if let Some(text) = &info.stream {
            self.partial.push_str(text);
            while let Some(pos) = self.partial.find('\n') {
                let line: String = self.partial.drain(..=pos).collect();
                self.line(line.trim_end_matches(['\n', '\r']), progress);
            }
        }
        if let Some(status) = &info.status {
            progress(&status_line(info.id.as_deref(), status, info.progress_detail.as_ref()));
        }
        if let Some(id) = info.aux.as_ref().and_then(|aux| aux.id.clone()) {
            self.image_id = Some(id);
        }
        Ok(())
    }

    /// Emits a last line that had no newline.
    pub fn finish(&mut self, progress: Progress<'_>) {
        let rest = std::mem::take(&mut self.partial);
        self.line(rest.trim_end_matches(['\n', '\r']), progress);
    }

    fn line(&mut self, line: &str, progress: Progress<'_>) {
        if line.trim().is_empty() {
            return;
        }
        if is_step(line) {
            self.last_step = Some(line.trim().to_string());
        }
        if let Some(id) = line.trim().strip_prefix("Successfully built ") {
            self.built_short_id = Some(id.trim().to_string());
        }
        progress(line);
    }

    /// The error for a failure reported by the daemon now.
    pub fn failure(&self, message: String) -> RuntimeError {
        RuntimeError::BuildFailed {
            step: self.last_step.clone().unwrap_or_else(|| NO_STEP.to_string()),
            message: message.trim().to_string(),
        }
    }
}

/// `Step 3/7 : RUN make`
fn is_step(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix("Step ") else { return false };
    let Some((counts, _)) = rest.split_once(" : ") else { return false };
    let mut parts = counts.split('/');
    matches!((parts.next(), parts.next(), parts.next()), (Some(n), Some(m), None)
        if !n.is_empty() && !m.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && m.chars().all(|c| c.is_ascii_digit()))
}

fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n}B")
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// `<id>: <status> <current>/<total>` like the docker CLI's non-terminal output.
fn status_line(id: Option<&str>, status: &str, detail: Option<&ProgressDetail>) -> String {
    let mut line = match id.filter(|id| !id.is_empty()) {
        Some(id) => format!("{id}: {status}"),
        None => status.to_string(),
    };
    if let Some(ProgressDetail { current: Some(current), total }) = detail {
        match total {
            Some(total) if *total > 0 => line.push_str(&format!(" {}/{}", human_bytes(*current), human_bytes(*total))),
            _ if *current > 0 => line.push_str(&format!(" {}", human_bytes(*current))),
            _ => {}
        }
    }
    line
}

/// A progress line for one pull message (`None` for empty messages).
pub(crate) fn pull_line(info: &CreateImageInfo) -> Option<String> {
    info.status.as_deref().map(|status| status_line(info.id.as_deref(), status, info.progress_detail.as_ref()))
}

/// `fromImage` and `tag` for a pull: a reference without tag or digest pulls
/// `latest` (never every tag).
pub(crate) fn pull_reference(image: &str) -> (String, Option<String>) {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        (image.to_string(), None)
    } else {
        (image.to_string(), Some("latest".to_string()))
    }
}

/// `repo[:tag]` → (repo, tag), tag defaulting to `latest`; the colon of a
/// registry port (`host:5000/repo`) is not a tag separator.
pub(crate) fn split_tag(reference: &str) -> (String, String) {
    let slash = reference.rfind('/').map(|i| i + 1).unwrap_or(0);
    match reference[slash..].rfind(':') {
        Some(i) => (reference[..slash + i].to_string(), reference[slash + i + 1..].to_string()),
        None => (reference.to_string(), "latest".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ErrorDetail, ImageId};
    use std::sync::Mutex;

    fn stream(text: &str) -> BuildInfo {
        BuildInfo { stream: Some(text.into()), ..Default::default() }
    }

    #[test]
    fn progress_lines_steps_and_failure() {
        let lines = Mutex::new(Vec::<String>::new());
        let progress = |l: &str| lines.lock().unwrap().push(l.to_string());
        let mut state = BuildState::default();
        let messages = [
            stream("Step 1/3 : FROM devc-test-busybox:latest\n"),
            stream(" ---> d4a1f038a6c0\n"),
            stream("Step 2/3 : RUN echo hi"),
            stream("\n"),
            stream(" ---> Running in 0123\nhi\n"),
            BuildInfo { status: Some("Downloading".into()), id: Some("abc".into()), progress_detail: Some(ProgressDetail { current: Some(1500), total: Some(3_000_000) }), ..Default::default() },
            stream("Step 3/3 : RUN exit 3\n"),
        ];
        for m in &messages {
            state.handle(m, &progress).unwrap();
        }
        let err = state
            .handle(
                &BuildInfo {
                    error_detail: Some(ErrorDetail { code: Some(3), message: Some("The command '/bin/sh -c exit 3' returned a non-zero code: 3".into()) }),
                    ..Default::default()
                },
                &progress,
            )
            .unwrap_err();
        match err {
            RuntimeError::BuildFailed { step, message } => {
                assert_eq!(step, "Step 3/3 : RUN exit 3");
                assert!(message.contains("non-zero code: 3"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            *lines.lock().unwrap(),
            vec![
                "Step 1/3 : FROM devc-test-busybox:latest",
                " ---> d4a1f038a6c0",
                "Step 2/3 : RUN echo hi",
                " ---> Running in 0123",
                "hi",
                "abc: Downloading 1.5kB/3.0MB",
                "Step 3/3 : RUN exit 3",
            ]
        );
    }

    #[test]
    fn image_id_from_aux_or_successfully_built() {
        let mut state = BuildState::default();
        let none = |_: &str| {};
        state.handle(&stream("Successfully built 0123abcd"), &none).unwrap();
        assert_eq!(state.built_short_id, None, "not a whole line yet");
        state.finish(&none);
        assert_eq!(state.built_short_id.as_deref(), Some("0123abcd"));
        state.handle(&BuildInfo { aux: Some(ImageId { id: Some("sha256:0123abcd99".into()) }), ..Default::default() }, &none).unwrap();
        assert_eq!(state.image_id.as_deref(), Some("sha256:0123abcd99"));
    }

    #[test]
    fn failure_before_any_step() {
        let state = BuildState::default();
        match state.failure("dockerfile parse error line 1: unknown instruction: FROMM\n".into()) {
            RuntimeError::BuildFailed { step, message } => {
                assert_eq!(step, NO_STEP);
                assert_eq!(message, "dockerfile parse error line 1: unknown instruction: FROMM");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn step_lines() {
        assert!(is_step("Step 1/3 : FROM x"));
        assert!(is_step("Step 12/13 : RUN a : b"));
        assert!(!is_step("Step one : x"));
        assert!(!is_step("Stepping 1/2 : x"));
        assert!(!is_step("Step 1/2: x"));
    }

    #[test]
    fn options_carry_every_build_field() {
        let request = BuildRequest {
            context: ".".into(),
            dockerfile: "Dockerfile".into(),
            tags: vec!["a:1".into(), "b:2".into()],
            args: [("K".to_string(), "V".to_string())].into(),
            target: Some("dev".into()),
            cache_from: vec!["a:0".into()],
            no_cache: true,
            labels: [("l".to_string(), "v".to_string())].into(),
            platform: Some("linux/amd64".into()),
            pull: true,
        };
        let o = build_options(&request, ".devc/Dockerfile");
        assert_eq!(o.dockerfile, ".devc/Dockerfile");
        assert_eq!(o.t.as_deref(), Some("a:1"));
        assert_eq!(o.buildargs, Some([("K".to_string(), "V".to_string())].into()));
        assert_eq!(o.labels, Some([("l".to_string(), "v".to_string())].into()));
        assert_eq!(o.cachefrom, Some(vec!["a:0".to_string()]));
        assert_eq!(o.target, "dev");
        assert_eq!(o.platform, "linux/amd64");
        assert_eq!(o.pull.as_deref(), Some("1"));
        assert!(o.nocache && o.rm && o.forcerm);
        assert_eq!(o.version, BuilderVersion::BuilderV1);
        let plain = build_options(&BuildRequest::default(), "Dockerfile");
        assert_eq!((plain.t, plain.buildargs, plain.pull, plain.nocache), (None, None, None, false));
    }

    #[test]
    fn references() {
        assert_eq!(pull_reference("busybox"), ("busybox".into(), Some("latest".into())));
        assert_eq!(pull_reference("busybox:1.36"), ("busybox:1.36".into(), None));
        assert_eq!(pull_reference("localhost:5000/x"), ("localhost:5000/x".into(), Some("latest".into())));
        assert_eq!(pull_reference("x@sha256:abc"), ("x@sha256:abc".into(), None));
        assert_eq!(split_tag("a/b:1"), ("a/b".into(), "1".into()));
        assert_eq!(split_tag("host:5000/b"), ("host:5000/b".into(), "latest".into()));
        assert_eq!(split_tag("host:5000/b:dev"), ("host:5000/b".into(), "dev".into()));
    }

    #[test]
    fn pull_lines() {
        let info = CreateImageInfo { id: Some("l1".into()), status: Some("Pull complete".into()), ..Default::default() };
        assert_eq!(pull_line(&info).unwrap(), "l1: Pull complete");
        assert_eq!(pull_line(&CreateImageInfo::default()), None);
    }
}
