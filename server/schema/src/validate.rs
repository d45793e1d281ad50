//! Validates a JSONC tree against a compiled schema. Follows the evaluation
//! model of VS Code's JSON language service (best-matching oneOf/anyOf branch,
//! evaluated-property tracking for `unevaluatedProperties`), so findings land at
//! the same positions, but words its own messages for humans.
//!
//! Performance: oneOf/anyOf evaluate the same value against several branches and
//! keep only the best one, so most findings made along the way are thrown away.
//! Findings are therefore recorded as [`Pending`] (span, code, a reference to the
//! path and what to say) and only turned into a [`Problem`] with its message and
//! path once they survive to the end. Property paths live in an arena (a parent
//! pointer per step), the properties an object's evaluation has covered are a
//! bitset over the object's distinct keys, and enum comparisons look at the tree
//! directly instead of converting it to a `serde_json::Value`.

use crate::compile::{Additional, SchemaId, SchemaNode};
use crate::{Problem, ProblemCode, Schema, Severity};
use devc_jsonc::{path_to_string, Node, NodeKind, PathSegment, Property, Span};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Index of a step in [`Validator::paths`]; [`ROOT`] is the empty path.
type PathId = u32;
const ROOT: PathId = u32::MAX;

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Accepted values of one or more `enum`/`const` keywords, by reference.
#[derive(Clone)]
enum EnumList<'a> {
    One(&'a [Value]),
    Many(Vec<&'a [Value]>),
}

impl<'a> EnumList<'a> {
    fn len(&self) -> usize {
        match self {
            EnumList::One(v) => v.len(),
            EnumList::Many(vs) => vs.iter().map(|v| v.len()).sum(),
        }
    }

    fn extend(&mut self, other: EnumList<'a>) {
        let mut parts = match std::mem::replace(self, EnumList::Many(Vec::new())) {
            EnumList::One(v) => vec![v],
            EnumList::Many(vs) => vs,
        };
        match other {
            EnumList::One(v) => parts.push(v),
            EnumList::Many(vs) => parts.extend(vs),
        }
        *self = EnumList::Many(parts);
    }

    fn iter(&self) -> impl Iterator<Item = &'a Value> + '_ {
        let parts: &[&'a [Value]] = match self {
            EnumList::One(v) => std::slice::from_ref(v),
            EnumList::Many(vs) => vs,
        };
        parts.iter().flat_map(|v| v.iter())
    }
}

/// What a finding says; rendered only for findings that are reported.
#[derive(Clone)]
enum Msg<'a> {
    /// The boolean schema `false`.
    NoValue,
    Type { types: &'a [String], found: &'static str },
    /// `node` is not one of `values`; the prefix is the path `at`.
    Enum { node: &'a Node, values: EnumList<'a>, at: PathId },
    Const(&'a Value),
    Deprecated(Option<&'a str>),
    Custom(&'a str),
    MultipleMatches,
    Missing(&'a str),
    NotAllowed { prop: &'a Property, schema: &'a SchemaNode },
    DuplicateItems,
    MinLength(usize),
    Pattern { value: &'a str, src: &'a str },
    Minimum(f64),
    Maximum(f64),
}

/// A finding whose message and path are not rendered yet.
#[derive(Clone)]
struct Pending<'a> {
    span: Span,
    severity: Severity,
    code: ProblemCode,
    path: PathId,
    msg: Msg<'a>,
}

/// A set of small integers (an object's key slots).
#[derive(Default, Clone)]
struct Bits {
    low: u64,
    high: Vec<u64>,
}

impl Bits {
    /// The set `0..n`.
    fn all(n: usize) -> Bits {
        let mut b = Bits::default();
        if n >= 64 {
            b.low = u64::MAX;
            let rest = n - 64;
            b.high = vec![u64::MAX; rest / 64];
            if rest % 64 != 0 {
                b.high.push((1u64 << (rest % 64)) - 1);
            }
        } else if n > 0 {
            b.low = (1u64 << n) - 1;
        }
        b
    }

    fn insert(&mut self, i: usize) {
        if i < 64 {
            self.low |= 1 << i;
        } else {
            let w = (i - 64) / 64;
            if self.high.len() <= w {
                self.high.resize(w + 1, 0);
            }
            self.high[w] |= 1 << ((i - 64) % 64);
        }
    }

    fn remove(&mut self, i: usize) {
        if i < 64 {
            self.low &= !(1 << i);
        } else if let Some(w) = self.high.get_mut((i - 64) / 64) {
            *w &= !(1 << ((i - 64) % 64));
        }
    }

    fn contains(&self, i: usize) -> bool {
        if i < 64 {
            self.low & (1 << i) != 0
        } else {
            self.high.get((i - 64) / 64).is_some_and(|w| w & (1 << ((i - 64) % 64)) != 0)
        }
    }

    fn union(&mut self, other: &Bits) {
        self.low |= other.low;
        if self.high.len() < other.high.len() {
            self.high.resize(other.high.len(), 0);
        }
        for (a, b) in self.high.iter_mut().zip(&other.high) {
            *a |= b;
        }
    }

    fn is_empty(&self) -> bool {
        self.low == 0 && self.high.iter().all(|w| *w == 0)
    }

    /// Members in increasing order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.low).chain(self.high.iter().copied()).enumerate().flat_map(|(w, mut word)| {
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(w * 64 + bit)
            })
        })
    }
}

