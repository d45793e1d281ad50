//! Install order, as the spec's "dependency installation order algorithm"
//! and the reference CLI compute it: rounds of Features whose `dependsOn`
//! (hard) and `installsAfter` (soft) dependencies are installed, keeping only
//! the highest `overrideFeatureInstallOrder` priority per round, sorted in a
//! stable way inside a round. An empty round is a cycle, reported by name.
//! Pure: nodes arrive fetched and de-duplicated (see `resolve`).

use crate::reference::Source;
use crate::FeatureError;
use serde_json::Value;
use std::cmp::Ordering;

/// What the ordering knows about a Feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// As written in devcontainer.json (or in a dependsOn / installsAfter list).
    pub user_id: String,
    pub source: Source,
    /// OCI manifest digest (or tarball sha256) once fetched.
    pub digest: Option<String>,
    /// `[currentId or id, ...legacyIds]` when the metadata is known.
    pub aliases: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub ident: Ident,
    /// The user's value for the Feature (`true`, a string or an options object).
    pub options: Value,
    /// Hard dependencies: indices into the node list.
    pub depends_on: Vec<usize>,
    /// Soft dependencies (satisfied by any node they match).
    pub installs_after: Vec<Ident>,
    /// From overrideFeatureInstallOrder: `n - i` for the i-th entry, 0 if unlisted.
    pub priority: usize,
}

/// Same Feature: same kind of source and `compare` says equal.
pub fn same(a: &Ident, a_opts: &Value, b: &Ident, b_opts: &Value) -> bool {
    a.source.kind() == b.source.kind() && compare(a, a_opts, b, b_opts) == Ordering::Equal
}

/// The reference's `compareTo`: by source, then id (legacy aliases count as
/// equal), tag, options and digest.
pub fn compare(a: &Ident, a_opts: &Value, b: &Ident, b_opts: &Value) -> Ordering {
    match (&a.source, &b.source) {
        (Source::Oci(ra), Source::Oci(rb)) => {
            if a.digest == b.digest && options_cmp(a_opts, b_opts) == Ordering::Equal {
                return Ordering::Equal;
            }
            let (pa, pb) = (format!("{}/{}", ra.registry, ra.namespace), format!("{}/{}", rb.registry, rb.namespace));
            if pa != pb {
                return locale_cmp(&pa, &pb);
            }
            let ids = |i: &Ident, id: &str| if i.aliases.is_empty() { vec![id.to_string()] } else { i.aliases.clone() };
            let (ia, ib) = (ids(a, &ra.id), ids(b, &rb.id));
            if !ia.iter().any(|x| ib.contains(x)) {
                return locale_cmp(&ra.id, &rb.id);
            }
            if let (Some(ta), Some(tb)) = (&ra.tag, &rb.tag) {
                if ta != tb {
                    return locale_cmp(ta, tb);
                }
            }
            options_cmp(a_opts, b_opts).then_with(|| match (&a.digest, &b.digest) {
                (Some(da), Some(db)) => locale_cmp(da, db),
                (da, db) => da.cmp(db),
            })
        }
        (Source::Local { path: pa }, Source::Local { path: pb }) => {
            locale_cmp(&pa.to_string_lossy(), &pb.to_string_lossy()).then_with(|| options_cmp(a_opts, b_opts))
        }
        (Source::Tarball { url: ua }, Source::Tarball { url: ub }) => locale_cmp(ua, ub).then_with(|| options_cmp(a_opts, b_opts)),
        _ => locale_cmp(&a.user_id, &b.user_id),
    }
}

/// Whether `node` satisfies the soft dependency `soft` (same resource, path or
/// URL; for OCI also a legacy id of `soft`).
pub fn satisfies_soft(node: &Ident, soft: &Ident) -> bool {
    match (&node.source, &soft.source) {
        (Source::Oci(n), Source::Oci(s)) => {
            n.resource() == s.resource()
                || soft.aliases.iter().any(|alias| format!("{}/{}/{alias}", s.registry, s.namespace) == n.resource())
        }
        (Source::Local { path: a }, Source::Local { path: b }) => a == b,
        (Source::Tarball { url: a }, Source::Tarball { url: b }) => a == b,
        _ => false,
    }
}

/// Raises the priority of the nodes each override entry matches: the first of
/// `n` entries gets `n`, the last `1`.
pub fn apply_overrides(nodes: &mut [Node], overrides: &[Ident]) {
    let n = overrides.len();
    for (i, o) in overrides.iter().enumerate() {
        for node in nodes.iter_mut() {
            if satisfies_soft(&node.ident, o) {
                node.priority = node.priority.max(n - i);
            }
        }
    }
}

