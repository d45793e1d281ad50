//! End-to-end tests of dev container Features: the built `devc` binary, the
//! real Docker daemon and image `devc-test-busybox:latest`, local Features in
//! the workspace and OCI Features pushed (by the test) to Debian's
//! `docker-registry` on 127.0.0.1. Install scripts are busybox `sh`.
//!
//! Each test has its own workspace(s), Feature cache (`DEVC_FEATURE_CACHE`)
//! and registry, and removes its containers and images, also on failure.
//!
//!     cargo test -p devc --test features

mod common;
#[path = "../../features/tests/support/mod.rs"]
mod support;

use common::*;
use serde_json::{json, Value};
use std::path::Path;

/// `devc <args>` in `ws` with a Feature cache of the test's own.
fn devc(ws: &Workspace, cache: &Path, args: &[&str]) -> Run {
    let mut cmd = ws.command(args);
    cmd.env("DEVC_FEATURE_CACHE", cache);
    run(cmd, None)
}

fn up(ws: &Workspace, cache: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["up"];
    args.extend_from_slice(extra);
    devc(ws, cache, &args).success_json()
}

fn metadata_label(container_or_image: &str) -> Vec<Value> {
    let label = inspect(container_or_image, "{{index .Config.Labels \"devcontainer.metadata\"}}");
    serde_json::from_str::<Value>(&label).unwrap_or_else(|e| panic!("metadata label {label:?}: {e}")).as_array().cloned().unwrap_or_default()
}

fn feature_ids(entries: &[Value]) -> Vec<String> {
    entries.iter().filter_map(|e| e["id"].as_str().map(str::to_string)).collect()
}

