/// The release: OpenAPI's info.version, `gatehouse --version` and the Debian package's
/// version all read it from here.
public enum Version {
    public static let current = "0.1.0"
}
