/// The hierarchy sync (referral packets, outbox and inbox, signatures, anti-entropy) lives here.
///
/// The foundation runs one node; the sync issue fills this module. Its place in the graph is fixed
/// now so that the dependency direction (Sync on Core and Store, Server on Sync) holds from the start.
public enum XinfangSync {
    /// The version of the peer protocol this module speaks.
    public static let protocolVersion = 1
}
