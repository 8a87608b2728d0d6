import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// Text on its way into a log line: control characters (C0, DEL, C1, and the Unicode line
/// and paragraph separators) become `\u{…}`, so that no value from a request can start a
/// forged line or move a terminal's cursor.
public enum LogText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }
}

/// Wraps a handler so that every message and metadata value it writes is escaped: the
/// guarantee holds for every log call, not only for those that remembered to escape.
public struct EscapingLogHandler: LogHandler {
    public var wrapped: any LogHandler
    let label: String

    public init(_ wrapped: any LogHandler, label: String = "gatehouse") {
        self.wrapped = wrapped
        self.label = label
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = EscapingLogHandler.escaped(newValue) ?? [:] }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map { .string(LogText.escaped($0.description)) } }
    }

    public func log(event: LogEvent) {
        if LogFormat.current == .json {
            let line = LogFormat.jsonLine(event, label: label, metadata: wrapped.metadata, now: Int64(Date().timeIntervalSince1970))
            StandardError.write((line + "\n"))
            return
        }
        var event = event
        event.message = Logger.Message(stringLiteral: LogText.escaped(event.message.description))
        event.metadata = EscapingLogHandler.escaped(event.metadata)
        wrapped.log(event: event)
    }

    static func escaped(_ metadata: Logger.Metadata?) -> Logger.Metadata? {
        metadata?.mapValues { .string(LogText.escaped($0.description)) }
    }
}

/// `log_format = json`: one JSON object a line (time, level, logger, message, metadata),
/// for log collectors. Chosen when the settings are read, after logging has started, so the
/// handlers look it up at each line.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    private static let jsonLines = Atomic<Bool>(false)

    public static var current: LogFormat {
        get { jsonLines.load(ordering: .relaxed) ? .json : .text }
        set { jsonLines.store(newValue == .json, ordering: .relaxed) }
    }

    /// One line for `event`; JSON's own string escaping keeps every control character out.
    package static func jsonLine(_ event: LogEvent, label: String, metadata: Logger.Metadata, now: Int64) -> String {
        var members: [(String, JSON)] = [
            ("time", .string(ISOTime.string(now))), ("level", .string(event.level.rawValue)), ("logger", .string(label)),
            ("message", .string(event.message.description)),
        ]
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in all.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            members.append((key, .string(all[key]?.description ?? "")))
        }
        return JSON.object(members).text
    }
}
