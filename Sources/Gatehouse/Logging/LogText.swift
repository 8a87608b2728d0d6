import Logging

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

    public init(_ wrapped: any LogHandler) { self.wrapped = wrapped }

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
        var event = event
        event.message = Logger.Message(stringLiteral: LogText.escaped(event.message.description))
        event.metadata = EscapingLogHandler.escaped(event.metadata)
        wrapped.log(event: event)
    }

    static func escaped(_ metadata: Logger.Metadata?) -> Logger.Metadata? {
        metadata?.mapValues { .string(LogText.escaped($0.description)) }
    }
}
