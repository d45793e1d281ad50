//! JavaScript value semantics that the reference CLI's JSON output depends on:
//! truthiness, the property order of plain objects (array-index keys first, in
//! ascending order), integral numbers printed without a fraction, and key sorting
//! by UTF-16 code units. Used so our output matches `JSON.stringify` key for key.

use serde_json::{Map, Number, Value};
use std::cmp::Ordering;

/// JavaScript truthiness of a JSON value (`null`, `false`, `0`, `""` are falsy;
/// every array and object, even empty, is truthy).
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Truthiness of an optional property (`undefined` is falsy).
pub fn truthy_opt(value: Option<&Value>) -> bool {
    value.is_some_and(truthy)
}

/// Whether `key` is an array index in the ECMAScript sense (canonical decimal
/// integer below 2^32 - 1). Such keys are enumerated first, in numeric order.
pub fn is_array_index(key: &str) -> bool {
    if key.is_empty() || key.len() > 10 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if key.len() > 1 && key.starts_with('0') {
        return false;
    }
    key.parse::<u64>().is_ok_and(|n| n < u32::MAX as u64)
}

/// Compare two strings the way `Array.prototype.sort()` does by default
/// (UTF-16 code unit order).
pub fn cmp_utf16(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Reorders the keys of `map` as a JavaScript object would enumerate them:
/// array-index keys first (ascending), then the others in insertion order.
pub fn order_object(map: Map<String, Value>) -> Map<String, Value> {
    if !map.keys().any(|k| is_array_index(k)) {
        return map;
    }
    let mut indexed: Vec<(u64, String, Value)> = Vec::new();
    let mut rest: Vec<(String, Value)> = Vec::new();
    for (k, v) in map {
        if is_array_index(&k) {
            let n = k.parse::<u64>().unwrap_or(0);
            indexed.push((n, k, v));
        } else {
            rest.push((k, v));
        }
    }
    indexed.sort_by_key(|(n, _, _)| *n);
    let mut out = Map::new();
    for (_, k, v) in indexed {
        out.insert(k, v);
    }
    for (k, v) in rest {
        out.insert(k, v);
    }
    out
}

fn normalize_number(n: Number) -> Number {
    if n.is_f64() {
        if let Some(f) = n.as_f64() {
            // JavaScript prints integral doubles without a fraction (and -0 as 0).
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                return Number::from(f as i64);
            }
        }
    }
    n
}

/// Recursively applies JavaScript object key order and number formatting, so that
/// `serde_json::to_string` of the result equals `JSON.stringify` of the same data
/// after a round trip through `JSON.parse`.
pub fn normalize(value: Value) -> Value {
    match value {
        Value::Number(n) => Value::Number(normalize_number(n)),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(m) => {
            let m: Map<String, Value> = m.into_iter().map(|(k, v)| (k, normalize(v))).collect();
            Value::Object(order_object(m))
        }
        other => other,
    }
}

/// `JSON.stringify(value)` (compact). serde_json escapes strings exactly like
/// JavaScript does (`"`, `\`, control characters; lowercase `\u00xx`).
pub fn stringify(value: &Value) -> String {
    // Serializing a `Value` cannot fail (all keys are strings).
    serde_json::to_string(&normalize(value.clone())).unwrap_or_default()
}

/// Renders a JavaScript number the way template literals do (`${n}`):
/// integral values without a fraction, infinities as `Infinity`/`-Infinity`.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i128)
    } else {
        format!("{n}")
    }
}

/// A JavaScript number as a JSON value (`NaN`/`Infinity` serialize as `null`).
pub fn number_value(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        return Value::Number(Number::from(n as i64));
    }
    Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `parseInt(s, 10)` as JavaScript does it: optional leading whitespace and sign,
/// then the longest run of decimal digits; `None` (NaN) when there are none.
pub fn parse_int(s: &str) -> Option<f64> {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let v: f64 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness_follows_javascript() {
        for v in [json!(null), json!(false), json!(0), json!(0.0), json!("")] {
            assert!(!truthy(&v), "{v} should be falsy");
        }
        for v in [
            json!(true),
            json!(1),
            json!(-1.5),
            json!("0"),
            json!([]),
            json!({}),
        ] {
            assert!(truthy(&v), "{v} should be truthy");
        }
        assert!(!truthy_opt(None));
    }

    #[test]
    fn array_index_keys() {
        assert!(is_array_index("0"));
        assert!(is_array_index("3000"));
        assert!(is_array_index("4294967294"));
        assert!(!is_array_index("4294967295"));
        assert!(!is_array_index("01"));
        assert!(!is_array_index("-1"));
        assert!(!is_array_index("1.5"));
        assert!(!is_array_index(""));
        assert!(!is_array_index("web"));
    }

    #[test]
    fn objects_are_ordered_like_javascript() {
        let v: Value =
            serde_json::from_str(r#"{"web":1,"8080":2,"z":{"b":1,"10":2,"2":3},"3000":4}"#)
                .unwrap();
        assert_eq!(
            stringify(&v),
            r#"{"3000":4,"8080":2,"web":1,"z":{"2":3,"10":2,"b":1}}"#
        );
    }

    #[test]
    fn numbers_print_like_javascript() {
        let v: Value = serde_json::from_str(r#"[1.0, 1e3, -0.0, 1.5, 7]"#).unwrap();
        assert_eq!(stringify(&v), "[1,1000,0,1.5,7]");
        assert_eq!(number_to_string(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(number_to_string(4294967296.0), "4294967296");
        assert_eq!(number_value(f64::NEG_INFINITY), Value::Null);
    }

    #[test]
    fn strings_escape_like_javascript() {
        let v = json!("a\"b\\c\n\u{1}\u{7f}\u{2028}é/");
        assert_eq!(stringify(&v), "\"a\\\"b\\\\c\\n\\u0001\u{7f}\u{2028}é/\"");
    }

    #[test]
    fn parse_int_like_javascript() {
        assert_eq!(parse_int("3000"), Some(3000.0));
        assert_eq!(parse_int(" 42abc"), Some(42.0));
        assert_eq!(parse_int("-7"), Some(-7.0));
        assert_eq!(parse_int("abc"), None);
    }

    #[test]
    fn utf16_sorting() {
        // U+FF5E sorts after U+1F600 in UTF-8 byte order but before it in UTF-16.
        assert_eq!(cmp_utf16("\u{1F600}", "\u{FF5E}"), Ordering::Less);
        assert_eq!(cmp_utf16("a", "b"), Ordering::Less);
    }
}