/// The install order as indices into `nodes`.
pub fn install_order(nodes: &[Node]) -> Result<Vec<usize>, FeatureError> {
    // Soft dependencies nothing in the list satisfies do not constrain anything.
    let soft: Vec<Vec<&Ident>> = nodes
        .iter()
        .map(|n| n.installs_after.iter().filter(|s| nodes.iter().any(|m| satisfies_soft(&m.ident, s))).collect())
        .collect();
    let mut installed: Vec<usize> = Vec::new();
    let mut remaining: Vec<usize> = (0..nodes.len()).collect();
    while !remaining.is_empty() {
        let mut round: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|&i| {
                nodes[i].depends_on.iter().all(|d| installed.contains(d))
                    && soft[i].iter().all(|s| installed.iter().any(|&j| satisfies_soft(&nodes[j].ident, s)))
            })
            .collect();
        if round.is_empty() {
            return Err(FeatureError::Cycle { cycle: find_cycle(nodes, &soft, &remaining) });
        }
        let top = round.iter().map(|&i| nodes[i].priority).max().unwrap_or(0);
        round.retain(|&i| nodes[i].priority == top);
        round.sort_by(|&a, &b| compare(&nodes[a].ident, &nodes[a].options, &nodes[b].ident, &nodes[b].options));
        remaining.retain(|i| !round.contains(i));
        installed.extend(round);
    }
    Ok(installed)
}

/// A cycle among `remaining` (by user id, first node repeated at the end).
fn find_cycle(nodes: &[Node], soft: &[Vec<&Ident>], remaining: &[usize]) -> Vec<String> {
    let edges = |i: usize| -> Vec<usize> {
        let mut out: Vec<usize> = nodes[i].depends_on.iter().copied().filter(|d| remaining.contains(d)).collect();
        for s in &soft[i] {
            out.extend(remaining.iter().copied().filter(|&j| satisfies_soft(&nodes[j].ident, s)));
        }
        out
    };
    // Walk from each remaining node; every remaining node has an edge to
    // another remaining one (else it would have been installable), so a walk
    // must revisit a node.
    for &start in remaining {
        let mut path = vec![start];
        let mut current = start;
        while let Some(&next) = edges(current).first() {
            if let Some(pos) = path.iter().position(|&p| p == next) {
                let mut cycle: Vec<String> = path[pos..].iter().map(|&p| nodes[p].ident.user_id.clone()).collect();
                cycle.push(nodes[next].ident.user_id.clone());
                return cycle;
            }
            path.push(next);
            current = next;
        }
    }
    remaining.iter().map(|&i| nodes[i].ident.user_id.clone()).collect()
}

/// The reference's `optionsCompareTo`.
pub fn options_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => locale_cmp(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return x.len().cmp(&y.len());
            }
            let mut kx: Vec<&String> = x.keys().collect();
            let mut ky: Vec<&String> = y.keys().collect();
            kx.sort();
            ky.sort();
            for (ka, kb) in kx.iter().zip(ky.iter()) {
                if ka != kb {
                    return locale_cmp(ka, kb);
                }
                let o = match (&x[ka.as_str()], &y[kb.as_str()]) {
                    (Value::String(va), Value::String(vb)) => locale_cmp(va, vb),
                    (Value::Bool(va), Value::Bool(vb)) => va.cmp(vb),
                    _ => Ordering::Equal,
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        }
        _ => js_type(a).cmp(js_type(b)),
    }
}

fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        _ => "object",
    }
}