/// What validating one value against one schema found. Its problems are not
/// stored here but in [`Validator::problems`]: every outcome being built owns
/// the tail of that arena from `start` on (outcomes nest like the calls that
/// build them), so merging a finished outcome into its parent moves nothing
/// and dropping a losing oneOf/anyOf branch is a truncation.
struct Outcome<'a> {
    start: usize,
    properties_matches: u32,
    properties_value_matches: u32,
    primary_value_matches: u32,
    enum_value_match: bool,
    enum_values: Option<EnumList<'a>>,
    /// Key slots (see [`Obj`]) of the object being validated that some schema
    /// has evaluated. Only objects have slots; for other values it stays empty
    /// (nothing reads it for them).
    processed: Bits,
}

impl<'a> Outcome<'a> {
    fn new(start: usize) -> Outcome<'a> {
        Outcome {
            start,
            properties_matches: 0,
            properties_value_matches: 0,
            primary_value_matches: 0,
            enum_value_match: false,
            enum_values: None,
            processed: Bits::default(),
        }
    }

    /// Merges a finished outcome for the same value (its problems already follow ours).
    fn merge(&mut self, other: &Outcome<'a>) {
        self.properties_matches += other.properties_matches;
        self.properties_value_matches += other.properties_value_matches;
        self.processed.union(&other.processed);
    }

    /// Counts a finished outcome for a property value or array item (its
    /// `other_problems` problems already follow ours).
    fn merge_property_match(&mut self, other: &MatchSummary) {
        self.properties_matches += 1;
        if other.enum_value_match || (!other.has_problems && other.has_properties_matches) {
            self.properties_value_matches += 1;
        }
        if other.enum_value_match && other.single_enum_value {
            self.primary_value_matches += 1;
        }
    }

    fn summary(&self, problems: usize) -> MatchSummary {
        MatchSummary {
            has_problems: problems > 0,
            has_properties_matches: self.properties_matches > 0,
            enum_value_match: self.enum_value_match,
            single_enum_value: self.enum_values.as_ref().is_some_and(|v| v.len() == 1),
        }
    }

    /// Positive when `self` (with `problems` problems) is the better match.
    fn compare(&self, problems: usize, other: &Outcome, other_problems: usize) -> i64 {
        if (problems > 0) != (other_problems > 0) {
            return if problems > 0 { -1 } else { 1 };
        }
        if self.enum_value_match != other.enum_value_match {
            return if other.enum_value_match { -1 } else { 1 };
        }
        if self.primary_value_matches != other.primary_value_matches {
            return self.primary_value_matches as i64 - other.primary_value_matches as i64;
        }
        if self.properties_value_matches != other.properties_value_matches {
            return self.properties_value_matches as i64 - other.properties_value_matches as i64;
        }
        self.properties_matches as i64 - other.properties_matches as i64
    }
}

/// What a parent needs from a property value's or item's outcome.
#[derive(Clone, Copy)]
struct MatchSummary {
    has_problems: bool,
    has_properties_matches: bool,
    enum_value_match: bool,
    single_enum_value: bool,
}

/// A property value's outcome, remembered for the same value and an equivalent
/// schema (see [`Aux::canon`]).
struct Memo<'a> {
    problems: Vec<Pending<'a>>,
    summary: MatchSummary,
}

