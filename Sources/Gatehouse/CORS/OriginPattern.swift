/// `cors_allow_origin_regex`, compiled once and matched like Python's `re.fullmatch`:
/// the whole origin, scalar by scalar (an origin is latin-1 text, not grapheme clusters).
struct OriginPattern {
    // Regex<AnyRegexOutput> is not declared Sendable; this one is never mutated after
    // init and matching does not mutate it either.
    private let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws(ConfigError) {
        do {
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw ConfigError("cors_allow_origin_regex: not a valid regular expression: \(error)")
        }
    }

    func matchesWhole(_ origin: String) -> Bool {
        (try? regex.wholeMatch(in: origin)) != nil
    }
}