/// An approximation of JavaScript's `localeCompare` (ICU root collation) for
/// the ASCII text Feature ids are made of: punctuation before digits before
/// letters, letters compared without case first, lowercase before uppercase.
pub fn locale_cmp(a: &str, b: &str) -> Ordering {
    const PUNCT: &str = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
    let key = |c: char| -> (u8, u32) {
        if let Some(p) = PUNCT.find(c) {
            (0, p as u32)
        } else if c.is_ascii_digit() {
            (1, c as u32)
        } else if c.is_alphabetic() {
            (2, c.to_lowercase().next().unwrap_or(c) as u32)
        } else {
            (3, c as u32)
        }
    };
    let primary = a.chars().map(key).cmp(b.chars().map(key));
    if primary != Ordering::Equal {
        return primary;
    }
    // Same letters: lowercase sorts first.
    let case = |c: char| if c.is_uppercase() { 1u8 } else { 0 };
    a.chars().map(case).cmp(b.chars().map(case)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{parse_oci, Source};
    use serde_json::json;

    fn local(name: &str) -> Ident {
        Ident {
            user_id: format!("./{name}"),
            source: Source::Local { path: format!("/ws/.devcontainer/{name}").into() },
            digest: None,
            aliases: vec![name.to_string()],
        }
    }

    fn oci(r: &str, digest: &str) -> Ident {
        let parsed = parse_oci(r).unwrap();
        Ident { user_id: r.into(), aliases: vec![parsed.id.clone()], source: Source::Oci(parsed), digest: Some(digest.into()) }
    }

    fn node(ident: Ident) -> Node {
        Node { ident, options: json!({}), depends_on: vec![], installs_after: vec![], priority: 0 }
    }

    fn names(nodes: &[Node], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| nodes[i].ident.user_id.clone()).collect()
    }

    #[test]
    fn independent_features_sort_by_id() {
        let nodes = vec![node(local("c")), node(local("a")), node(local("b"))];
        let order = install_order(&nodes).unwrap();
        assert_eq!(names(&nodes, &order), vec!["./a", "./b", "./c"]);
    }

    #[test]
    fn depends_on_comes_first_then_rounds() {
        // a dependsOn c; b independent: round 1 = {b, c}, round 2 = {a}.
        let mut nodes = vec![node(local("a")), node(local("b")), node(local("c"))];
        nodes[0].depends_on = vec![2];
        let order = install_order(&nodes).unwrap();
        assert_eq!(names(&nodes, &order), vec!["./b", "./c", "./a"]);
    }

    #[test]
    fn installs_after_is_soft() {
        // a installsAfter b (present) and z (absent, ignored).
        let mut nodes = vec![node(local("a")), node(local("b"))];
        nodes[0].installs_after = vec![local("b"), local("z")];
        let order = install_order(&nodes).unwrap();
        assert_eq!(names(&nodes, &order), vec!["./b", "./a"]);
    }

    #[test]
    fn override_priority_wins_within_what_dependencies_allow() {
        // Without overrides: a, b, c. Override [c, b]: c (2) first, then b (1), then a.
        let mut nodes = vec![node(local("a")), node(local("b")), node(local("c"))];
        apply_overrides(&mut nodes, &[local("c"), local("b")]);
        let order = install_order(&nodes).unwrap();
        assert_eq!(names(&nodes, &order), vec!["./c", "./b", "./a"]);
        // Priority only picks among what is installable: c dependsOn a, so the
        // first round is {a, b} (both priority 0) and c comes last.
        let mut nodes = vec![node(local("a")), node(local("b")), node(local("c"))];
        nodes[2].depends_on = vec![0];
        apply_overrides(&mut nodes, &[local("c")]);
        let order = install_order(&nodes).unwrap();
        assert_eq!(names(&nodes, &order), vec!["./a", "./b", "./c"]);
    }

    #[test]
    fn cycles_are_named() {
        let mut nodes = vec![node(local("a")), node(local("b")), node(local("c"))];
        nodes[0].depends_on = vec![1];
        nodes[1].installs_after = vec![local("a")];
        let err = install_order(&nodes).unwrap_err();
        let FeatureError::Cycle { cycle } = &err else { panic!("{err}") };
        assert_eq!(cycle, &vec!["./a".to_string(), "./b".into(), "./a".into()]);
        assert!(err.to_string().contains("Circular dependency detected: ./a → ./b → ./a"), "{err}");
        // c was installable and is not part of the cycle.
        assert!(!cycle.contains(&"./c".to_string()));
    }

    #[test]
    fn oci_identity_uses_digest_options_and_legacy_ids() {
        let a = oci("ghcr.io/x/f/node:1", "sha256:1");
        let b = oci("ghcr.io/x/f/node:1.2", "sha256:1");
        assert!(same(&a, &json!({}), &b, &json!({})), "same digest and options");
        assert!(!same(&a, &json!({"v": "1"}), &b, &json!({})), "different options");
        let mut renamed = oci("ghcr.io/x/f/nodejs:1", "sha256:2");
        renamed.aliases = vec!["node".into(), "nodejs".into()];
        // installsAfter "nodejs" (old name) is satisfied by "node" through its legacy ids.
        assert!(satisfies_soft(&a, &renamed));
        assert!(!satisfies_soft(&a, &oci("ghcr.io/x/f/python:1", "sha256:3")));
        assert_eq!(compare(&a, &json!({}), &oci("ghcr.io/x/f/go:1", "sha256:4"), &json!({})), Ordering::Greater);
    }

    #[test]
    fn locale_compare_approximates_icu() {
        assert_eq!(locale_cmp("a", "B"), Ordering::Less);
        assert_eq!(locale_cmp("a", "A"), Ordering::Less);
        assert_eq!(locale_cmp("node-x", "node"), Ordering::Greater);
        assert_eq!(locale_cmp("a_b", "a-b"), Ordering::Less);
        assert_eq!(locale_cmp("1", "a"), Ordering::Less);
        assert_eq!(locale_cmp("-", "1"), Ordering::Less);
    }
}
