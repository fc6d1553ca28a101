import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// Events and commands name their format (issue 20): format 1 is the form written before they did
/// (no field; `GoldenChainTests` pins its hashes), format 2 names itself under the hash and the
/// signature. A chain mixing both verifies; stripping or altering the field breaks it; a release
/// refuses what it cannot read, naming both versions; a topology cannot ask a build to write a
/// format it does not know.
struct DataFormatTests {
    static let start = Fixtures.instant("2026-11-02T09:00:00+08:00")
    static let key = NodeKey()

    func json(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try CanonicalJSON.encoder.encode(value)) as! [String: Any]
    }

    @Test func aChainBegunInFormatOneAndContinuedInFormatTwoFolds() throws {
        var chain = try ChainBuilder(now: Self.start)
        try chain.act(.comment(text: "已阅"))
        chain.format = 2
        try chain.act(.notify(note: "已受理"))
        try chain.act(.comment(text: "已核实"))
        #expect(chain.events.map(\.format) == [1, 1, 2, 2])
        #expect(chain.events.map(\.formatField) == [nil, nil, 2, 2])
        let folded = try CaseState.fold(chain.events)
        #expect(folded.headSeq == 4 && folded.headHash == chain.events.last!.hash)

        // Format 1 is written without the field; format 2 with it, and a round trip keeps both.
        #expect(try json(chain.events[1])["format"] == nil)
        #expect(try json(chain.events[2])["format"] as? Int == 2)
        let decoded = try CanonicalJSON.decoder.decode([CaseEvent].self, from: try CanonicalJSON.encoder.encode(chain.events))
        #expect(decoded == chain.events && decoded.allSatisfy { $0.computedHash() == $0.hash })
    }

    @Test func theFieldIsUnderTheHashSoStrippingOrRaisingItBreaksTheChain() throws {
        var chain = try ChainBuilder(now: Self.start)
        chain.format = 2
        try chain.act(.comment(text: "已阅"))
        try chain.act(.notify(note: "已受理"))
        var stripped = chain.events
        stripped[1].formatField = nil
        #expect(stripped[1].computedHash() != stripped[1].hash)
        #expect(throws: ChainError.self) { try CaseState.fold(stripped) }
        var raised = chain.events
        raised[1].formatField = 3
        #expect(throws: ChainError.self) { try CaseState.fold(raised) }
        // The same fields in format 1 hash to another value: the format is part of the fact.
        let e = chain.events[1]
        let asFormatOne = CaseEvent(
            caseNumber: e.caseNumber,
            epoch: e.epoch,
            seq: e.seq,
            prevHash: e.prevHash,
            origin: e.origin,
            time: e.time,
            actor: e.actor,
            body: e.body,
            format: 1
        )
        #expect(asFormatOne.hash != e.hash && asFormatOne.formatField == nil)
    }

    @Test func aCommandSignsItsFormatFromFormatTwo() throws {
        let topologyNode = TopologyNode(
            id: Fixtures.city,
            name: "长沙市",
            level: .city,
            parent: nil,
            baseURL: "http://city.invalid",
            publicKey: Self.key.publicKeyBase64
        )
        func command(format: Int) -> CaseCommand {
            var command = CaseCommand(
                id: "430100-1793581200000-\(format)",
                caseNumber: CaseNumber(rawValue: "430102-20261102-00001"),
                origin: Fixtures.city,
                actor: "督查员",
                action: .comment(text: "请尽快办理"),
                createdAt: Self.start,
                format: format
            )
            Self.key.sign(&command)
            return command
        }
        let old = command(format: 1)
        let new = command(format: 2)
        #expect(try json(old)["format"] == nil && json(new)["format"] as? Int == 2)
        #expect(topologyNode.verifies(old) && topologyNode.verifies(new))
        var stripped = new
        stripped.formatField = nil
        #expect(!topologyNode.verifies(stripped), "a relay cannot pass a format-2 command off as format 1")
        let decoded = try CanonicalJSON.decoder.decode(CaseCommand.self, from: try CanonicalJSON.encoder.encode(new))
        #expect(decoded == new && topologyNode.verifies(decoded))
    }

    @Test func aReleaseRefusesWhatItCannotReadNamingBothVersions() throws {
        var chain = try ChainBuilder(now: Self.start)
        chain.format = 2
        try chain.act(.comment(text: "已阅"))
        let number = chain.state.caseNumber.rawValue
        #expect(FormatReader.build.refusal(chains: [chain.events], commands: []) == nil)
        #expect(
            FormatReader.previousRelease.refusal(chains: [chain.events], commands: [])
                == "this node reads event formats 1; event \(number) is format 2: upgrade this node"
        )
        let command = CaseCommand(
            id: "c-1",
            caseNumber: chain.state.caseNumber,
            origin: Fixtures.city,
            actor: "督查员",
            action: .comment(text: "请尽快办理"),
            createdAt: Self.start,
            format: 1
        )
        // A later release reading commands 2–3 refuses format 1 as older than the one before it,
        // but reads every event format it knows: old chains stay readable.
        let later = FormatReader(events: 1...3, commands: 2...3)
        #expect(later.refusal(chains: [chain.events], commands: []) == nil)
        #expect(later.refusal(chains: [], commands: [command]) == "this node reads command formats 2–3; command c-1 is format 1: upgrade the sender")
        // A format-1 item naming its format is not in the one canonical form of format 1.
        var explicit = chain.events
        explicit[0].formatField = 1
        #expect(FormatReader.build.refusal(chains: [explicit], commands: [])?.hasSuffix("format 1 is written without the field") == true)
    }

    @Test func aTopologyNamesFormatsThisBuildWrites() throws {
        let node = TopologyNode(
            id: Fixtures.province,
            name: "湖南省",
            level: .province,
            parent: nil,
            baseURL: "http://province.invalid",
            publicKey: Self.key.publicKeyBase64
        )
        #expect(try Topology(nodes: [node]).validated().writtenFormats == .previous)
        #expect(try Topology(nodes: [node], formats: .newest).validated().writtenFormats == DataFormats(event: 2, command: 2))
        for formats in [DataFormats(event: 3, command: 2), DataFormats(event: 2, command: 3), DataFormats(event: 0, command: 1)] {
            #expect(throws: ValidationFailure.self) { try Topology(nodes: [node], formats: formats).validated() }
        }
        // The file's form: `"formats": {"event": 2, "command": 2}`, absent in files written before.
        let file = try CanonicalJSON.encoder.encode(Topology(nodes: [node], formats: .newest))
        #expect(try json(Topology(nodes: [node], formats: .newest))["formats"] as? [String: Int] == ["command": 2, "event": 2])
        #expect(try CanonicalJSON.decoder.decode(Topology.self, from: file).formats == .newest)
    }
}