/// Case 1: two local Features with options, containerEnv and hooks; the
/// override order; built-in user variables; option values reach install.sh
/// verbatim (never evaluated by a shell).
#[test]
fn local_features_with_options_env_and_hooks() {
    let cache = tempfile::tempdir().unwrap();
    let ws = Workspace::with_json(
        "feat-local",
        &json!({
            "image": BUSYBOX,
            "remoteUser": "dev",
            "features": {
                "./greeter": { "greeting": "it's $(touch /tmp/pwned) `id` \"quoted\"", "style": "fancy" },
                "./marker": {}
            },
            // Without it the order is greeter, marker (by id).
            "overrideFeatureInstallOrder": ["./marker"],
            "postCreateCommand": "echo config-postCreate >> /tmp/hooks.log"
        }),
    );
    let dc = ws.path.join(".devcontainer");
    support::write_local_feature(
        &dc,
        "greeter",
        &json!({
            "id": "greeter", "version": "1.0.0", "name": "Greeter",
            "options": {
                "greeting": {"type": "string", "default": "hello"},
                "style": {"type": "string", "enum": ["plain", "fancy"], "default": "plain"},
                "loud": {"type": "boolean", "default": true}
            },
            "containerEnv": {"GREETER_HOME": "/opt/greeter", "PATH": "/opt/greeter/bin:${PATH}"},
            "onCreateCommand": "echo greeter-onCreate >> /tmp/hooks.log",
            "postCreateCommand": "echo greeter-postCreate >> /tmp/hooks.log"
        }),
        "#!/bin/sh\nset -e\nmkdir -p /opt/greeter/bin\n\
         printf '%s\\n' \"$GREETING\" > /opt/greeter/greeting\n\
         printf '%s %s\\n' \"$STYLE\" \"$LOUD\" > /opt/greeter/style\n\
         printf '%s|%s|%s|%s\\n' \"$_REMOTE_USER\" \"$_REMOTE_USER_HOME\" \"$_CONTAINER_USER\" \"$_CONTAINER_USER_HOME\" > /opt/greeter/users\n\
         printf '#!/bin/sh\\necho greetings\\n' > /opt/greeter/bin/greet\nchmod +x /opt/greeter/bin/greet\n\
         echo greeter >> /opt/install-order\n",
    );
    support::write_local_feature(
        &dc,
        "marker",
        &json!({"id": "marker", "version": "0.1.0", "containerEnv": {"MARKER": "on"}}),
        "#!/bin/sh\nset -e\nmkdir -p /opt\necho \"marker sees GREETER_HOME=${GREETER_HOME:-unset}\" > /opt/marker\necho marker >> /opt/install-order\n",
    );

    // Before any container: read-configuration merges the Features' metadata too.
    let read = devc(&ws, cache.path(), &["read-configuration", "--include-merged-configuration"]);
    assert_eq!(read.code, Some(0), "{}", read.ctx());
    let merged = &read.json()["mergedConfiguration"];
    assert_eq!(merged["onCreateCommands"], json!(["echo greeter-onCreate >> /tmp/hooks.log"]), "{merged}");
    assert_eq!(
        merged["postCreateCommands"],
        json!(["echo greeter-postCreate >> /tmp/hooks.log", "echo config-postCreate >> /tmp/hooks.log"]),
        "{merged}"
    );

    let result = up(&ws, cache.path(), &[]);
    assert_eq!(result["remoteUser"], "dev", "{result}");
    assert_eq!(ws.exec_ok(&["cat", "/opt/install-order"]), "marker\ngreeter\n", "overrideFeatureInstallOrder puts marker first");
    assert_eq!(ws.exec_ok(&["cat", "/opt/marker"]), "marker sees GREETER_HOME=unset\n", "marker installed before greeter's ENV");
    assert_eq!(ws.exec_ok(&["cat", "/opt/greeter/greeting"]), "it's $(touch /tmp/pwned) `id` \"quoted\"\n", "option values are passed verbatim");
    assert_eq!(ws.exec(&["test", "-e", "/tmp/pwned"]).code, Some(1), "an option value was evaluated by a shell");
    assert_eq!(ws.exec_ok(&["cat", "/opt/greeter/style"]), "fancy true\n", "the user's value, then the default");
    assert_eq!(ws.exec_ok(&["cat", "/opt/greeter/users"]), "dev|/home/dev|root|/root\n", "built-in user variables");

    // Both Features' containerEnv, as `devc exec` sees it.
    assert_eq!(ws.getenv("GREETER_HOME").as_deref(), Some("/opt/greeter"));
    assert_eq!(ws.getenv("MARKER").as_deref(), Some("on"));
    let path = ws.getenv("PATH").unwrap();
    assert!(path.starts_with("/opt/greeter/bin:") && path.contains("/usr/bin"), "{path}");
    assert_eq!(ws.exec_ok(&["greet"]), "greetings\n");

    // Feature hooks run before the config's.
    assert_eq!(ws.exec_ok(&["cat", "/tmp/hooks.log"]), "greeter-onCreate\ngreeter-postCreate\nconfig-postCreate\n");
    // The metadata label records the Features in install order, before the config's entry.
    let id = result["containerId"].as_str().unwrap();
    let entries = metadata_label(id);
    assert_eq!(feature_ids(&entries), vec!["./marker", "./greeter"], "{entries:?}");
    assert_eq!(entries.last().unwrap()["postCreateCommand"], "echo config-postCreate >> /tmp/hooks.log");
    // Local Features are not locked (the file is written anyway, as the reference does).
    let lock = std::fs::read_to_string(ws.path.join(".devcontainer/devcontainer-lock.json")).expect("a lock file");
    assert_eq!(lock, "{\n  \"features\": {}\n}\n");
}

