//! The one mount parser: Docker's `--mount` string syntax (CSV fields, quoting, key
//! aliases, `readonly`, `external`) and the devcontainer.json object form, into a typed
//! [`Mount`] that prints back to the string syntax the way the reference quotes it.

use crate::error::ConfigError;
use indexmap::IndexMap;
use serde_json::Value;
use std::fmt;

/// Mount type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MountType {
    Bind,
    Volume,
    Tmpfs,
    Npipe,
    Image,
}

impl MountType {
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Volume => "volume",
            MountType::Tmpfs => "tmpfs",
            MountType::Npipe => "npipe",
            MountType::Image => "image",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [MountType::Bind, MountType::Volume, MountType::Tmpfs, MountType::Npipe, MountType::Image]
            .into_iter()
            .find(|k| s.eq_ignore_ascii_case(k.as_str()))
    }
}

impl fmt::Display for MountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountType,
    /// Absent for anonymous volumes and tmpfs.
    pub source: Option<String>,
    pub target: String,
    pub readonly: bool,
    /// devcontainer-specific: the volume is not created/owned by the dev container.
    pub external: Option<bool>,
    /// `consistency=` (ignored on Linux by Docker).
    pub consistency: Option<String>,
    /// Any other Docker option (`bind-propagation=…`, `volume-opt=…`), in order.
    pub options: Vec<(String, Option<String>)>,
}

/// Splits at commas outside double quotes; `""` inside quotes is a literal quote.
fn split_fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if in_quotes {
        return Err("a quoted value is never closed with '\"'".to_string());
    }
    fields.push(cur);
    Ok(fields)
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("{key}={v} must be true or false")),
    }
}

/// Parses the `--mount` string syntax.
pub fn parse_mount(s: &str) -> Result<Mount, ConfigError> {
    let err = |reason: String| ConfigError::mount(s, reason);
    let mut kind = None;
    let mut source = None;
    let mut target: Option<String> = None;
    let mut readonly = false;
    let mut external = None;
    let mut consistency = None;
    let mut options: Vec<(String, Option<String>)> = Vec::new();
    for field in split_fields(s).map_err(err)? {
        if field.is_empty() {
            continue;
        }
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.to_string())),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        let need =
            |v: Option<String>| v.ok_or_else(|| err(format!("{key} needs a value ({key}=…)")));
        match key.as_str() {
            "type" => {
                let v = need(value)?;
                kind = Some(MountType::parse(&v).ok_or_else(|| {
                    err(format!(
                        "unknown mount type '{v}' (use bind, volume, tmpfs, npipe or image)"
                    ))
                })?);
            }
            "source" | "src" => source = Some(need(value)?),
            "target" | "destination" | "dst" => target = Some(need(value)?),
            "readonly" | "ro" => {
                readonly = match value {
                    None => true,
                    Some(v) => parse_bool(&key, &v).map_err(err)?,
                }
            }
            "external" => external = Some(parse_bool(&key, &need(value)?).map_err(err)?),
            "consistency" => consistency = Some(need(value)?),
            _ => options.push((key, value)),
        }
    }
    // Docker's default type.
    let kind = kind.unwrap_or(MountType::Volume);
    let target = match target {
        Some(t) if !t.is_empty() => t,
        Some(_) => return Err(err("target= is empty".to_string())),
        None => return Err(err("mount is missing target=".to_string())),
    };
    if kind == MountType::Bind && !matches!(source.as_deref(), Some(s) if !s.is_empty()) {
        return Err(err("bind mount is missing source=".to_string()));
    }
    Ok(Mount {
        kind,
        source,
        target,
        readonly,
        external,
        consistency,
        options,
    })
}

/// Whether [`parse_mount`] accepts `s`, decided without allocating (for
/// validation, which only needs the error). `false` means "maybe not": quoted
/// fields are left to the full parser.
pub(crate) fn mount_string_is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.contains(&b'"') {
        return false;
    }
    let is_bool = |v: &str| ["true", "1", "false", "0"].iter().any(|b| v.eq_ignore_ascii_case(b));
    let mut kind = MountType::Volume;
    let mut source: Option<&str> = None;
    let mut target: Option<&str> = None;
    let mut start = 0;
    while start <= b.len() {
        // Fields are split at ',' (no quotes here), keys at the first '='.
        let end = b[start..].iter().position(|&c| c == b',').map_or(b.len(), |i| start + i);
        let field = &s[start..end];
        start = end + 1;
        if field.is_empty() {
            continue;
        }
        let (key, value) = match field.as_bytes().iter().position(|&c| c == b'=') {
            Some(eq) => (field[..eq].trim(), Some(&field[eq + 1..])),
            None => (field.trim(), None),
        };
        let is = |name: &str| key.len() == name.len() && key.eq_ignore_ascii_case(name);
        if is("type") {
            let Some(v) = value else { return false };
            let Some(k) = MountType::parse(v) else { return false };
            kind = k;
        } else if is("source") || is("src") {
            let Some(v) = value else { return false };
            source = Some(v);
        } else if is("target") || is("destination") || is("dst") {
            let Some(v) = value else { return false };
            target = Some(v);
        } else if is("readonly") || is("ro") {
            if value.is_some_and(|v| !is_bool(v)) {
                return false;
            }
        } else if is("external") {
            if !value.is_some_and(is_bool) {
                return false;
            }
        } else if is("consistency") && value.is_none() {
            return false;
        }
    }
    matches!(target, Some(t) if !t.is_empty()) && (kind != MountType::Bind || matches!(source, Some(s) if !s.is_empty()))
}

