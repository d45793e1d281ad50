// JSON requests in. Each key is read through a typed accessor; `finish()`
// refuses the keys nobody read with UNSUPPORTED, naming them, so nothing a
// caller asks for is ignored. Wrong types are INVALID_ARGUMENT. Requests are
// parsed into plain values before any async work starts.

import CoreFoundation
import Foundation

final class Request {
    let operation: String
    private let values: [String: Any]
    private var read: Set<String> = []

    init(_ pointer: UnsafePointer<CChar>?, _ operation: String) throws {
        self.operation = operation
        guard let pointer else {
            values = [:]
            return
        }
        guard let text = String(validatingCString: pointer) else {
            throw BridgeError(.invalidArgument, "the \(operation) request is not UTF-8")
        }
        let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        guard let object = parsed as? [String: Any] else {
            throw BridgeError(.invalidArgument, "the \(operation) request must be a JSON object")
        }
        values = object
    }

    private init(nested: [String: Any], operation: String) {
        self.operation = operation
        self.values = nested
    }

    private func value(_ key: String) -> Any? {
        read.insert(key)
        guard let v = values[key], !(v is NSNull) else { return nil }
        return v
    }

    private func wrong(_ key: String, _ expected: String) -> BridgeError {
        BridgeError(.invalidArgument, "\"\(key)\" in the \(operation) request must be \(expected)")
    }

    private static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return CFGetTypeID(n as CFTypeRef) == CFBooleanGetTypeID()
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v as? String else { throw wrong(key, "a string") }
        return s
    }

    func requiredString(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else {
            throw BridgeError(.invalidArgument, "the \(operation) request needs \"\(key)\"")
        }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard Self.isBool(v), let b = v as? Bool else { throw wrong(key, "true or false") }
        return b
    }

    func int(_ key: String) throws -> Int64? {
        guard let v = value(key) else { return nil }
        guard !Self.isBool(v), let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() else {
            throw wrong(key, "an integer")
        }
        return n.int64Value
    }

    func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard !Self.isBool(v), let n = v as? NSNumber else { throw wrong(key, "a number") }
        return n.doubleValue
    }

    func strings(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        guard let items = v as? [Any], let strings = items as? [String], strings.count == items.count else {
            throw wrong(key, "a list of strings")
        }
        return strings
    }

    func stringMap(_ key: String) throws -> [String: String]? {
        guard let v = value(key) else { return nil }
        guard let object = v as? [String: Any] else { throw wrong(key, "an object of strings") }
        var out: [String: String] = [:]
        for (k, item) in object {
            guard let s = item as? String else { throw wrong(key, "an object of strings") }
            out[k] = s
        }
        return out
    }

    /// A list of objects, each read with its own accessors (and `finish`).
    func objects(_ key: String) throws -> [Request]? {
        guard let v = value(key) else { return nil }
        guard let items = v as? [Any] else { throw wrong(key, "a list of objects") }
        return try items.map { item in
            guard let object = item as? [String: Any] else { throw wrong(key, "a list of objects") }
            return Request(nested: object, operation: "\(operation) \(key)")
        }
    }

    /// Refuses the keys no accessor read.
    func finish() throws {
        if let key = Set(values.keys).subtracting(read).sorted().first {
            throw BridgeError(.unsupported, "this bridge does not support \"\(key)\" in a \(operation) request")
        }
    }
}
