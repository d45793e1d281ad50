//! editors/helix/languages.toml is a configuration Helix loads and that does
//! what its README says: it parses, every key is one Helix reads (the key sets
//! below are Helix's config structs in `helix-core/src/syntax/config.rs`, as in
//! /work/shared/reference/lsp-dap.md §4.5, restricted to what both the latest
//! release, 25.07.1, and master read; most of the structs deny unknown fields,
//! so a typo would make Helix reject the whole file), its glob wins over
//! Helix's built-in `jsonc` for dev container configs and for nothing else, and
//! each debugger template's arguments — after Helix's own substitution of the
//! prompt defaults for `{0}`, `{1}`… — are launch arguments that
//! schemas/dap-launch.schema.json and `devc dap` accept.

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn languages() -> toml::Table {
    let path = repo().join("editors/helix/languages.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

// Helix's keys. Top level: `Configuration` plus the grammar keys helix-loader reads.
const TOP_KEYS: &[&str] = &["language", "language-server", "grammar", "use-grammars"];
// `LanguageConfiguration` (deny_unknown_fields; name, scope and file-types have
// no default). Helix 25.07.1's fields; master adds word-completion and rainbow-brackets.
const LANGUAGE_KEYS: &[&str] = &[
    "name",
    "language-id",
    "scope",
    "file-types",
    "shebangs",
    "roots",
    "comment-token",
    "comment-tokens",
    "block-comment-tokens",
    "text-width",
    "soft-wrap",
    "auto-format",
    "formatter",
    "path-completion",
    "diagnostic-severity",
    "grammar",
    "injection-regex",
    "language-servers",
    "indent",
    "debugger",
    "auto-pairs",
    "rulers",
    "workspace-lsp-roots",
    "persistent-diagnostic-sources",
];
const LANGUAGE_REQUIRED: &[&str] = &["name", "scope", "file-types"];
// `LanguageServerConfiguration`.
const LANGUAGE_SERVER_KEYS: &[&str] = &["command", "args", "environment", "config", "timeout", "required-root-patterns"];
// `LanguageServerFeatureConfiguration::Features`.
const LANGUAGE_SERVER_REF_KEYS: &[&str] = &["name", "only-features", "except-features"];
// `IndentationConfiguration`.
const INDENT_KEYS: &[&str] = &["tab-width", "unit"];
// `DebugAdapterConfig` (name, transport and templates have no default).
const DEBUGGER_KEYS: &[&str] = &["name", "transport", "command", "args", "port-arg", "templates", "quirks"];
const DEBUGGER_REQUIRED: &[&str] = &["name", "transport", "templates"];
// `DebugTemplate` (completion has a default).
const TEMPLATE_KEYS: &[&str] = &["name", "request", "completion", "args"];
const TEMPLATE_REQUIRED: &[&str] = &["name", "request", "args"];
// `AdvancedCompletion`.
const COMPLETION_KEYS: &[&str] = &["name", "completion", "default"];

fn check_keys(what: &str, table: &toml::Table, allowed: &[&str], required: &[&str]) {
    for key in table.keys() {
        assert!(allowed.contains(&key.as_str()), "{what}: Helix has no key `{key}` (it knows {allowed:?})");
    }
    for key in required {
        assert!(table.contains_key(*key), "{what}: Helix requires `{key}`");
    }
}

fn table<'a>(what: &str, v: &'a toml::Value) -> &'a toml::Table {
    v.as_table().unwrap_or_else(|| panic!("{what}: expected a table, got {v:?}"))
}

fn string<'a>(what: &str, v: &'a toml::Value) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what}: expected a string, got {v:?}"))
}

fn strings(what: &str, v: &toml::Value) -> Vec<String> {
    let arr = v.as_array().unwrap_or_else(|| panic!("{what}: expected an array, got {v:?}"));
    arr.iter().map(|s| string(what, s).to_string()).collect()
}

/// Our language: the one entry of languages.toml.
fn devcontainer_language(doc: &toml::Table) -> &toml::Table {
    let langs = doc["language"].as_array().expect("[[language]] entries");
    assert_eq!(langs.len(), 1, "one [[language]]");
    table("[[language]]", &langs[0])
}