/// Parses a `mounts` entry: a string in `--mount` syntax or an object
/// `{type, source?, target, external?}`.
pub fn mount_from_value(value: &Value) -> Result<Mount, ConfigError> {
    let obj = match value {
        Value::String(s) => return parse_mount(s),
        Value::Object(o) => o,
        other => {
            return Err(ConfigError::mount(
                other.to_string(),
                "a mount must be a string or an object",
            ))
        }
    };
    let text = value.to_string();
    let err = |reason: &str| ConfigError::mount(text.clone(), reason);
    let str_field = |name: &str| -> Result<Option<String>, ConfigError> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(&format!("\"{name}\" must be a string"))),
        }
    };
    let kind_s = str_field("type")?.ok_or_else(|| err("mount is missing \"type\""))?;
    let kind = MountType::parse(&kind_s).ok_or_else(|| {
        err(&format!(
            "unknown mount type '{kind_s}' (use bind or volume)"
        ))
    })?;
    let source = str_field("source")?;
    let target = match str_field("target")? {
        Some(t) if !t.is_empty() => t,
        Some(_) => return Err(err("\"target\" is empty")),
        None => return Err(err("mount is missing \"target\"")),
    };
    if kind == MountType::Bind && !matches!(source.as_deref(), Some(s) if !s.is_empty()) {
        return Err(err("bind mount is missing \"source\""));
    }
    let external = match obj.get("external") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(err("\"external\" must be true or false")),
    };
    Ok(Mount {
        kind,
        source,
        target,
        readonly: false,
        external,
        consistency: None,
        options: Vec::new(),
    })
}