/// FxHash (rustc's hasher): fast for the short keys of a config; the maps it is
/// used for live for one validation only.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= 8 {
            self.add(u64::from_le_bytes(bytes[..8].try_into().unwrap()));
            bytes = &bytes[8..];
        }
        if bytes.len() >= 4 {
            self.add(u32::from_le_bytes(bytes[..4].try_into().unwrap()) as u64);
            bytes = &bytes[4..];
        }
        for &b in bytes {
            self.add(b as u64);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Objects with more keys than this get a hash index of their keys.
const INDEX_KEYS_ABOVE: usize = 8;
const NONE: u32 = u32::MAX;

/// An object's distinct keys ("slots", in order of first occurrence) and, per
/// slot, the property whose value counts (the last one with a value, as
/// `JSON.parse` keeps the last duplicate): `len` entries of
/// [`Validator::slot_keys`] and [`Validator::slot_last`] from `start`, and for
/// large objects a key index in [`Validator::slot_maps`].
#[derive(Clone, Copy)]
struct Obj {
    start: u32,
    len: u32,
    map: u32,
}

/// Facts about a compiled schema's nodes that the validator uses to share work.
#[derive(Default)]
pub(crate) struct Aux {
    /// Per node, the first node that validates exactly alike (the same keywords
    /// and values, children alike): `$ref`s are expanded at each use, so the
    /// same definition appears several times (the common properties, once per
    /// top-level branch).
    canon: Vec<u32>,
    /// Per node, an id of its `pattern`'s source text (equal text, equal id).
    pattern: Vec<u32>,
    /// Per node, ids of its `patternProperties` patterns.
    pattern_props: Vec<Vec<u32>>,
}

impl Aux {
    pub(crate) fn new(nodes: &[SchemaNode]) -> Aux {
        use std::fmt::Write;
        let mut patterns: HashMap<String, u32> = HashMap::new();
        let mut pattern_id = |src: &str| {
            let next = patterns.len() as u32;
            *patterns.entry(src.to_string()).or_insert(next)
        };
        let mut aux = Aux {
            canon: vec![NONE; nodes.len()],
            pattern: vec![NONE; nodes.len()],
            pattern_props: vec![Vec::new(); nodes.len()],
        };
        for (id, n) in nodes.iter().enumerate() {
            if let Some((src, _)) = &n.pattern {
                aux.pattern[id] = pattern_id(src.as_str());
            }
            aux.pattern_props[id] = n.pattern_properties.iter().map(|(re, _)| pattern_id(re.as_str())).collect();
        }
        // Children are compiled after their parent, so they have larger ids.
        let mut seen: HashMap<String, u32> = HashMap::new();
        let children_first = (0..nodes.len()).rev();
        let ok = nodes.iter().enumerate().all(|(id, n)| {
            let kids = n.properties.iter().map(|(_, c)| *c).chain(n.pattern_properties.iter().map(|(_, c)| *c));
            let kids = kids.chain(n.items).chain(n.all_of.iter().copied()).chain(n.any_of.iter().copied());
            let kids = kids.chain(n.one_of.iter().copied()).chain(match n.additional {
                Some(Additional::Schema(c)) => Some(c),
                _ => None,
            });
            kids.into_iter().all(|c| c > id && c < nodes.len())
        });
        if !ok {
            // Not laid out as the compiler does: share nothing.
            aux.canon = (0..nodes.len() as u32).collect();
            return aux;
        }
        for id in children_first {
            let n = &nodes[id];
            let c = |sid: SchemaId| aux.canon[sid];
            let mut key = String::new();
            let json = |v: &Value| serde_json::to_string(v).unwrap_or_default();
            let _ = write!(
                key,
                "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|",
                n.boolean,
                n.types,
                n.enum_values.as_ref().map(|v| v.iter().map(json).collect::<Vec<_>>()),
                n.const_value.as_ref().map(json),
                n.pattern.as_ref().map(|(src, _)| src),
                n.minimum.map(f64::to_bits),
                n.maximum.map(f64::to_bits),
                n.min_length,
            );
            let props: Vec<(&str, u32)> = n.properties.iter().map(|(k, sid)| (k.as_str(), c(*sid))).collect();
            let pats: Vec<(&str, u32)> = n.pattern_properties.iter().map(|(re, sid)| (re.as_str(), c(*sid))).collect();
            let additional = match &n.additional {
                None => "none".to_string(),
                Some(Additional::Allowed) => "allowed".to_string(),
                Some(Additional::Forbidden) => "forbidden".to_string(),
                Some(Additional::Schema(sid)) => format!("schema {}", c(*sid)),
            };
            let subs = |ids: &[SchemaId]| ids.iter().map(|&i| c(i)).collect::<Vec<_>>();
            let _ = write!(
                key,
                "{props:?}|{pats:?}|{additional}|{}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
                n.unevaluated_forbidden,
                n.required,
                n.items.map(c),
                n.unique_items,
                subs(&n.all_of),
                subs(&n.any_of),
                subs(&n.one_of),
                n.deprecated,
                n.deprecation_message,
                n.error_message,
            );
            aux.canon[id] = *seen.entry(key).or_insert(id as u32);
        }
        aux
    }

    /// Usable for `nodes` (the schema's nodes were not replaced since compile).
    fn fits(&self, nodes: &[SchemaNode]) -> bool {
        self.canon.len() == nodes.len()
    }
}

pub(crate) struct Validator<'a> {
    schema: &'a Schema,
    aux: Option<&'a Aux>,
    /// Path steps: (parent, segment).
    paths: Vec<(PathId, Seg<'a>)>,
    /// Findings of the outcomes being built (see [`Outcome`]).
    problems: Vec<Pending<'a>>,
    /// Key slots of the objects validated so far, by node address.
    objects: FxMap<*const Node, Obj>,
    slot_keys: Vec<&'a str>,
    slot_last: Vec<Option<&'a Property>>,
    slot_maps: Vec<FxMap<&'a str, u32>>,
    /// `is_match` results by (pattern id, string address and length).
    matches: FxMap<(u32, usize, usize), bool>,
    /// Property value outcomes by (value address, canonical schema id).
    memo: FxMap<(usize, u32), Memo<'a>>,
}

impl<'a> Validator<'a> {
    pub fn new(schema: &'a Schema) -> Validator<'a> {
        let aux = Some(&schema.aux).filter(|aux| aux.fits(&schema.nodes));
        Validator {
            schema,
            aux,
            paths: Vec::with_capacity(64),
            problems: Vec::new(),
            objects: FxMap::default(),
            slot_keys: Vec::new(),
            slot_last: Vec::new(),
            slot_maps: Vec::new(),
            matches: FxMap::default(),
            memo: FxMap::default(),
        }
    }

    pub fn run(mut self, root: &'a Node) -> Vec<Problem> {
        let mut out = Outcome::new(0);
        self.validate(root, None, self.schema.root, ROOT, &mut out);
        let mut problems: Vec<Problem> = self.problems.iter().map(|p| self.render(p)).collect();
        problems.sort_by_key(|p| p.span.start);
        problems.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        problems
    }

    fn node(&self, id: SchemaId) -> &'a SchemaNode {
        &self.schema.nodes[id]
    }

    fn child_path(&mut self, parent: PathId, seg: Seg<'a>) -> PathId {
        self.paths.push((parent, seg));
        (self.paths.len() - 1) as PathId
    }

    fn path_segments(&self, mut id: PathId) -> Vec<PathSegment> {
        let mut segs = Vec::new();
        while id != ROOT {
            let (parent, seg) = self.paths[id as usize];
            segs.push(match seg {
                Seg::Key(k) => PathSegment::Key(k.to_string()),
                Seg::Index(i) => PathSegment::Index(i),
            });
            id = parent;
        }
        segs.reverse();
        segs
    }

    fn push(&mut self, p: Pending<'a>) {
        self.problems.push(p);
    }

    /// Problems of `out`, which owns the tail of the arena.
    fn count(&self, out: &Outcome) -> usize {
        self.problems.len() - out.start
    }

    fn is_match(&mut self, pattern: u32, re: &regex::Regex, value: &str) -> bool {
        if pattern == NONE {
            return re.is_match(value);
        }
        let key = (pattern, value.as_ptr() as usize, value.len());
        if let Some(&m) = self.matches.get(&key) {
            return m;
        }
        let m = re.is_match(value);
        self.matches.insert(key, m);
        m
    }

    /// The key slots of `node`, an object with `props`.
    fn obj(&mut self, node: &'a Node, props: &'a [Property]) -> Obj {
        if let Some(o) = self.objects.get(&(node as *const Node)) {
            return *o;
        }
        let start = self.slot_keys.len();
        let mut map = NONE;
        if props.len() > INDEX_KEYS_ABOVE {
            let mut index: FxMap<&'a str, u32> = FxMap::default();
            index.reserve(props.len());
            for p in props {
                let key = p.key.value.as_str();
                let slot = *index.entry(key).or_insert_with(|| {
                    self.slot_keys.push(key);
                    self.slot_last.push(None);
                    (self.slot_keys.len() - 1 - start) as u32
                });
                if p.value.is_some() {
                    self.slot_last[start + slot as usize] = Some(p);
                }
            }
            map = self.slot_maps.len() as u32;
            self.slot_maps.push(index);
        } else {
            for p in props {
                let key = p.key.value.as_str();
                let slot = match self.slot_keys[start..].iter().position(|k| *k == key) {
                    Some(slot) => slot,
                    None => {
                        self.slot_keys.push(key);
                        self.slot_last.push(None);
                        self.slot_keys.len() - 1 - start
                    }
                };
                if p.value.is_some() {
                    self.slot_last[start + slot] = Some(p);
                }
            }
        }
        let o = Obj { start: start as u32, len: (self.slot_keys.len() - start) as u32, map };
        self.objects.insert(node as *const Node, o);
        o
    }

    fn slot(&self, o: Obj, key: &str) -> Option<usize> {
        if o.map != NONE {
            self.slot_maps[o.map as usize].get(key).map(|&s| s as usize)
        } else {
            let keys = &self.slot_keys[o.start as usize..(o.start + o.len) as usize];
            keys.iter().position(|k| *k == key)
        }
    }

    fn last(&self, o: Obj, slot: usize) -> Option<&'a Property> {
        self.slot_last[o.start as usize + slot]
    }

    /// `parent` is the property whose value `node` is, if any (for key positions).
    fn validate(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        id: SchemaId,
        path: PathId,
        out: &mut Outcome<'a>,
    ) {
        let s = self.node(id);
        if let Some(msg) = &s.error_message {
            // Our extension: one human message replaces whatever failed inside.
            let mut sub = Outcome::new(self.problems.len());
            self.validate_inner(node, parent, s, path, &mut sub);
            // Only when the value itself is wrong: a failure inside it (a bad field of
            // an object) is more precise than the summary message.
            let errors = self.problems[sub.start..].iter().filter(|p| p.severity == Severity::Error);
            let mut any = false;
            let mut all_here = true;
            for p in errors {
                any = true;
                all_here &= p.span == node.span || p.span == (node.span.start..node.span.start + 1);
            }
            if any && all_here {
                // Keep the deprecation warnings (in order), then the message.
                let mut kept = sub.start;
                for i in sub.start..self.problems.len() {
                    if self.problems[i].code == ProblemCode::Deprecated {
                        self.problems.swap(kept, i);
                        kept += 1;
                    }
                }
                self.problems.truncate(kept);
                self.push(Pending {
                    span: node.span.clone(),
                    severity: Severity::Error,
                    code: ProblemCode::Custom,
                    path,
                    msg: Msg::Custom(msg),
                });
            }
            out.properties_matches += sub.properties_matches;
            out.properties_value_matches += sub.properties_value_matches;
            out.primary_value_matches += sub.primary_value_matches;
            out.enum_value_match = sub.enum_value_match;
            out.enum_values = sub.enum_values;
            out.processed.union(&sub.processed);
            return;
        }
        self.validate_inner(node, parent, s, path, out);
    }

    fn validate_inner(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        s: &'a SchemaNode,
        path: PathId,
        out: &mut Outcome<'a>,
    ) {
        if let Some(b) = s.boolean {
            if !b {
                self.push(error(node.span.clone(), path, ProblemCode::NotAllowed, Msg::NoValue));
            }
            return;
        }
        self.validate_generic(node, parent, s, path, out);
        match &node.kind {
            NodeKind::Object(props) => self.validate_object(node, parent, props, s, path, out),
            NodeKind::Array(items) => self.validate_array(node, items, s, path, out),
            NodeKind::String(value) => self.validate_string(node, value, s, path),
            NodeKind::Number { value, .. } => self.validate_number(node, *value, s, path),
            _ => {}
        }
    }

    fn validate_generic(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        s: &'a SchemaNode,
        path: PathId,
        out: &mut Outcome<'a>,
    ) {
        if !s.types.is_empty() && !s.types.iter().any(|t| matches_type(node, t)) {
            let msg = Msg::Type { types: &s.types, found: node.type_name() };
            self.push(error(node.span.clone(), path, ProblemCode::Type, msg));
        }
        for &sub in &s.all_of {
            let mut r = Outcome::new(self.problems.len());
            self.validate(node, parent, sub, path, &mut r);
            out.merge(&r);
        }
        if !s.any_of.is_empty() {
            self.alternatives(node, parent, &s.any_of, false, path, out);
        }
        if !s.one_of.is_empty() {
            self.alternatives(node, parent, &s.one_of, true, path, out);
        }
        if let Some(values) = &s.enum_values {
            let matched = values.iter().any(|e| node_equals(node, e));
            out.enum_values = Some(EnumList::One(values));
            out.enum_value_match = matched;
            if !matched {
                let msg = Msg::Enum { node, values: EnumList::One(values), at: path };
                self.push(error(node.span.clone(), path, ProblemCode::Enum, msg));
            }
        }
        if let Some(c) = &s.const_value {
            let equal = node_equals(node, c);
            out.enum_value_match = equal;
            out.enum_values = Some(EnumList::One(std::slice::from_ref(c)));
            if !equal {
                self.push(error(node.span.clone(), path, ProblemCode::Enum, Msg::Const(c)));
            }
        }
        if s.deprecated || s.deprecation_message.is_some() {
            let span = parent.map_or(node.span.clone(), |p| p.span.clone());
            self.push(Pending {
                span,
                severity: Severity::Warning,
                code: ProblemCode::Deprecated,
                path,
                msg: Msg::Deprecated(s.deprecation_message.as_deref()),
            });
        }
    }

    fn alternatives(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        alts: &'a [SchemaId],
        one_of: bool,
        path: PathId,
        out: &mut Outcome<'a>,
    ) {
        let mut matches = 0;
        // The best outcome so far and its number of problems; its problems are
        // the arena from `best.start`, followed by those of the branch being tried.
        let mut best: Option<(Outcome<'a>, usize)> = None;
        for &alt in alts {
            let mut r = Outcome::new(self.problems.len());
            self.validate(node, parent, alt, path, &mut r);
            let r_count = self.count(&r);
            if r_count == 0 {
                matches += 1;
            }
            best = Some(match best {
                None => (r, r_count),
                Some((mut b, b_count)) => {
                    if !one_of && r_count == 0 && b_count == 0 {
                        b.properties_matches += r.properties_matches;
                        b.properties_value_matches += r.properties_value_matches;
                        b.processed.union(&r.processed);
                        (b, b_count)
                    } else {
                        let c = r.compare(r_count, &b, b_count);
                        if c > 0 {
                            self.problems.drain(b.start..r.start);
                            r.start = b.start;
                            (r, r_count)
                        } else {
                            if c == 0 && !b.enum_value_match && !r.enum_value_match {
                                if let (Some(bv), Some(rv)) = (&mut b.enum_values, r.enum_values) {
                                    bv.extend(rv);
                                }
                            }
                            self.problems.truncate(r.start);
                            (b, b_count)
                        }
                    }
                }
            });
        }
        if let Some((b, _)) = best {
            // Several enum branches failed: list every accepted value in one message.
            if !b.enum_value_match {
                if let Some(values) = &b.enum_values {
                    for p in &mut self.problems[b.start..] {
                        if p.code == ProblemCode::Enum && p.span == node.span {
                            p.msg = Msg::Enum { node, values: values.clone(), at: path };
                        }
                    }
                }
            }
            if matches > 1 && one_of {
                // Reported before the best branch's own findings.
                let p = error(node.span.start..node.span.start + 1, path, ProblemCode::MultipleMatches, Msg::MultipleMatches);
                self.problems.insert(b.start, p);
            }
            out.merge(&b);
        }
    }

    fn validate_object(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        props: &'a [Property],
        s: &'a SchemaNode,
        path: PathId,
        out: &mut Outcome<'a>,
    ) {
        if s.required.is_empty()
            && s.properties.is_empty()
            && s.pattern_properties.is_empty()
            && s.additional.is_none()
            && !s.unevaluated_forbidden
        {
            return; // nothing below looks at the properties
        }
        let o = self.obj(node, props);
        // Distinct keys not yet claimed by this schema's keywords.
        let mut unprocessed = Bits::all(o.len as usize);
        for req in &s.required {
            if self.slot(o, req).is_none() {
                let span = parent.map_or(node.span.start..node.span.start + 1, |p| p.key.span.clone());
                self.push(error(span, path, ProblemCode::Missing, Msg::Missing(req)));
            }
        }
        for (name, sid) in &s.properties {
            if let Some(slot) = self.slot(o, name) {
                unprocessed.remove(slot);
                out.processed.insert(slot);
                if let Some(p) = self.last(o, slot) {
                    self.validate_property(p, *sid, path, out);
                }
            }
        }
        for (i, (re, sid)) in s.pattern_properties.iter().enumerate() {
            let pattern = self.aux.map_or(NONE, |aux| aux.pattern_props[self.id_of(s)][i]);
            let mut done = Bits::default();
            for slot in unprocessed.iter() {
                let key = self.slot_keys[o.start as usize + slot];
                if self.is_match(pattern, re, key) {
                    done.insert(slot);
                    if let Some(p) = self.last(o, slot) {
                        self.validate_property(p, *sid, path, out);
                    }
                }
            }
            for slot in done.iter() {
                unprocessed.remove(slot);
            }
            out.processed.union(&done);
        }
        if let Some(add) = &s.additional {
            for slot in std::mem::take(&mut unprocessed).iter() {
                out.processed.insert(slot);
                let Some(p) = self.last(o, slot) else { continue };
                match add {
                    Additional::Allowed => {}
                    Additional::Forbidden => self.push(not_allowed(p, s, path)),
                    Additional::Schema(sid) => self.validate_property(p, *sid, path, out),
                }
            }
        }
        if s.unevaluated_forbidden && !unprocessed.is_empty() {
            for slot in unprocessed.iter() {
                if out.processed.contains(slot) {
                    continue;
                }
                if let Some(p) = self.last(o, slot) {
                    self.push(not_allowed(p, s, path));
                }
            }
        }
    }

    /// The id of a node of this schema, from its address.
    fn id_of(&self, s: &SchemaNode) -> usize {
        (s as *const SchemaNode as usize - self.schema.nodes.as_ptr() as usize) / std::mem::size_of::<SchemaNode>()
    }

    fn validate_property(&mut self, p: &'a Property, sid: SchemaId, path: PathId, out: &mut Outcome<'a>) {
        let Some(value) = &p.value else { return };
        // The same value checked against an equivalent schema (the common
        // properties appear in several top-level branches) finds the same: the
        // path of a value is fixed, and so is its property.
        let key = match (&value.kind, self.aux) {
            (NodeKind::Object(_) | NodeKind::Array(_), Some(aux)) => Some((value as *const Node as usize, aux.canon[sid])),
            _ => None,
        };
        if let Some(key) = key {
            if let Some(m) = self.memo.get(&key) {
                let summary = m.summary;
                self.problems.extend(m.problems.iter().cloned());
                out.merge_property_match(&summary);
                return;
            }
        }
        let mut r = Outcome::new(self.problems.len());
        let child = self.child_path(path, Seg::Key(&p.key.value));
        self.validate(value, Some(p), sid, child, &mut r);
        let summary = r.summary(self.count(&r));
        if let Some(key) = key {
            let problems = self.problems[r.start..].to_vec();
            self.memo.insert(key, Memo { problems, summary });
        }
        out.merge_property_match(&summary);
    }

    fn validate_array(&mut self, node: &'a Node, items: &'a [Node], s: &'a SchemaNode, path: PathId, out: &mut Outcome<'a>) {
        if let Some(item_schema) = s.items {
            for (i, item) in items.iter().enumerate() {
                let mut r = Outcome::new(self.problems.len());
                let child = self.child_path(path, Seg::Index(i));
                self.validate(item, None, item_schema, child, &mut r);
                let summary = r.summary(self.count(&r));
                out.merge_property_match(&summary);
            }
        }
        if s.unique_items {
            let values: Vec<_> = items.iter().map(Node::to_value).collect();
            let dup = (0..values.len()).any(|i| values[i + 1..].contains(&values[i]));
            if dup {
                self.push(error(node.span.clone(), path, ProblemCode::Duplicate, Msg::DuplicateItems));
            }
        }
    }

    fn validate_string(&mut self, node: &Node, value: &'a str, s: &'a SchemaNode, path: PathId) {
        if let Some(min) = s.min_length {
            if value.encode_utf16().count() < min {
                self.push(error(node.span.clone(), path, ProblemCode::Range, Msg::MinLength(min)));
            }
        }
        if let Some((src, re)) = &s.pattern {
            let pattern = self.aux.map_or(NONE, |aux| aux.pattern[self.id_of(s)]);
            if !self.is_match(pattern, re, value) {
                self.push(error(node.span.clone(), path, ProblemCode::Pattern, Msg::Pattern { value, src }));
            }
        }
    }

    fn validate_number(&mut self, node: &Node, value: f64, s: &'a SchemaNode, path: PathId) {
        if let Some(min) = s.minimum {
            if value < min {
                self.push(error(node.span.clone(), path, ProblemCode::Range, Msg::Minimum(min)));
            }
        }
        if let Some(max) = s.maximum {
            if value > max {
                self.push(error(node.span.clone(), path, ProblemCode::Range, Msg::Maximum(max)));
            }
        }
    }

    /// Turns a surviving finding into a [`Problem`] with its message and path.
    fn render(&self, p: &Pending<'a>) -> Problem {
        let path = self.path_segments(p.path);
        let message = match &p.msg {
            Msg::NoValue => format!("{}no value is allowed here", prefix(&path)),
            Msg::Type { types, found } => {
                let expected = types.iter().map(|t| article(t)).collect::<Vec<_>>().join(" or ");
                format!("{}expected {expected}, found {}", prefix(&path), article(found))
            }
            Msg::Enum { node, values, at } => {
                let at = if *at == p.path { None } else { Some(self.path_segments(*at)) };
                let list = values.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ");
                format!("{}{} is not accepted; expected one of {list}", prefix(at.as_deref().unwrap_or(&path)), node.to_value())
            }
            Msg::Const(c) => format!("{}must be {c}", prefix(&path)),
            Msg::Deprecated(msg) => format!("{}{}", prefix(&path), msg.unwrap_or("deprecated")),
            Msg::Custom(msg) => format!("{}{msg}", prefix(&path)),
            Msg::MultipleMatches => {
                format!("{}matches more than one of the allowed forms; only one may match", prefix(&path))
            }
            Msg::Missing(req) => format!("{}missing required property \"{req}\"", prefix(&path)),
            Msg::NotAllowed { prop, schema } => self.not_allowed_message(prop, schema, &path),
            Msg::DuplicateItems => format!("{}has duplicate items", prefix(&path)),
            Msg::MinLength(min) => format!("{}must be at least {min} characters long", prefix(&path)),
            Msg::Pattern { value, src } => {
                format!("{}\"{value}\" does not match the expected format /{src}/", prefix(&path))
            }
            Msg::Minimum(min) => format!("{}must be at least {min}", prefix(&path)),
            Msg::Maximum(max) => format!("{}must be at most {max}", prefix(&path)),
        };
        Problem { span: p.span.clone(), message, severity: p.severity, code: p.code, path }
    }

    fn not_allowed_message(&self, p: &Property, s: &SchemaNode, path: &[PathSegment]) -> String {
        let name = &p.key.value;
        let mut message = format!("{}property \"{name}\" is not allowed here", prefix(path));
        if path.is_empty() && self.schema.top_level_names().contains(name.as_str()) {
            message = format!(
                "property \"{name}\" does not apply to this kind of configuration (image, Dockerfile or Docker Compose); it is ignored"
            );
        } else {
            let candidates = s.properties.iter().map(|(n, _)| n.as_str());
            let candidates: Vec<&str> = if path.is_empty() {
                self.schema.top_level_names().iter().copied().collect()
            } else {
                candidates.collect()
            };
            if let Some(s) = crate::suggest::did_you_mean(name, candidates) {
                message.push_str(&format!("; did you mean \"{s}\"?"));
            }
        }
        message
    }
}

fn not_allowed<'a>(p: &'a Property, s: &'a SchemaNode, path: PathId) -> Pending<'a> {
    Pending {
        span: p.key.span.clone(),
        severity: Severity::Warning,
        code: ProblemCode::NotAllowed,
        path,
        msg: Msg::NotAllowed { prop: p, schema: s },
    }
}

/// `node.to_value() == *value`, without building the value (numbers excepted:
/// they are converted exactly as `to_value` does, which does not allocate).
fn node_equals(node: &Node, value: &Value) -> bool {
    match (&node.kind, value) {
        (NodeKind::Number { .. }, _) => node.to_value() == *value,
        (NodeKind::Null, Value::Null) => true,
        (NodeKind::Bool(a), Value::Bool(b)) => a == b,
        (NodeKind::String(a), Value::String(b)) => a == b,
        (NodeKind::Array(items), Value::Array(values)) => {
            items.len() == values.len() && items.iter().zip(values).all(|(n, v)| node_equals(n, v))
        }
        (NodeKind::Object(props), Value::Object(map)) => {
            // `to_value` keeps one entry per key (the last property with a value);
            // map equality ignores order.
            let with_value = |i: usize, p: &Property| p.value.is_some() && !props[..i].iter().any(|q| q.value.is_some() && q.key.value == p.key.value);
            let distinct = props.iter().enumerate().filter(|(i, p)| with_value(*i, p)).count();
            distinct == map.len()
                && map.iter().all(|(k, v)| {
                    props.iter().rev().find(|p| p.key.value == *k && p.value.is_some()).and_then(|p| p.value.as_ref()).is_some_and(|n| node_equals(n, v))
                })
        }
        _ => false,
    }
}

fn matches_type(node: &Node, t: &str) -> bool {
    match (t, &node.kind) {
        ("integer", NodeKind::Number { is_integer, .. }) => *is_integer,
        _ => node.type_name() == t || (t == "number" && node.type_name() == "integer"),
    }
}

fn article(t: &str) -> String {
    match t {
        "object" | "array" | "integer" => format!("an {t}"),
        "null" => "null".to_string(),
        "string" | "boolean" | "number" => format!("a {t}"),
        other => other.to_string(),
    }
}

fn prefix(path: &[PathSegment]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{}: ", path_to_string(path))
    }
}

fn error(span: Span, path: PathId, code: ProblemCode, msg: Msg<'_>) -> Pending<'_> {
    Pending { span, severity: Severity::Error, code, path, msg }
}
