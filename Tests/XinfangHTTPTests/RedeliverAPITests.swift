import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// `POST /api/v1/sync/outbox/redeliver`: the system administrator's alone, its parameters checked,
/// and audited. (Dead items going through once redelivered: `FlagTests.peerUnreachableAndDeadItems`.)
struct RedeliverAPITests {
    @Test func onlyTheSystemAdministratorRedeliversAndBadParametersAreRefused() async throws {
        let node = try TestNode()
        try await node.withAPI(as: .leader) { api in
            let refused = try await api.request(.post, "/api/v1/sync/outbox/redeliver")
            #expect(refused.status == 403)
        }
        try await node.withAPI(as: .systemAdmin) { api in
            let none = try await api.request(.post, "/api/v1/sync/outbox/redeliver")
            #expect(none.status == 200 && none.json["redelivered"] as? Int == 0, "\(none.text)")
            for (query, field) in [
                ("peer=430100", "peer"),  // not adjacent: this node has no topology
                ("peer=../x", "peer"), ("items=abc", "items"), ("items=0", "items"), ("items=", "items"),
                ("items=" + (1...101).map(String.init).joined(separator: ","), "items"),
            ] {
                let refused = try await api.request(.post, "/api/v1/sync/outbox/redeliver?\(query)")
                #expect(refused.status == 400 && refused.json["field"] as? String == field, "\(query): \(refused.status) \(refused.text)")
            }
            #expect(try await api.request(.post, "/api/v1/sync/outbox/redeliver?items=1,2").status == 200)
        }
        let audited = try await node.database.auditRows(after: 0, limit: 10, action: "sync.redeliver")
        #expect(audited.map(\.entry.object) == ["all", "all"] && audited.map(\.entry.detail) == ["", "items=1,2"], "\(audited)")
    }
}