/// Quotes a `key=value` field the way the reference does when it contains ','
/// (the whole field in double quotes; inner quotes doubled as in CSV).
pub fn quote_field(field: &str) -> String {
    if field.contains(',') || field.contains('"') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

impl Mount {
    fn fields(&self, with_external: bool) -> Vec<String> {
        let mut f = vec![format!("type={}", self.kind)];
        if let Some(s) = &self.source {
            f.push(format!("source={s}"));
        }
        f.push(format!("target={}", self.target));
        if self.readonly {
            f.push("readonly".to_string());
        }
        if let Some(c) = &self.consistency {
            f.push(format!("consistency={c}"));
        }
        if with_external {
            if let Some(e) = self.external {
                f.push(format!("external={e}"));
            }
        }
        for (k, v) in &self.options {
            f.push(match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            });
        }
        f
    }

    /// The `--mount` value for `docker run` (without `external`, which Docker rejects).
    pub fn to_docker_arg(&self) -> String {
        self.fields(false)
            .iter()
            .map(|f| quote_field(f))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for Mount {
    /// The `--mount` string syntax, including `external=` when set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self
            .fields(true)
            .iter()
            .map(|x| quote_field(x))
            .collect::<Vec<_>>()
            .join(",");
        f.write_str(&s)
    }
}

/// The reference's deliberately naive `parseMount`: split on ',' then '=', keep the
/// second part only, rename `src`→`source`, `dst`/`destination`→`target`; later keys win.
/// Used where exact reference behaviour matters (merging mounts by target).
pub fn reference_parse_mount(s: &str) -> IndexMap<String, Option<String>> {
    let mut m = IndexMap::new();
    for part in s.split(',') {
        let mut kv = part.split('=');
        let key = kv.next().unwrap_or_default();
        let value = kv.next().map(str::to_string);
        let key = match key {
            "src" => "source",
            "destination" | "dst" => "target",
            k => k,
        };
        m.insert(key.to_string(), value);
    }
    m
}

/// The reference's `docker run` rendering of a `mounts` entry (`generateMountCommand`):
/// strings unchanged, objects as `type=…,src=…,dst=…` (no quoting, no `external`).
pub fn reference_mount_arg(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            let as_text = |v: Option<&Value>| match v {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => "undefined".to_string(),
                Some(other) => other.to_string(),
            };
            let mut s = format!("type={},", as_text(o.get("type")));
            if crate::js::truthy_opt(o.get("source")) {
                s.push_str(&format!("src={},", as_text(o.get("source"))));
            }
            s.push_str(&format!("dst={}", as_text(o.get("target"))));
            Some(s)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_basic_string() {
        let m = parse_mount("type=bind,source=/a,target=/b,consistency=cached").unwrap();
        assert_eq!(m.kind, MountType::Bind);
        assert_eq!(m.source.as_deref(), Some("/a"));
        assert_eq!(m.target, "/b");
        assert_eq!(m.consistency.as_deref(), Some("cached"));
        assert_eq!(
            m.to_string(),
            "type=bind,source=/a,target=/b,consistency=cached"
        );
    }

    #[test]
    fn aliases_readonly_external_and_options() {
        let m = parse_mount("src=vol,dst=/data,type=volume,ro,external=true,volume-opt=o=bind")
            .unwrap();
        assert_eq!(m.kind, MountType::Volume);
        assert_eq!(m.source.as_deref(), Some("vol"));
        assert_eq!(m.target, "/data");
        assert!(m.readonly);
        assert_eq!(m.external, Some(true));
        assert_eq!(
            m.options,
            vec![("volume-opt".to_string(), Some("o=bind".to_string()))]
        );
        assert_eq!(
            m.to_string(),
            "type=volume,source=vol,target=/data,readonly,external=true,volume-opt=o=bind"
        );
        assert_eq!(
            m.to_docker_arg(),
            "type=volume,source=vol,target=/data,readonly,volume-opt=o=bind"
        );
        assert!(
            !parse_mount("type=bind,source=/a,destination=/b,readonly=false")
                .unwrap()
                .readonly
        );
    }

    #[test]
    fn quoted_values_with_commas() {
        let m = parse_mount(r#"type=bind,"source=/tmp/a,b","target=/workspaces/a,b""#).unwrap();
        assert_eq!(m.source.as_deref(), Some("/tmp/a,b"));
        assert_eq!(m.target, "/workspaces/a,b");
        // Printed back as the reference quotes workspaceMount.
        assert_eq!(
            m.to_string(),
            r#"type=bind,"source=/tmp/a,b","target=/workspaces/a,b""#
        );
        let m = parse_mount(r#"type=bind,source="/x,y",target=/z"#).unwrap();
        assert_eq!(m.source.as_deref(), Some("/x,y"));
        let m = parse_mount(r#"type=bind,"source=/q""uote",target=/z"#).unwrap();
        assert_eq!(m.source.as_deref(), Some("/q\"uote"));
        assert_eq!(parse_mount(&m.to_string()).unwrap(), m);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = parse_mount("type=bind,source=/a").unwrap_err().to_string();
        assert!(e.contains("mount is missing target="), "{e}");
        let e = parse_mount("type=nfs,source=/a,target=/b")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown mount type 'nfs'"), "{e}");
        let e = parse_mount("type=bind,target=/b").unwrap_err().to_string();
        assert!(e.contains("bind mount is missing source="), "{e}");
        let e = parse_mount("type=bind,\"source=/a,target=/b")
            .unwrap_err()
            .to_string();
        assert!(e.contains("never closed"), "{e}");
        let e = parse_mount("type=volume,target=/b,external=maybe")
            .unwrap_err()
            .to_string();
        assert!(e.contains("external=maybe must be true or false"), "{e}");
    }

    #[test]
    fn anonymous_volume_and_default_type() {
        let m = parse_mount("target=/anon").unwrap();
        assert_eq!(m.kind, MountType::Volume);
        assert_eq!(m.source, None);
        assert_eq!(m.to_string(), "type=volume,target=/anon");
    }

    #[test]
    fn object_form() {
        let m = mount_from_value(
            &json!({"type": "volume", "source": "v", "target": "/t", "external": true}),
        )
        .unwrap();
        assert_eq!(
            m.to_string(),
            "type=volume,source=v,target=/t,external=true"
        );
        let m = mount_from_value(&json!({"type": "volume", "target": "/anon"})).unwrap();
        assert_eq!(m.source, None);
        let e = mount_from_value(&json!({"type": "bind", "source": "/a"}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("mount is missing \\\"target\\\"")
                || e.contains("mount is missing \"target\""),
            "{e}"
        );
        let e = mount_from_value(&json!({"type": "tmp", "target": "/a"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown mount type 'tmp'"), "{e}");
        assert!(mount_from_value(&json!(3)).is_err());
        assert_eq!(
            mount_from_value(&json!("type=bind,src=/a,dst=/b"))
                .unwrap()
                .target,
            "/b"
        );
    }

    #[test]
    fn reference_naive_parse() {
        let m = reference_parse_mount("type=volume,src=a=b,dst=/x,readonly");
        assert_eq!(m.get("source"), Some(&Some("a".to_string())));
        assert_eq!(m.get("target"), Some(&Some("/x".to_string())));
        assert_eq!(m.get("readonly"), Some(&None));
    }

    #[test]
    fn reference_docker_arg() {
        assert_eq!(
            reference_mount_arg(&json!({"type": "volume", "target": "/anon"})).unwrap(),
            "type=volume,dst=/anon"
        );
        assert_eq!(
            reference_mount_arg(&json!({"type": "bind", "source": "/a", "target": "/b"})).unwrap(),
            "type=bind,src=/a,dst=/b"
        );
        assert_eq!(reference_mount_arg(&json!("x")).unwrap(), "x");
    }
}