/// Case 2: OCI Features from a registry (one depends on the other): both
/// installed, their env visible in `devc exec`; the lock file is written and
/// `--frozen-lockfile` refuses a configuration that does not match it.
#[test]
fn oci_features_from_a_registry_lock_file_and_frozen_mismatch() {
    let reg = support::Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let ns = format!("{}/devc-e2e/features", reg.addr);
    let tools_digest = support::push(
        &reg.addr,
        "devc-e2e/features/base-tools",
        "1",
        &json!({"id": "base-tools", "version": "1.0.0", "containerEnv": {"BASE_TOOLS": "installed"}}),
        "#!/bin/sh\nset -e\nmkdir -p /opt/base-tools\necho ok > /opt/base-tools/ok\n",
    );
    let app_meta = json!({
        "id": "app", "version": "2.1.0",
        "options": {"mode": {"type": "string", "enum": ["dev", "prod"], "default": "dev"}},
        "dependsOn": {format!("{ns}/base-tools:1"): {}},
        "containerEnv": {"APP_HOME": "/opt/app"}
    });
    let app_digest = support::push(
        &reg.addr,
        "devc-e2e/features/app",
        "1",
        &app_meta,
        "#!/bin/sh\nset -e\ntest -f /opt/base-tools/ok\nmkdir -p /opt/app\necho \"$MODE\" > /opt/app/mode\n",
    );
    let ws = Workspace::with_json("feat-oci", &json!({"image": BUSYBOX, "features": { format!("{ns}/app:1"): {"mode": "prod"} }}));

    up(&ws, cache.path(), &[]);
    assert_eq!(ws.exec_ok(&["cat", "/opt/app/mode"]), "prod\n");
    assert_eq!(ws.getenv("APP_HOME").as_deref(), Some("/opt/app"));
    assert_eq!(ws.getenv("BASE_TOOLS").as_deref(), Some("installed"), "the dependency is installed too");

    let lock_path = ws.path.join(".devcontainer/devcontainer-lock.json");
    let lock: Value = serde_json::from_str(&std::fs::read_to_string(&lock_path).expect("the lock file is written")).unwrap();
    assert_eq!(
        lock,
        json!({"features": {
            format!("{ns}/app:1"): {"version": "2.1.0", "resolved": format!("{ns}/app@{app_digest}"), "integrity": app_digest,
                                    "dependsOn": [format!("{ns}/base-tools:1")]},
            format!("{ns}/base-tools:1"): {"version": "1.0.0", "resolved": format!("{ns}/base-tools@{tools_digest}"), "integrity": tools_digest}
        }})
    );

    // The lock file matches: a frozen build succeeds (from the cache).
    let built = devc(&ws, cache.path(), &["build", "--frozen-lockfile"]);
    built.success_json();

    // The config asks for a version the lock file does not have.
    support::push(&reg.addr, "devc-e2e/features/app", "2", &app_meta, "#!/bin/sh\necho v2\n");
    ws.write(".devcontainer/devcontainer.json", &json!({"image": BUSYBOX, "features": { format!("{ns}/app:2"): {} }}).to_string());
    let frozen = devc(&ws, cache.path(), &["build", "--frozen-lockfile"]);
    let err = frozen.error_json();
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("Lockfile does not match."), "{}", frozen.ctx());
    assert!(message.contains(&format!("'{ns}/app:2' is not locked")), "{message}");
    assert_eq!(err["description"], "An error occurred building the container.");
    assert_eq!(serde_json::from_str::<Value>(&std::fs::read_to_string(&lock_path).unwrap()).unwrap(), lock, "frozen never writes");

    // --no-lockfile and --frozen-lockfile exclude each other.
    let both = devc(&ws, cache.path(), &["build", "--no-lockfile", "--frozen-lockfile"]);
    assert!(both.error_json()["message"].as_str().unwrap().contains("cannot be used together"), "{}", both.ctx());
}