#[test]
fn helix_languages_toml_uses_only_keys_helix_accepts() {
    let doc = languages();
    check_keys("top level", &doc, TOP_KEYS, &[]);

    let servers = table("[language-server]", &doc["language-server"]);
    assert_eq!(servers.keys().collect::<Vec<_>>(), vec!["devc"]);
    let devc = table("[language-server.devc]", &servers["devc"]);
    check_keys("[language-server.devc]", devc, LANGUAGE_SERVER_KEYS, &["command"]);
    assert_eq!(string("command", &devc["command"]), "devc");
    assert_eq!(strings("args", &devc["args"]), ["lsp"]);

    let lang = devcontainer_language(&doc);
    check_keys("[[language]]", lang, LANGUAGE_KEYS, LANGUAGE_REQUIRED);
    assert_eq!(string("name", &lang["name"]), "devcontainer");
    assert_eq!(string("language-id", &lang["language-id"]), "jsonc", "devc is told it reads jsonc");
    assert_eq!(string("grammar", &lang["grammar"]), "json", "the grammar Helix's jsonc uses");
    string("scope", &lang["scope"]);
    for ft in lang["file-types"].as_array().expect("file-types is an array") {
        match ft {
            toml::Value::String(_) => {}
            toml::Value::Table(t) => {
                assert_eq!(t.keys().collect::<Vec<_>>(), vec!["glob"], "a file-types table has exactly `glob`");
                string("glob", &t["glob"]);
            }
            other => panic!("file-types entry {other:?}: expected a string or {{ glob = … }}"),
        }
    }
    for key in ["roots", "comment-tokens"] {
        strings(key, &lang[key]);
    }
    let block = table("block-comment-tokens", &lang["block-comment-tokens"]);
    check_keys("block-comment-tokens", block, &["start", "end"], &["start", "end"]);
    let indent = table("indent", &lang["indent"]);
    check_keys("indent", indent, INDENT_KEYS, INDENT_KEYS);
    let width = indent["tab-width"].as_integer().expect("tab-width is an integer");
    assert!((1..=16).contains(&width), "Helix wants tab-width in 1..=16");
    // Each language server is a name or { name, only-features, except-features },
    // and names a [language-server] of this file.
    let refs = lang["language-servers"].as_array().expect("language-servers is an array");
    assert!(!refs.is_empty());
    for r in refs {
        let name = match r {
            toml::Value::String(s) => s.clone(),
            toml::Value::Table(t) => {
                check_keys("language-servers entry", t, LANGUAGE_SERVER_REF_KEYS, &["name"]);
                string("name", &t["name"]).to_string()
            }
            other => panic!("language-servers entry {other:?}"),
        };
        assert!(servers.contains_key(&name), "language server {name} is not defined");
    }

    let debugger = table("[language.debugger]", &lang["debugger"]);
    check_keys("[language.debugger]", debugger, DEBUGGER_KEYS, DEBUGGER_REQUIRED);
    assert_eq!(string("transport", &debugger["transport"]), "stdio");
    assert_eq!(string("command", &debugger["command"]), "devc");
    assert_eq!(strings("args", &debugger["args"]), ["dap"]);
    let templates = debugger["templates"].as_array().expect("templates is an array");
    let names: Vec<&str> = templates.iter().map(|t| string("template name", &table("template", t)["name"])).collect();
    assert_eq!(names, ["run command", "run with readiness pattern"]);
    for t in templates {
        let t = table("template", t);
        check_keys("[[language.debugger.templates]]", t, TEMPLATE_KEYS, TEMPLATE_REQUIRED);
        assert!(["launch", "attach"].contains(&string("request", &t["request"])));
        for c in t.get("completion").and_then(|c| c.as_array()).into_iter().flatten() {
            match c {
                toml::Value::String(_) => {}
                toml::Value::Table(ct) => {
                    check_keys("completion", ct, COMPLETION_KEYS, &[]);
                    for v in ct.values() {
                        string("completion field", v);
                    }
                }
                other => panic!("completion entry {other:?}"),
            }
        }
        // `DebugArgumentValue` in 25.07.1: a string, an array of strings or a
        // boolean; tables of strings since #14283 (2025-09), any value since #15018.
        for (k, v) in table("args", &t["args"]) {
            match v {
                toml::Value::String(_) | toml::Value::Boolean(_) => {}
                toml::Value::Array(a) => assert!(a.iter().all(|s| s.is_str()), "args.{k}: Helix takes arrays of strings only"),
                toml::Value::Table(m) => assert!(m.values().all(|s| s.is_str()), "args.{k}: Helix takes tables of strings only"),
                other => panic!("args.{k} = {other:?}: Helix takes strings, string arrays, booleans and string tables"),
            }
        }
    }
    // What the README says: only the readiness template needs a Helix newer
    // than 25.07.1 (it passes a table); without it the file loads in 25.07.1.
    let needs_tables: Vec<&str> = templates
        .iter()
        .map(|t| table("template", t))
        .filter(|t| table("args", &t["args"]).values().any(|v| v.is_table()))
        .map(|t| string("name", &t["name"]))
        .collect();
    assert_eq!(needs_tables, ["run with readiness pattern"]);
}

