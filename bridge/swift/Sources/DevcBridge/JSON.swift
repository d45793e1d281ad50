// JSON out (a small value type with an exact, deterministic encoder: keys in
// the order given, every control character escaped) and the envelope of
// devc_bridge.h, returned as strdup'd C strings freed by devc_bridge_free.

import Foundation

enum JSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// An object from pairs; nil values are left out.
    static func obj(_ pairs: [(String, JSON?)]) -> JSON {
        .object(pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    static func strings(_ values: [String]) -> JSON {
        .array(values.map { .string($0) })
    }

    /// A string map, keys sorted.
    static func map(_ values: [String: String]) -> JSON {
        .object(values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .null:
            out += "null"
        case .bool(let b):
            out += b ? "true" : "false"
        case .int(let i):
            out += String(i)
        case .double(let d):
            out += d.isFinite ? String(d) : "null"
        case .string(let s):
            JSON.escape(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                JSON.escape(pair.0, into: &out)
                out += ":"
                pair.1.write(into: &out)
            }
            out += "}"
        }
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// `{"ok":true[,"data":…]}`.
func okEnvelope(_ data: JSON?) -> String {
    guard let data else { return #"{"ok":true}"# }
    return JSON.object([("ok", .bool(true)), ("data", data)]).text
}

/// `{"ok":false,"err":…,"code":…}`.
func errorEnvelope(_ error: BridgeError) -> String {
    let message = error.message.isEmpty ? error.code.rawValue : error.message
    return JSON.object([("ok", .bool(false)), ("err", .string(message)), ("code", .string(error.code.rawValue))]).text
}

/// A C string the caller frees with devc_bridge_free (which calls free).
func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
    if let copy = strdup(text) {
        return copy
    }
    // Out of memory: nothing sensible can be returned.
    abort()
}