/// Case 3: a base image that already has a Feature (its metadata label says
/// so) does not get it installed again; the other Feature is installed.
#[test]
fn a_feature_already_in_the_base_image_is_not_installed_again() {
    let reg = support::Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let ns = format!("{}/devc-e2e/base", reg.addr);
    support::push(
        &reg.addr,
        "devc-e2e/base/counter",
        "1",
        &json!({"id": "counter", "version": "1.0.0", "containerEnv": {"COUNTER": "1"}}),
        "#!/bin/sh\nset -e\nmkdir -p /opt/counter\necho installed >> /opt/counter/installs\n",
    );
    support::push(&reg.addr, "devc-e2e/base/extra", "1", &json!({"id": "extra", "version": "1.0.0"}), "#!/bin/sh\ntouch /opt/extra\n");
    let counter = format!("{ns}/counter:1");
    let extra = format!("{ns}/extra:1");

    // A prebuilt image with `counter`, made by `devc build --image-name`.
    let tag = format!("{}:latest", unique("with-counter"));
    let _image = TestImage::adopt(tag.clone());
    let prebuild = Workspace::with_json("feat-prebuild", &json!({"image": BUSYBOX, "features": { counter.clone(): {} }}));
    let built = devc(&prebuild, cache.path(), &["build", "--image-name", &tag]);
    assert_eq!(built.success_json()["imageName"], json!([tag.clone()]), "{}", built.ctx());
    assert_eq!(feature_ids(&metadata_label(&tag)), vec![counter.clone()]);

    let ws = Workspace::with_json("feat-onbase", &json!({"image": tag, "features": { counter.clone(): {}, extra.clone(): {} }}));
    let result = up(&ws, cache.path(), &[]);
    assert_eq!(ws.exec_ok(&["cat", "/opt/counter/installs"]), "installed\n", "counter was installed once, in the base image");
    assert_eq!(ws.exec(&["test", "-f", "/opt/extra"]).code, Some(0), "extra is installed");
    assert_eq!(ws.getenv("COUNTER").as_deref(), Some("1"));
    let ids = feature_ids(&metadata_label(result["containerId"].as_str().unwrap()));
    assert_eq!(ids, vec![counter, extra], "the base image's entry, then the new Feature's");
}

/// Case 4: a Dockerfile config with a Feature: the Dockerfile's image is the
/// base of the Feature build, under the reference's image name; the Feature's
/// capAdd, init, mounts and entrypoint reach the container.
#[test]
fn dockerfile_config_with_a_feature() {
    let cache = tempfile::tempdir().unwrap();
    let ws = Workspace::with_json("feat-dockerfile", &json!({"build": {"dockerfile": "Dockerfile"}, "features": {"./tool": {}}}));
    ws.write(".devcontainer/Dockerfile", &format!("FROM {BUSYBOX}\nRUN echo from-dockerfile > /base\n"));
    support::write_local_feature(
        &ws.path.join(".devcontainer"),
        "tool",
        &json!({
            "id": "tool", "version": "1.0.0", "containerEnv": {"TOOL": "yes"},
            // Container properties a Feature contributes through the metadata label.
            "capAdd": ["SYS_PTRACE"], "init": true,
            "mounts": [{"type": "volume", "target": "/tool-data"}],
            "entrypoint": "/usr/local/bin/tool-entrypoint.sh"
        }),
        "#!/bin/sh\nset -e\ncat /base > /tool-saw-base\nmkdir -p /usr/local/bin\n         printf '#!/bin/sh\\necho entrypoint-ran > /tmp/tool-entrypoint\\n' > /usr/local/bin/tool-entrypoint.sh\n         chmod +x /usr/local/bin/tool-entrypoint.sh\n",
    );
    let result = up(&ws, cache.path(), &[]);
    let id = result["containerId"].as_str().unwrap();
    assert_eq!(ws.exec_ok(&["cat", "/tool-saw-base"]), "from-dockerfile\n");
    assert_eq!(ws.getenv("TOOL").as_deref(), Some("yes"));
    let image = inspect(id, "{{.Config.Image}}");
    assert!(image.starts_with(&format!("vsc-{}-", ws.basename().to_lowercase())), "{image}");
    assert_eq!(feature_ids(&metadata_label(&image)), vec!["./tool"]);
    assert_eq!(inspect(id, "{{json .HostConfig.CapAdd}}"), "[\"SYS_PTRACE\"]");
    assert_eq!(inspect(id, "{{.HostConfig.Init}}"), "true");
    assert!(inspect(id, "{{json .Mounts}}").contains("\"Destination\":\"/tool-data\""), "the Feature's mount");
    // The entrypoint runs when the container starts (it may still be starting).
    let ran = wait_until(std::time::Duration::from_secs(20), || ws.exec(&["test", "-f", "/tmp/tool-entrypoint"]).code == Some(0));
    assert!(ran, "the Feature's entrypoint did not run at start");
    assert_eq!(ws.exec_ok(&["cat", "/tmp/tool-entrypoint"]), "entrypoint-ran\n");
}