/// What Helix (master, helix-term/src/commands/dap.rs `dap_start_impl` and
/// `map_value`) sends as `launch` arguments for a template when the user
/// accepts every prompt's default: `{i}` replaced in every string, at any
/// depth; a string that then parses as an unsigned integer becomes a number;
/// `cwd` set to Helix's working directory. (25.07.1 does the same for the
/// values it accepts: top-level strings and string arrays.)
fn helix_launch_args(template: &toml::Table, cwd: &str) -> Value {
    let params: Vec<String> = template
        .get("completion")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .map(|c| match c {
            toml::Value::Table(t) => t.get("default").and_then(|d| d.as_str()).unwrap_or_default().to_string(),
            _ => String::new(),
        })
        .collect();
    fn map(v: &toml::Value, params: &[String]) -> Value {
        match v {
            toml::Value::String(s) => {
                let s = params.iter().enumerate().fold(s.clone(), |acc, (i, p)| acc.replace(&format!("{{{i}}}"), p));
                match s.parse::<usize>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(s),
                }
            }
            toml::Value::Array(a) => Value::Array(a.iter().map(|x| map(x, params)).collect()),
            toml::Value::Table(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), map(x, params))).collect()),
            toml::Value::Boolean(b) => json!(b),
            toml::Value::Integer(n) => json!(n),
            toml::Value::Float(f) => json!(f),
            toml::Value::Datetime(d) => json!(format!("{d:?}")),
        }
    }
    let mut args: Map<String, Value> = template["args"].as_table().unwrap().iter().map(|(k, v)| (k.clone(), map(v, &params))).collect();
    args.insert("cwd".into(), json!(cwd));
    Value::Object(args)
}

#[test]
fn helix_templates_give_launch_arguments_the_schema_and_devc_dap_accept() {
    let doc = languages();
    let schema_doc: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/dap-launch.schema.json")).unwrap()).unwrap();
    let schema = devc_schema::Schema::compile(&schema_doc).expect("the launch schema compiles");
    let debugger = table("debugger", &devcontainer_language(&doc)["debugger"]);
    for t in debugger["templates"].as_array().unwrap() {
        let t = table("template", t);
        let name = string("name", &t["name"]);
        // Every prompt has a default, so accepting them all gives a runnable launch.
        for c in t["completion"].as_array().unwrap() {
            assert!(table("completion", c).get("default").is_some(), "{name}: every prompt has a default");
        }
        let args = helix_launch_args(t, "/home/me/project");
        assert!(!args.to_string().contains("{0}") && !args.to_string().contains("{1}"), "{name}: unsubstituted: {args}");
        for key in args.as_object().unwrap().keys() {
            assert!(schema_doc["properties"].get(key).is_some(), "{name}: `{key}` is not a launch property");
        }
        let text = args.to_string();
        let parsed = devc_jsonc::parse(&text);
        let problems: Vec<String> = schema.validate(parsed.root.as_ref().unwrap()).into_iter().map(|p| p.message).collect();
        assert!(problems.is_empty(), "{name}: the schema rejects {args}: {problems:?}");
        let launch = devc_dap::launch::LaunchArguments::from_json(&args).unwrap_or_else(|e| panic!("{name}: devc dap rejects {args}: {e}"));
        assert_eq!(launch.command.argv(), ["/bin/sh", "-c", "npm start"], "{name}");
        if name == "run with readiness pattern" {
            assert_eq!(args["readiness"], json!({ "pattern": "listening on.* (https?://\\S+|[0-9]+)" }), "{name}");
        }
    }

    // The checks above can fail: what Helix would send for a broken template.
    let broken: toml::Table = toml::from_str("name = \"x\"\nrequest = \"launch\"\ncompletion = [{ name = \"port\", default = \"3000\" }]\nargs = { command = \"{0}\" }").unwrap();
    let args = helix_launch_args(&broken, "/p");
    assert_eq!(args["command"], json!(3000), "Helix turns a numeric string into a number");
    let text = args.to_string();
    assert!(!schema.validate(devc_jsonc::parse(&text).root.as_ref().unwrap()).is_empty());
}

