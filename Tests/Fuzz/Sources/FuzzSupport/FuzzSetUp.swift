/// One-time state (keys, the App, Swift's lazy globals) built with LeakSanitizer looking away.
/// Swift keeps an enum's case in a pointer's spare bits, so an object that only an enum in a
/// global refers to looks unreachable to LSan; without this, such set-up is reported as a leak.
public enum FuzzSetUp {
    public static func run(_ body: () -> Void) {
        lsanDisable()
        body()
        lsanEnable()
    }
}

@_silgen_name("__lsan_disable") private func lsanDisable()
@_silgen_name("__lsan_enable") private func lsanEnable()