/// Case 5: what is wrong is said before anything is built: a dependency
/// cycle (named), an option value the Feature does not allow, a legacy id;
/// and an install.sh that fails is named with its output.
#[test]
fn bad_feature_configurations_fail_before_building() {
    let cache = tempfile::tempdir().unwrap();
    let ws = Workspace::with_json("feat-bad", &json!({"image": BUSYBOX, "features": {"./x": {}}}));
    let dc = ws.path.join(".devcontainer");
    support::write_local_feature(&dc, "x", &json!({"id": "x", "dependsOn": {"./y": {}}}), "#!/bin/sh\n");
    support::write_local_feature(&dc, "y", &json!({"id": "y", "installsAfter": ["./x"], "options": {"level": {"type": "string", "enum": ["low", "high"]}}}), "#!/bin/sh\n");

    let cycle = devc(&ws, cache.path(), &["up"]);
    let message = cycle.error_json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("Circular dependency detected: ./x → ./y → ./x"), "{}", cycle.ctx());

    ws.write(".devcontainer/devcontainer.json", &json!({"image": BUSYBOX, "features": {"./y": {"level": "extreme"}}}).to_string());
    let bad = devc(&ws, cache.path(), &["up"]);
    let message = bad.error_json()["message"].as_str().unwrap().to_string();
    assert_eq!(message, "Feature './y', option 'level': \"extreme\" is not one of the allowed values: \"low\", \"high\"", "{}", bad.ctx());

    ws.write(".devcontainer/devcontainer.json", &json!({"image": BUSYBOX, "features": {"myfeature": {}}}).to_string());
    let legacy = devc(&ws, cache.path(), &["up"]);
    assert!(legacy.error_json()["message"].as_str().unwrap().starts_with("Legacy feature 'myfeature' not supported"), "{}", legacy.ctx());
    assert!(ws.containers().is_empty(), "nothing was created");

    // A failing install.sh names its Feature and shows its last output.
    support::write_local_feature(&dc, "broken", &json!({"id": "broken", "version": "1.0.0"}), "#!/bin/sh\necho boom-from-install >&2\nexit 3\n");
    ws.write(".devcontainer/devcontainer.json", &json!({"image": BUSYBOX, "features": {"./broken": {}}}).to_string());
    let broken = devc(&ws, cache.path(), &["up"]);
    let message = broken.error_json()["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("Feature './broken' failed to install:"), "{}", broken.ctx());
    assert!(message.contains("boom-from-install") && !message.contains('\u{1b}'), "{message}");
    assert!(ws.containers().is_empty(), "nothing was created");

    // `devc validate` reports the same value problem at its position.
    ws.write(".devcontainer/devcontainer.json", "{\n  \"image\": \"x\",\n  \"features\": {\"./y\": {\"level\": \"extreme\", \"colour\": 1}}\n}\n");
    let validate = devc(&ws, cache.path(), &["validate"]);
    assert_eq!(validate.code, Some(1), "{}", validate.ctx());
    let out = validate.stdout_text();
    assert!(out.contains(":3:33: error: Feature './y', option 'level': \"extreme\" is not one of the allowed values"), "{out}");
    assert!(out.contains(":3:44: warning: Feature './y' has no option 'colour' (its options: level)"), "{out}");
}