/// Helix's `FileType` glob as it compiles it: a leading `.` also matches
/// `dot-` (newer Helix), and `*/` is prepended unless the glob starts with `/`
/// or `*/`.
fn helix_glob(glob: &str, dot_prefix: bool) -> String {
    let mut g = glob.to_string();
    if dot_prefix {
        if let Some(rest) = g.strip_prefix('.') {
            g = format!("{{.,dot-}}{rest}");
        }
    }
    if !g.starts_with('/') && !g.starts_with("*/") {
        g.insert_str(0, "*/");
    }
    g
}

/// The language Helix picks for `path` by glob: the longest matching glob.
fn helix_language(globs: &[(String, &'static str)], path: &str) -> Option<&'static str> {
    let mut builder = globset::GlobSetBuilder::new();
    for (g, _) in globs {
        builder.add(globset::Glob::new(g).unwrap());
    }
    let set = builder.build().unwrap();
    set.matches(path).into_iter().map(|i| &globs[i]).max_by_key(|(g, _)| g.len()).map(|(_, lang)| *lang)
}

#[test]
fn helix_file_types_take_dev_container_configs_from_the_builtin_jsonc_and_nothing_else() {
    let doc = languages();
    let lang = devcontainer_language(&doc);
    let ours: Vec<String> = lang["file-types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ft| string("glob", &table("file-type", ft)["glob"]).to_string())
        .collect();
    // Helix's built-in jsonc globs (languages.toml, 2026-07-23), which include both names.
    let builtin_jsonc = ["{t,j}sconfig.json", "bun.lock", ".devcontainer.json", "devcontainer.json", ".vscode/*.json"];
    for dot_prefix in [false, true] {
        let mut globs: Vec<(String, &'static str)> = builtin_jsonc.iter().map(|g| (helix_glob(g, dot_prefix), "jsonc")).collect();
        // A language the user adds comes after the built-in ones.
        globs.extend(ours.iter().map(|g| (helix_glob(g, dot_prefix), "devcontainer")));
        let longest_builtin = globs.iter().filter(|(_, l)| *l == "jsonc").map(|(g, _)| g.len()).max().unwrap();
        for (g, l) in &globs {
            if *l == "devcontainer" {
                assert!(g.len() > longest_builtin, "{g} must be longer than every built-in jsonc glob, not win by a tie");
            }
        }
        for path in [
            "/home/me/p/.devcontainer/devcontainer.json",
            "/home/me/p/.devcontainer/python/devcontainer.json",
            "/home/me/p/.devcontainer.json",
            "/home/me/p/sub/devcontainer.json",
        ] {
            assert_eq!(helix_language(&globs, path), Some("devcontainer"), "{path} (dot-prefix globs: {dot_prefix})");
        }
        for (path, expected) in [
            ("/home/me/p/tsconfig.json", Some("jsonc")),
            ("/home/me/p/.vscode/settings.json", Some("jsonc")),
            ("/home/me/p/my-devcontainer.json", None),
            ("/home/me/p/devcontainer.jsonc", None),
            ("/home/me/p/devcontainer.json.bak", None),
            ("/home/me/p/.devcontainer/Dockerfile", None),
        ] {
            assert_eq!(helix_language(&globs, path), expected, "{path} (dot-prefix globs: {dot_prefix})");
        }
    }
}

/// Helix finds queries by language name: runtime/queries/devcontainer must
/// exist and inherit jsonc's, for each query file jsonc has.
#[test]
fn helix_runtime_queries_inherit_jsonc() {
    let doc = languages();
    let name = string("name", &devcontainer_language(&doc)["name"]).to_string();
    let dir = repo().join("editors/helix/runtime/queries").join(&name);
    for file in ["highlights.scm", "indents.scm", "injections.scm", "rainbows.scm", "textobjects.scm"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()));
        assert_eq!(text.trim(), "; inherits: jsonc", "{file}");
    }
}
