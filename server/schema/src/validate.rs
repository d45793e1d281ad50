//! Validates a JSONC tree against a compiled schema. Follows the evaluation
//! model of VS Code's JSON language service (best-matching oneOf/anyOf branch,
//! evaluated-property tracking for `unevaluatedProperties`), so findings land at
//! the same positions, but words its own messages for humans.
//!
//! Performance: oneOf/anyOf evaluate the same value against several branches and
//! keep only the best one, so most findings made along the way are thrown away.
//! Findings are therefore recorded as [`Pending`] (span, code, a reference to the
//! path and what to say) and only turned into a [`Problem`] with its message and
//! path once they survive to the end (a finding records the value it is about;
//! the paths of those values are found with one walk of the tree), the properties an object's evaluation has covered are a
//! bitset over the object's distinct keys, and enum comparisons look at the tree
//! directly instead of converting it to a `serde_json::Value`.

use crate::compile::{Additional, SchemaId, SchemaNode};
use crate::{Problem, ProblemCode, Schema, Severity};
use devc_jsonc::{path_to_string, Node, NodeKind, PathSegment, Property, Span};
use serde_json::Value;
use std::collections::HashMap;
use std::cell::Cell;
use std::hash::{BuildHasherDefault, Hasher};

/// Where a finding is: the value that was being checked. Its property path is
/// looked up when the finding is reported (a value's path is fixed by the tree).
type At<'a> = &'a Node;

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
    Enum { node: &'a Node, values: EnumList<'a>, at: At<'a> },
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
    path: At<'a>,
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
            let partial = rest % 64;
            if partial > 0 {
                b.high.push((1u64 << partial) - 1);
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

/// A property value's outcome against a schema (by canonical id, see
/// [`Aux::canon`]): its problems, a range of [`Validator::memo_problems`].
#[derive(Clone, Copy)]
struct Memo {
    canon: u32,
    start: u32,
    len: u32,
    summary: MatchSummary,
}

const NO_MEMO: Memo = Memo {
    canon: NONE,
    start: 0,
    len: 0,
    summary: MatchSummary { has_problems: false, has_properties_matches: false, enum_value_match: false, single_enum_value: false },
};

/// What a parent needs from a property value's or item's outcome.
#[derive(Clone, Copy, Default)]
struct MatchSummary {
    has_problems: bool,
    has_properties_matches: bool,
    enum_value_match: bool,
    single_enum_value: bool,
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

/// Objects with more keys than this are "large" (see [`Obj`]).
const INDEX_KEYS_ABOVE: usize = 8;
const NONE: u32 = u32::MAX;

/// An object's distinct keys ("slots", in order of first occurrence) and, per
/// slot, the property whose value counts (the last one with a value, as
/// `JSON.parse` keeps the last duplicate): `len` entries of
/// [`Scratch::slot_first`] and [`Scratch::slot_last`] from `start`. Objects
/// with more than [`INDEX_KEYS_ABOVE`] keys are remembered (in
/// [`Scratch::objects`]) across the schemas they are checked against; smaller
/// ones are cheaper to redo.
#[derive(Clone, Copy)]
struct Obj {
    start: u32,
    len: u32,
    /// How many schemas with object keywords have looked at this object so far
    /// (counting the current one; 1 for objects that are not remembered).
    visits: u32,
    /// Where this object's slots' remembered outcomes start in
    /// [`Scratch::memo`]; `NONE` until needed.
    memo: u32,
    /// Where this object's slot per schema property name ([`Aux::names`]) starts
    /// in [`Scratch::name_slots`]; `NONE` until needed.
    names: u32,
}

/// The buffers of a validation that hold no references into the tree or the
/// schema. They are kept per thread between validations: allocating them anew
/// costs more than validating a small document.
#[derive(Default)]
struct Scratch {
    /// Key slots of the objects validated so far, by node address.
    objects: FxMap<usize, Obj>,
    /// Per slot, the index of the first property with its key.
    slot_first: Vec<u32>,
    /// Per slot, the index of the last property with its key and a value, or `NONE`.
    slot_last: Vec<u32>,
    /// Per object (see [`Obj::names`]), the slot of each schema property name.
    name_slots: Vec<u32>,
    /// While finding a large object's slots: slot by key hash, and per slot the
    /// previous slot with the same hash.
    key_heads: FxMap<u64, u32>,
    key_chain: Vec<u32>,
    /// `is_match` results by (pattern id, string address and length).
    matches: FxMap<(u32, usize, usize), bool>,
    /// Per slot of the objects that have them (see [`Obj::memo`]), the outcome of
    /// its value against the schema checked last.
    memo: Vec<Memo>,
    /// Trial depths of the branches being probed (see [`Validator::alternatives`]).
    probes: Vec<u32>,
}

/// Scratch buffers bigger than this (in entries) are not kept.
const SCRATCH_KEEP: usize = 1 << 14;

impl Scratch {
    fn take() -> Box<Scratch> {
        SCRATCH.with(Cell::take).unwrap_or_default()
    }

    fn give_back(mut self: Box<Scratch>) {
        let big = [
            self.objects.capacity(),
            self.slot_first.capacity(),
            self.slot_last.capacity(),
            self.name_slots.capacity(),
            self.key_heads.capacity(),
            self.key_chain.capacity(),
            self.matches.capacity(),
            self.memo.capacity(),
            self.probes.capacity(),
        ]
        .into_iter()
        .any(|c| c > SCRATCH_KEEP);
        if big {
            return;
        }
        self.objects.clear();
        self.slot_first.clear();
        self.slot_last.clear();
        self.name_slots.clear();
        self.key_heads.clear();
        self.key_chain.clear();
        self.matches.clear();
        self.memo.clear();
        self.probes.clear();
        SCRATCH.with(|s| s.set(Some(self)));
    }
}

thread_local! {
    static SCRATCH: Cell<Option<Box<Scratch>>> = const { Cell::new(None) };
}

thread_local! {
    /// `Regex::is_match` results across validations, by pattern and string
    /// text: a language server checks the same values again on every
    /// keystroke, and a match costs far more than a lookup. Bounded: short
    /// strings only, and emptied when full.
    static MATCH_CACHE: std::cell::RefCell<FxMap<u64, Vec<CachedMatch>>> = std::cell::RefCell::new(FxMap::default());
}

/// Pattern, string, and whether the pattern matches the string.
type CachedMatch = (Box<str>, Box<str>, bool);

const MATCH_CACHE_ENTRIES: usize = 256;
const MATCH_CACHE_LONGEST: usize = 128;

/// `re.is_match(value)`, remembered in [`MATCH_CACHE`].
fn cached_is_match(re: &regex::Regex, value: &str) -> bool {
    if value.len() > MATCH_CACHE_LONGEST {
        return re.is_match(value);
    }
    let pattern = re.as_str();
    let mut h = FxHasher::default();
    h.write(pattern.as_bytes());
    h.write_u8(0xff);
    h.write(value.as_bytes());
    let h = h.finish();
    let found = MATCH_CACHE.with(|cache| {
        let cache = cache.borrow();
        let bucket = cache.get(&h)?;
        bucket.iter().find(|(p, v, _)| **p == *pattern && **v == *value).map(|e| e.2)
    });
    if let Some(m) = found {
        return m;
    }
    let m = re.is_match(value);
    MATCH_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= MATCH_CACHE_ENTRIES {
            cache.clear();
        }
        let bucket = cache.entry(h).or_default();
        if bucket.len() >= 4 {
            bucket.clear(); // colliding hashes: keep the bucket small
        }
        bucket.push((pattern.into(), value.into(), m));
    });
    m
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// Which keywords a schema node has, in one word (the nodes are large; this
/// keeps the common "nothing to do here" checks on one cache line).
type Flags = u16;
const F_ERROR_MESSAGE: Flags = 1;
const F_BOOLEAN: Flags = 1 << 1;
const F_TYPES: Flags = 1 << 2;
const F_ALL_OF: Flags = 1 << 3;
const F_ANY_OF: Flags = 1 << 4;
const F_ONE_OF: Flags = 1 << 5;
const F_ENUM: Flags = 1 << 6;
const F_CONST: Flags = 1 << 7;
const F_DEPRECATED: Flags = 1 << 8;
/// `required`, `properties`, `patternProperties`, `additionalProperties` or `unevaluatedProperties: false`.
const F_OBJECT: Flags = 1 << 9;
/// `items` or `uniqueItems`.
const F_ARRAY: Flags = 1 << 10;
/// `minLength` or `pattern`.
const F_STRING: Flags = 1 << 11;
/// `minimum` or `maximum`.
const F_NUMBER: Flags = 1 << 12;

fn flags_of(n: &SchemaNode) -> Flags {
    let mut f = 0;
    let mut set = |cond: bool, flag: Flags| {
        if cond {
            f |= flag;
        }
    };
    set(n.error_message.is_some(), F_ERROR_MESSAGE);
    set(n.boolean.is_some(), F_BOOLEAN);
    set(!n.types.is_empty(), F_TYPES);
    set(!n.all_of.is_empty(), F_ALL_OF);
    set(!n.any_of.is_empty(), F_ANY_OF);
    set(!n.one_of.is_empty(), F_ONE_OF);
    set(n.enum_values.is_some(), F_ENUM);
    set(n.const_value.is_some(), F_CONST);
    set(n.deprecated || n.deprecation_message.is_some(), F_DEPRECATED);
    set(
        !n.required.is_empty()
            || !n.properties.is_empty()
            || !n.pattern_properties.is_empty()
            || n.additional.is_some()
            || n.unevaluated_forbidden,
        F_OBJECT,
    );
    set(n.items.is_some() || n.unique_items, F_ARRAY);
    set(n.min_length.is_some() || n.pattern.is_some(), F_STRING);
    set(n.minimum.is_some() || n.maximum.is_some(), F_NUMBER);
    f
}

/// Type bits: a schema's `type` list as a mask, and what each value matches
/// (an integer matches "integer" and "number"), as [`matches_type`] decides.
const T_NULL: u8 = 1;
const T_BOOLEAN: u8 = 1 << 1;
const T_INTEGER: u8 = 1 << 2;
const T_NUMBER: u8 = 1 << 3;
const T_STRING: u8 = 1 << 4;
const T_ARRAY: u8 = 1 << 5;
const T_OBJECT: u8 = 1 << 6;

fn type_mask(types: &[String]) -> u8 {
    types
        .iter()
        .map(|t| match t.as_str() {
            "null" => T_NULL,
            "boolean" => T_BOOLEAN,
            "integer" => T_INTEGER,
            "number" => T_NUMBER,
            "string" => T_STRING,
            "array" => T_ARRAY,
            "object" => T_OBJECT,
            _ => 0,
        })
        .fold(0, |a, b| a | b)
}

fn node_type_bits(node: &Node) -> u8 {
    match &node.kind {
        NodeKind::Null => T_NULL,
        NodeKind::Bool(_) => T_BOOLEAN,
        NodeKind::Number { is_integer: true, .. } => T_INTEGER | T_NUMBER,
        NodeKind::Number { .. } => T_NUMBER,
        NodeKind::String(_) => T_STRING,
        NodeKind::Array(_) => T_ARRAY,
        NodeKind::Object(_) => T_OBJECT,
    }
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
    /// Every name in `properties` and `required`, numbered.
    names: FxMap<String, u32>,
    /// Per node, the numbers of its `properties` names, in order.
    prop_names: Vec<Vec<u32>>,
    /// Per node, the numbers of its `required` names, in order.
    required_names: Vec<Vec<u32>>,
    /// Per node, [`flags_of`].
    flags: Vec<Flags>,
    /// Per node, [`type_mask`] of its `type`.
    types: Vec<u8>,
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
            names: FxMap::default(),
            prop_names: vec![Vec::new(); nodes.len()],
            required_names: vec![Vec::new(); nodes.len()],
            flags: nodes.iter().map(flags_of).collect(),
            types: nodes.iter().map(|n| type_mask(&n.types)).collect(),
        };
        let name_id = |names: &mut FxMap<String, u32>, name: &str| {
            let next = names.len() as u32;
            *names.entry(name.to_string()).or_insert(next)
        };
        for (id, n) in nodes.iter().enumerate() {
            aux.prop_names[id] = n.properties.iter().map(|(k, _)| name_id(&mut aux.names, k)).collect();
            aux.required_names[id] = n.required.iter().map(|k| name_id(&mut aux.names, k)).collect();
        }
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
    /// Findings of the outcomes being built (see [`Outcome`]).
    problems: Vec<Pending<'a>>,
    /// Findings of memoized property values (see [`Scratch::memo`]).
    memo_problems: Vec<Pending<'a>>,
    scratch: Box<Scratch>,
    /// How many oneOf/anyOf branches are being tried around the current check.
    trial: u32,
    /// Set when the branch being probed has a finding of its own: everything
    /// returns until the probe's owner (see [`Validator::alternatives`]).
    aborted: bool,
}

impl<'a> Validator<'a> {
    pub fn new(schema: &'a Schema) -> Validator<'a> {
        let aux = Some(&schema.aux).filter(|aux| aux.fits(&schema.nodes));
        Validator {
            schema,
            aux,
            problems: Vec::new(),
            memo_problems: Vec::new(),
            scratch: Scratch::take(),
            trial: 0,
            aborted: false,
        }
    }

    pub fn run(mut self, root: &'a Node) -> Vec<Problem> {
        let mut out = Outcome::new(0);
        self.validate(root, None, self.schema.root, root, &mut out);
        let paths = paths_of(root, &self.problems);
        let mut problems: Vec<Problem> = self.problems.iter().map(|p| self.render(p, &paths)).collect();
        std::mem::take(&mut self.scratch).give_back();
        problems.sort_by_key(|p| p.span.start);
        problems.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        problems
    }

    fn node(&self, id: SchemaId) -> &'a SchemaNode {
        &self.schema.nodes[id]
    }

    fn push(&mut self, p: Pending<'a>) {
        self.problems.push(p);
        self.note_committed();
    }

    /// Whether findings made now belong to the branch being probed (not to a
    /// branch tried inside it, which may yet be dropped).
    fn committed(&self) -> bool {
        self.scratch.probes.last() == Some(&self.trial)
    }

    /// After findings were added: a probed branch with a finding of its own is
    /// decided (see [`Validator::alternatives`]).
    fn note_committed(&mut self) {
        if self.committed() {
            self.aborted = true;
        }
    }

    /// Problems of `out`, which owns the tail of the arena.
    fn count(&self, out: &Outcome) -> usize {
        self.problems.len() - out.start
    }

    fn is_match(&mut self, pattern: u32, re: &regex::Regex, value: &str) -> bool {
        if pattern == NONE {
            return cached_is_match(re, value);
        }
        let key = (pattern, value.as_ptr() as usize, value.len());
        if let Some(&m) = self.scratch.matches.get(&key) {
            return m;
        }
        let m = cached_is_match(re, value);
        self.scratch.matches.insert(key, m);
        m
    }

    /// The key slots of `node`, an object with `props`.
    fn obj(&mut self, node: &'a Node, props: &'a [Property]) -> Obj {
        let sc = &mut *self.scratch;
        let large = props.len() > INDEX_KEYS_ABOVE;
        if large {
            if let Some(o) = sc.objects.get_mut(&(node as *const Node as usize)) {
                o.visits += 1;
                return *o;
            }
        }
        let start = sc.slot_first.len();
        let key_of = |sc: &Scratch, slot: u32| props[sc.slot_first[start + slot as usize] as usize].key.value.as_str();
        let mut names = NONE;
        if large {
            // Keys that are schema property names are told apart by number (and
            // get their slot per name, see `Obj::names`); others by hash.
            let aux = self.aux;
            if let Some(aux) = aux {
                names = sc.name_slots.len() as u32;
                sc.name_slots.resize(sc.name_slots.len() + aux.names.len(), NONE);
            }
            sc.key_heads.clear();
            sc.key_chain.clear();
            for (i, p) in props.iter().enumerate() {
                let key = p.key.value.as_str();
                let name = aux.and_then(|aux| aux.names.get(key));
                let mut slot = match name {
                    Some(&n) => sc.name_slots[(names + n) as usize],
                    None => {
                        let h = hash_str(key);
                        let mut slot = sc.key_heads.get(&h).copied().unwrap_or(NONE);
                        while slot != NONE && key_of(sc, slot) != key {
                            slot = sc.key_chain[slot as usize];
                        }
                        if slot == NONE {
                            let new = (sc.slot_first.len() - start) as u32;
                            let prev = sc.key_heads.insert(h, new).unwrap_or(NONE);
                            sc.key_chain.resize(new as usize + 1, NONE);
                            sc.key_chain[new as usize] = prev;
                        }
                        slot
                    }
                };
                if slot == NONE {
                    slot = (sc.slot_first.len() - start) as u32;
                    sc.slot_first.push(i as u32);
                    sc.slot_last.push(NONE);
                    if let Some(&n) = name {
                        sc.name_slots[(names + n) as usize] = slot;
                    }
                }
                if p.value.is_some() {
                    sc.slot_last[start + slot as usize] = i as u32;
                }
            }
        } else {
            for (i, p) in props.iter().enumerate() {
                let key = p.key.value.as_str();
                let len = (sc.slot_first.len() - start) as u32;
                let slot = match (0..len).find(|&slot| key_of(sc, slot) == key) {
                    Some(slot) => slot,
                    None => {
                        sc.slot_first.push(i as u32);
                        sc.slot_last.push(NONE);
                        len
                    }
                };
                if p.value.is_some() {
                    sc.slot_last[start + slot as usize] = i as u32;
                }
            }
        }
        let o = Obj { start: start as u32, len: (sc.slot_first.len() - start) as u32, visits: 1, names, memo: NONE };
        if large {
            sc.objects.insert(node as *const Node as usize, o);
        }
        o
    }

    /// `o` (a large object) with its slots by schema property name (see [`Obj::names`]).
    fn with_names(&mut self, node: &'a Node, props: &'a [Property], mut o: Obj, aux: &Aux) -> Obj {
        if o.names != NONE {
            return o;
        }
        let sc = &mut *self.scratch;
        let base = sc.name_slots.len();
        sc.name_slots.resize(base + aux.names.len(), NONE);
        for slot in 0..o.len as usize {
            let key = &props[sc.slot_first[o.start as usize + slot] as usize].key.value;
            if let Some(&n) = aux.names.get(key.as_str()) {
                sc.name_slots[base + n as usize] = slot as u32;
            }
        }
        o.names = base as u32;
        if let Some(entry) = sc.objects.get_mut(&(node as *const Node as usize)) {
            entry.names = o.names;
        }
        o
    }

    /// The slot of schema property name number `name` (see [`Aux::names`]).
    fn slot_named(&self, o: Obj, name: u32) -> Option<usize> {
        let slot = self.scratch.name_slots[(o.names + name) as usize];
        (slot != NONE).then_some(slot as usize)
    }

    /// The slot of `key` (when the schema has no [`Aux`]).
    fn slot(&self, o: Obj, props: &[Property], key: &str) -> Option<usize> {
        (0..o.len as usize).find(|&slot| self.key(o, props, slot) == key)
    }

    fn key<'p>(&self, o: Obj, props: &'p [Property], slot: usize) -> &'p str {
        &props[self.scratch.slot_first[o.start as usize + slot] as usize].key.value
    }

    fn last(&self, o: Obj, props: &'a [Property], slot: usize) -> Option<&'a Property> {
        let i = self.scratch.slot_last[o.start as usize + slot];
        (i != NONE).then(|| &props[i as usize])
    }

    /// `parent` is the property whose value `node` is, if any (for key positions).
    fn validate(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        id: SchemaId,
        path: At<'a>,
        out: &mut Outcome<'a>,
    ) {
        if self.aborted {
            return;
        }
        let s = self.node(id);
        let f = self.flags(id, s);
        if f & F_ERROR_MESSAGE != 0 {
            let msg = s.error_message.as_deref().unwrap_or_default();
            // Our extension: one human message replaces whatever failed inside.
            let mut sub = Outcome::new(self.problems.len());
            self.validate_inner(node, parent, id, s, f, path, &mut sub);
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
        self.validate_inner(node, parent, id, s, f, path, out);
    }

    /// The keywords node `id` (`s`) has.
    fn flags(&self, id: SchemaId, s: &SchemaNode) -> Flags {
        match self.aux {
            Some(aux) => aux.flags[id],
            None => flags_of(s),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn validate_inner(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        id: SchemaId,
        s: &'a SchemaNode,
        f: Flags,
        path: At<'a>,
        out: &mut Outcome<'a>,
    ) {
        if f & F_BOOLEAN != 0 {
            if s.boolean == Some(false) {
                self.push(error(node.span.clone(), path, ProblemCode::NotAllowed, Msg::NoValue));
            }
            return;
        }
        self.validate_generic(node, parent, id, s, f, path, out);
        if self.aborted {
            return;
        }
        match &node.kind {
            NodeKind::Object(props) if f & F_OBJECT != 0 => self.validate_object(node, parent, props, id, s, path, out),
            NodeKind::Array(items) if f & F_ARRAY != 0 => self.validate_array(node, items, s, path, out),
            NodeKind::String(value) if f & F_STRING != 0 => self.validate_string(node, value, id, s, path),
            NodeKind::Number { value, .. } if f & F_NUMBER != 0 => self.validate_number(node, *value, s, path),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn validate_generic(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        id: SchemaId,
        s: &'a SchemaNode,
        f: Flags,
        path: At<'a>,
        out: &mut Outcome<'a>,
    ) {
        if f & F_TYPES != 0 {
            let matched = match self.aux {
                Some(aux) => node_type_bits(node) & aux.types[id] != 0,
                None => s.types.iter().any(|t| matches_type(node, t)),
            };
            if !matched {
                let msg = Msg::Type { types: &s.types, found: node.type_name() };
                self.push(error(node.span.clone(), path, ProblemCode::Type, msg));
            }
        }
        if f & (F_ALL_OF | F_ANY_OF | F_ONE_OF | F_ENUM | F_CONST | F_DEPRECATED) == 0 || self.aborted {
            return;
        }
        if f & (F_ALL_OF | F_ANY_OF | F_ONE_OF) != 0 && self.committed() {
            // Probing: a wrong enum or const value decides it before the subschemas.
            let wrong = s.enum_values.as_ref().is_some_and(|values| !values.iter().any(|e| node_equals(node, e)))
                || s.const_value.as_ref().is_some_and(|c| !node_equals(node, c));
            if wrong {
                self.push(error(node.span.clone(), path, ProblemCode::Enum, Msg::NoValue));
                return;
            }
        }
        for &sub in &s.all_of {
            let mut r = Outcome::new(self.problems.len());
            self.validate(node, parent, sub, path, &mut r);
            out.merge(&r);
            if self.aborted {
                return;
            }
        }
        if !s.any_of.is_empty() {
            self.alternatives(node, parent, &s.any_of, false, path, out);
            if self.aborted {
                return;
            }
        }
        if !s.one_of.is_empty() {
            self.alternatives(node, parent, &s.one_of, true, path, out);
            if self.aborted {
                return;
            }
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
        path: At<'a>,
        out: &mut Outcome<'a>,
    ) {
        let mut matches = 0;
        let start = self.problems.len();
        // The best outcome so far and its number of problems; its problems are
        // the arena from `best.start`, followed by those of the branch being tried.
        let mut best: Option<(Outcome<'a>, usize)> = None;
        for &alt in alts {
            // Once a branch matches, a later one only has to be known to match
            // fully or to have a finding (which makes it lose, whatever its
            // counts): it is probed, and stops at its first finding of its own.
            let probe = matches!(best, Some((_, 0)));
            let mut r = Outcome::new(self.problems.len());
            self.trial += 1;
            if probe {
                self.scratch.probes.push(self.trial);
            }
            self.validate(node, parent, alt, path, &mut r);
            if probe {
                self.scratch.probes.pop();
                self.aborted = false;
            }
            self.trial -= 1;
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
        if self.problems.len() > start {
            self.note_committed();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn validate_object(
        &mut self,
        node: &'a Node,
        parent: Option<&'a Property>,
        props: &'a [Property],
        id: SchemaId,
        s: &'a SchemaNode,
        path: At<'a>,
        out: &mut Outcome<'a>,
    ) {
        // Only called with F_OBJECT: some keyword below looks at the properties.
        let mut o = self.obj(node, props);
        let large = props.len() > INDEX_KEYS_ABOVE;
        // Large objects look names up by number; small ones compare keys.
        let aux = self.aux.filter(|_| large && (!s.required.is_empty() || !s.properties.is_empty()));
        if let Some(aux) = aux {
            o = self.with_names(node, props, o, aux);
        }
        // A large object checked against several schemas (the top level against
        // each top-level branch) remembers its property values' outcomes.
        let memo = if large && o.visits >= 2 && self.aux.is_some() { self.memo_space(node, &mut o) } else { NONE };
        let memo_at = |slot: usize| if memo == NONE { NONE } else { memo + slot as u32 };
        let slot_of = |v: &Self, i: usize, names: fn(&Aux) -> &Vec<Vec<u32>>, name: &str| match aux {
            Some(aux) => v.slot_named(o, names(aux)[id][i]),
            None => v.slot(o, props, name),
        };
        // Distinct keys not yet claimed by this schema's keywords.
        let mut unprocessed = Bits::all(o.len as usize);
        for (i, req) in s.required.iter().enumerate() {
            if slot_of(self, i, |a| &a.required_names, req).is_none() {
                let span = parent.map_or(node.span.start..node.span.start + 1, |p| p.key.span.clone());
                self.push(error(span, path, ProblemCode::Missing, Msg::Missing(req)));
            }
        }
        if self.aborted {
            return;
        }
        let forbids_rest = matches!(s.additional, Some(Additional::Forbidden)) || (s.additional.is_none() && s.unevaluated_forbidden);
        if forbids_rest && self.committed() {
            // Probing: a key that will not be allowed decides it before the values.
            let mut claimed = Bits::default();
            for (i, (name, _)) in s.properties.iter().enumerate() {
                if let Some(slot) = slot_of(self, i, |a| &a.prop_names, name) {
                    claimed.insert(slot);
                }
            }
            for slot in 0..o.len as usize {
                if claimed.contains(slot) || (s.additional.is_none() && out.processed.contains(slot)) {
                    continue;
                }
                let Some(p) = self.last(o, props, slot) else { continue };
                let key = self.key(o, props, slot);
                let mut by_pattern = false;
                for (i, (re, _)) in s.pattern_properties.iter().enumerate() {
                    let pattern = self.aux.map_or(NONE, |aux| aux.pattern_props[id][i]);
                    if self.is_match(pattern, re, key) {
                        by_pattern = true;
                        break;
                    }
                }
                if !by_pattern {
                    self.push(not_allowed(p, s, path));
                    return;
                }
            }
        }
        for (i, (name, sid)) in s.properties.iter().enumerate() {
            if let Some(slot) = slot_of(self, i, |a| &a.prop_names, name) {
                unprocessed.remove(slot);
                out.processed.insert(slot);
                if let Some(p) = self.last(o, props, slot) {
                    self.validate_property(p, *sid, memo_at(slot), out);
                    if self.aborted {
                        return;
                    }
                }
            }
        }
        for (i, (re, sid)) in s.pattern_properties.iter().enumerate() {
            let pattern = self.aux.map_or(NONE, |aux| aux.pattern_props[id][i]);
            let mut done = Bits::default();
            for slot in unprocessed.iter() {
                let key = self.key(o, props, slot);
                if self.is_match(pattern, re, key) {
                    done.insert(slot);
                    if let Some(p) = self.last(o, props, slot) {
                        self.validate_property(p, *sid, memo_at(slot), out);
                        if self.aborted {
                            return;
                        }
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
                let Some(p) = self.last(o, props, slot) else { continue };
                match add {
                    Additional::Allowed => {}
                    Additional::Forbidden => self.push(not_allowed(p, s, path)),
                    Additional::Schema(sid) => self.validate_property(p, *sid, memo_at(slot), out),
                }
                if self.aborted {
                    return;
                }
            }
        }
        if s.unevaluated_forbidden && !unprocessed.is_empty() {
            for slot in unprocessed.iter() {
                if out.processed.contains(slot) {
                    continue;
                }
                if let Some(p) = self.last(o, props, slot) {
                    self.push(not_allowed(p, s, path));
                }
            }
        }
    }

    /// Room for `o`'s remembered outcomes (see [`Obj::memo`]).
    fn memo_space(&mut self, node: &'a Node, o: &mut Obj) -> u32 {
        if o.memo == NONE {
            let sc = &mut *self.scratch;
            o.memo = sc.memo.len() as u32;
            sc.memo.resize(sc.memo.len() + o.len as usize, NO_MEMO);
            if let Some(entry) = sc.objects.get_mut(&(node as *const Node as usize)) {
                entry.memo = o.memo;
            }
        }
        o.memo
    }

    /// Checks a property's value. `memo` (unless `NONE`) is the value's entry in
    /// [`Scratch::memo`]: the same value checked against an equivalent schema
    /// (the common properties appear in several top-level branches) finds the
    /// same (the path of a value is fixed, and so is its property).
    fn validate_property(&mut self, p: &'a Property, sid: SchemaId, memo: u32, out: &mut Outcome<'a>) {
        let Some(value) = &p.value else { return };
        if let Some(summary) = self.validate_leaf(value, sid) {
            out.merge_property_match(&summary);
            return;
        }
        let canon = match (&value.kind, self.aux) {
            (NodeKind::Object(_) | NodeKind::Array(_), Some(aux)) if memo != NONE => aux.canon[sid],
            _ => NONE,
        };
        if canon != NONE {
            let m = self.scratch.memo[memo as usize];
            if m.canon == canon {
                let found = &self.memo_problems[m.start as usize..(m.start + m.len) as usize];
                self.problems.extend(found.iter().cloned());
                if m.len > 0 {
                    self.note_committed();
                }
                out.merge_property_match(&m.summary);
                return;
            }
        }
        let mut r = Outcome::new(self.problems.len());
        self.validate(value, Some(p), sid, value, &mut r);
        let summary = r.summary(self.count(&r));
        // Not while probing: a probe may stop halfway.
        if canon != NONE && self.scratch.probes.is_empty() {
            let start = self.memo_problems.len() as u32;
            self.memo_problems.extend(self.problems[r.start..].iter().cloned());
            let len = self.memo_problems.len() as u32 - start;
            self.scratch.memo[memo as usize] = Memo { canon, start, len, summary };
        }
        out.merge_property_match(&summary);
    }

    /// The common case of a scalar value and a schema with only `type`, `enum`,
    /// `const` and string or number keywords, checked without the general
    /// machinery: the same findings in the same order as [`Validator::validate`]
    /// (type, enum, const, then the string or number keywords), and the summary
    /// its outcome would give. `None` for anything else.
    fn validate_leaf(&mut self, node: &'a Node, id: SchemaId) -> Option<MatchSummary> {
        if matches!(node.kind, NodeKind::Object(_) | NodeKind::Array(_)) || self.aborted {
            return None;
        }
        let s = self.node(id);
        let f = self.flags(id, s);
        if f & !(F_TYPES | F_ENUM | F_CONST | F_STRING | F_NUMBER) != 0 {
            return None;
        }
        let start = self.problems.len();
        let mut summary = MatchSummary::default();
        if f & F_TYPES != 0 {
            let matched = match self.aux {
                Some(aux) => node_type_bits(node) & aux.types[id] != 0,
                None => s.types.iter().any(|t| matches_type(node, t)),
            };
            if !matched {
                let msg = Msg::Type { types: &s.types, found: node.type_name() };
                self.push(error(node.span.clone(), node, ProblemCode::Type, msg));
            }
        }
        if let Some(values) = &s.enum_values {
            let matched = values.iter().any(|e| node_equals(node, e));
            summary.enum_value_match = matched;
            summary.single_enum_value = values.len() == 1;
            if !matched {
                let msg = Msg::Enum { node, values: EnumList::One(values), at: node };
                self.push(error(node.span.clone(), node, ProblemCode::Enum, msg));
            }
        }
        if let Some(c) = &s.const_value {
            let equal = node_equals(node, c);
            summary.enum_value_match = equal;
            summary.single_enum_value = true;
            if !equal {
                self.push(error(node.span.clone(), node, ProblemCode::Enum, Msg::Const(c)));
            }
        }
        match &node.kind {
            NodeKind::String(value) if f & F_STRING != 0 => self.validate_string(node, value, id, s, node),
            NodeKind::Number { value, .. } if f & F_NUMBER != 0 => self.validate_number(node, *value, s, node),
            _ => {}
        }
        summary.has_problems = self.problems.len() > start;
        Some(summary)
    }

    fn validate_array(&mut self, node: &'a Node, items: &'a [Node], s: &'a SchemaNode, path: At<'a>, out: &mut Outcome<'a>) {
        if let Some(item_schema) = s.items {
            for item in items {
                let summary = match self.validate_leaf(item, item_schema) {
                    Some(summary) => summary,
                    None => {
                        let mut r = Outcome::new(self.problems.len());
                        self.validate(item, None, item_schema, item, &mut r);
                        r.summary(self.count(&r))
                    }
                };
                out.merge_property_match(&summary);
                if self.aborted {
                    return;
                }
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

    fn validate_string(&mut self, node: &Node, value: &'a str, id: SchemaId, s: &'a SchemaNode, path: At<'a>) {
        if let Some(min) = s.min_length {
            if value.encode_utf16().count() < min {
                self.push(error(node.span.clone(), path, ProblemCode::Range, Msg::MinLength(min)));
            }
        }
        if let Some((src, re)) = &s.pattern {
            let pattern = self.aux.map_or(NONE, |aux| aux.pattern[id]);
            if !self.is_match(pattern, re, value) {
                self.push(error(node.span.clone(), path, ProblemCode::Pattern, Msg::Pattern { value, src }));
            }
        }
    }

    fn validate_number(&mut self, node: &Node, value: f64, s: &'a SchemaNode, path: At<'a>) {
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
    fn render(&self, p: &Pending<'a>, paths: &Paths) -> Problem {
        let path = paths.get(p.path);
        let message = match &p.msg {
            Msg::NoValue => format!("{}no value is allowed here", prefix(&path)),
            Msg::Type { types, found } => {
                let expected = types.iter().map(|t| article(t)).collect::<Vec<_>>().join(" or ");
                format!("{}expected {expected}, found {}", prefix(&path), article(found))
            }
            Msg::Enum { node, values, at } => {
                let list = values.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ");
                format!("{}{} is not accepted; expected one of {list}", prefix(&paths.get(at)), node.to_value())
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

fn not_allowed<'a>(p: &'a Property, s: &'a SchemaNode, path: At<'a>) -> Pending<'a> {
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

fn error<'a>(span: Span, path: At<'a>, code: ProblemCode, msg: Msg<'a>) -> Pending<'a> {
    Pending { span, severity: Severity::Error, code, path, msg }
}

/// Property paths of the values findings are about.
struct Paths(FxMap<*const Node, Vec<PathSegment>>);

impl Paths {
    fn get(&self, node: &Node) -> Vec<PathSegment> {
        self.0.get(&(node as *const Node)).cloned().unwrap_or_default()
    }
}

/// Finds the path of every value in `problems` with one walk of the tree.
fn paths_of(root: &Node, problems: &[Pending]) -> Paths {
    let mut wanted: FxMap<*const Node, Vec<PathSegment>> = FxMap::default();
    for p in problems {
        wanted.insert(p.path as *const Node, Vec::new());
        if let Msg::Enum { at, .. } = &p.msg {
            wanted.insert(*at as *const Node, Vec::new());
        }
    }
    if !wanted.is_empty() {
        walk(root, &mut Vec::new(), &mut wanted, &mut 0);
    }
    return Paths(wanted);

    enum Step<'n> {
        Key(&'n str),
        Index(usize),
    }

    fn walk<'n>(node: &'n Node, path: &mut Vec<Step<'n>>, wanted: &mut FxMap<*const Node, Vec<PathSegment>>, found: &mut usize) {
        if let Some(slot) = wanted.get_mut(&(node as *const Node)) {
            *slot = path
                .iter()
                .map(|s| match s {
                    Step::Key(k) => PathSegment::Key((*k).to_string()),
                    Step::Index(i) => PathSegment::Index(*i),
                })
                .collect();
            *found += 1;
        }
        match &node.kind {
            NodeKind::Object(props) => {
                for p in props {
                    if *found == wanted.len() {
                        return;
                    }
                    if let Some(v) = &p.value {
                        path.push(Step::Key(&p.key.value));
                        walk(v, path, wanted, found);
                        path.pop();
                    }
                }
            }
            NodeKind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if *found == wanted.len() {
                        return;
                    }
                    path.push(Step::Index(i));
                    walk(item, path, wanted, found);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}
