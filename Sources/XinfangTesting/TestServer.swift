public import XinfangCore
public import XinfangHTTP
public import XinfangStore

/// A node's services over an in-memory store and a manual clock, for HTTP tests.
public struct TestNode: Sendable {
    public var services: NodeServices
    public var clock: ManualClock

    public init(identity: NodeIdentity = NodeIdentity(id: Fixtures.county, name: "芙蓉区人社局", level: .county), clock: ManualClock = ManualClock()) throws
    {
        self.clock = clock
        services = NodeServices(identity: identity, database: try NodeDatabase.inMemory(node: identity.id), clock: clock)
    }

    public var database: NodeDatabase { services.database }
}
