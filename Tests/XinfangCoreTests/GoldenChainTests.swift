import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The hashed event format, pinned (issue 14, step 1): a chain with every event kind and a
/// command, its canonical bytes, hashes and signatures committed in `Fixtures/golden-chain.json`.
/// A change that alters what an event hashes to (a renamed field, another date form, a new field
/// encoded when absent) fails here instead of silently breaking the verification of every chain
/// already stored. Regenerate only for a deliberate format change: `XINFANG_UPDATE_GOLDEN=1`.
struct GoldenChainTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden-chain.json")
    /// A key for this fixture only (32 bytes 1…32), never a node's.
    static let key = try! NodeKey(privateKeyBase64: Data((1...32).map { UInt8($0) }).base64EncodedString())
    static let number = CaseNumber(rawValue: "430102-20261102-00001")
    static let start = Fixtures.instant("2026-11-02T09:00:00+08:00")

    struct Golden: Codable, Equatable {
        var publicKey: String
        var events: [Entry]
    }

    struct Entry: Codable, Equatable {
        var kind: String
        var canonical: String
        var hash: String
        var signature: String
    }

    /// One body of every kind, in a fixed order, with fixed parameters.
    static var bodies: [(CaseEventBody, CaseCommand?)] {
        let t = { (days: Int) in start.addingTimeInterval(Double(days) * 86_400) }
        let d = { (text: String) in Fixtures.day(text) }
        var registration = CaseRegistration(
            channel: .visit,
            collective: CollectiveVisit(batches: 1, personVisits: 12),
            petitioners: [Petitioner(name: "张伟", idType: .residentIdentityCard, idNumber: nil, mobile: nil, address: nil, isLead: true)],
            personsInvolved: 12,
            purpose: .accusation,
            category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            issueRegion: RegionCode(rawValue: "430102"),
            summary: "反映拖欠工资",
            text: "某公司拖欠工资。",
            respondent: "某公司",
            receivedAt: start,
            registeredBy: "登记员",
            urgent: true,
            lawRelated: false,
            linkedCases: [CaseNumber(rawValue: "430100-20261001-00007")]
        )
        registration.respondentNode = NodeID("431200")
        registration.intake = IntakeFinding(
            kind: .repeatPetition,
            earlierCase: CaseNumber(rawValue: "430100-20261001-00007"),
            earlierHolder: NodeID("430100")
        )
        var command = CaseCommand(
            id: "430100-1793581200000-0",
            caseNumber: number,
            origin: NodeID("430100"),
            actor: "督查员",
            action: .supervise(by: NodeID("430100"), dueAt: t(10), note: "请限期反馈"),
            createdAt: t(1)
        )
        key.sign(&command)
        let actions: [CaseAction] = [
            .offer(to: NodeID("430104"), mode: .assign, dueAt: t(30), note: "请办理"), .accept, .decline(reason: "不属本机关管辖"),
            .notify(note: "已受理"), .reject(reason: "不符合受理条件"), .routeOut(channel: .laborArbitration, note: "请申请仲裁"),
            .refuseRepeat(earlierCase: CaseNumber(rawValue: "430100-20261001-00007"), reason: "已复核"),
            .extend(days: 30, approver: "局长", reason: "情况复杂"), .reply(outcome: .supported, opinion: "责令支付"), .close(report: "办结报告"),
            .verifyClosure(note: "认定办结"), .returnClosure(reason: "事实不清"), .evaluate(office: .satisfied, unit: .dissatisfied, comment: "仍有意见"),
            .requestReview(reason: "不服", reviewer: NodeID("430100"), routing: "改由上一级"), .decideReview(outcome: .notSupported, opinion: "维持"),
            .requestReReview(reason: "仍不服", reviewer: NodeID("430000")), .decideReReview(outcome: .explained, opinion: "解释说明"),
            .terminate(reason: "复核终结"), .comment(text: "备注"), .escalate(to: NodeID("430100"), reason: "无法协调", routing: nil),
            .recall(by: NodeID("430100"), reason: "提级办理"), .supervisionFeedback(text: "已整改"),
            .repeatPetition(newCase: CaseNumber(rawValue: "430000-20261103-00001"), note: nil), .takeOver(by: NodeID("430100"), reason: "无响应"),
            .resolveConflict(branch: String(repeating: "ab", count: 32), decision: .adopt, reason: "采纳"),
            .deliver(on: d("2026-11-05"), method: .mail, signed: false, note: "拒收"), .hearing(from: d("2026-11-06"), to: d("2026-11-07"), note: "听证"),
        ]
        return [(.register(registration), nil)] + actions.map { (.act($0), nil) } + [
            (.act(command.action), command), (.refuse(code: "not-the-parent", detail: "不是直接上级"), command),
            // Added with the case file (issue 17), after the kinds pinned before it.
            (
                .act(
                    .attach(
                        AttachmentRef(
                            sha256: String(repeating: "cd", count: 32),
                            size: 3_145_728,
                            mediaType: .pdf,
                            fileName: "来信扫描件.pdf",
                            stage: .registration
                        )
                    )
                ), nil
            ),
            (.act(.withdrawAttachment(sha256: String(repeating: "cd", count: 32), reason: "误传")), nil),
            // The written notices (issue 17).
            (
                .act(
                    .issueNotice(
                        NoticeRecord(
                            kind: .handlingOpinion,
                            docNumber: "芙人社信〔2026〕7号",
                            sha256: String(repeating: "ef", count: 32),
                            size: 8_192,
                            occasion: "handlingOpinion@1796000000000"
                        )
                    )
                ), nil
            ),
            (
                .act(.serveNotice(docNumber: "芙人社信〔2026〕7号", on: CivilDate(year: 2026, month: 12, day: 3)!, method: .mail, signed: true, note: nil)),
                nil
            ),
            // The 查询码 and the petitioner's own evaluation (issue 18).
            (
                .act(
                    .reissueLookupCode(
                        LookupSeal(
                            digest: String(repeating: "12", count: 32),
                            sealed: SealedValue(alg: "A256GCM", kid: "k1", box: "c2VhbGVkIGNvZGU=")
                        )
                    )
                ), nil
            ),
            (.act(.evaluate(office: .basicallySatisfied, unit: .satisfied, comment: nil, via: .online)), nil),
            // 退单 of a petition another system handed over (issue 18).
            (.act(.returnToSender(reason: .incomplete, note: "缺少身份证明")), nil),
        ]
    }

    /// The chain built from `bodies`: linked by hash, one minute apart, signed with `key`.
    static func chain() -> [CaseEvent] {
        var events: [CaseEvent] = []
        for (i, (body, command)) in bodies.enumerated() {
            var event = CaseEvent(
                caseNumber: number,
                epoch: body.kind == "takeOver" ? 1 : 0,
                seq: i + 1,
                prevHash: events.last?.hash,
                origin: NodeID("430102"),
                time: HLCTimestamp(wallMs: Int64(start.timeIntervalSince1970 * 1000) + Int64(i) * 60_000, logical: Int32(i % 3)),
                actor: "经办人",
                body: body,
                command: command
            )
            key.sign(&event)
            events.append(event)
        }
        return events
    }

    @Test func theHashedBytesOfEveryEventKindAreUnchanged() throws {
        let events = Self.chain()
        #expect(Set(events.map(\.body.kind)) == Set(["register", CaseEventBody.refusedKind] + ActionName.allCases.map(\.rawValue)), "every kind")
        if ProcessInfo.processInfo.environment["XINFANG_UPDATE_GOLDEN"] == "1" {
            let golden = Golden(
                publicKey: Self.key.publicKeyBase64,
                events: events.map {
                    Entry(
                        kind: $0.body.kind,
                        canonical: String(decoding: $0.canonicalBytes(), as: UTF8.self),
                        hash: $0.hash,
                        signature: $0.signature ?? ""
                    )
                }
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(golden).write(to: Self.file)
        }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.file))
        #expect(golden.events.count == events.count)
        for (event, entry) in zip(events, golden.events) {
            #expect(String(decoding: event.canonicalBytes(), as: UTF8.self) == entry.canonical, "\(entry.kind): the canonical bytes changed")
            #expect(event.hash == entry.hash, "\(entry.kind): the hash changed")
        }
    }

    /// Events signed before a change verify after it: the committed events, decoded from their
    /// canonical bytes, hash to what they say and carry signatures the committed key verifies.
    @Test func committedEventsDecodeHashAndVerify() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.file))
        let node = TopologyNode(
            id: NodeID("430102"),
            name: "芙蓉区",
            level: .county,
            parent: nil,
            baseURL: "http://127.0.0.1:1",
            publicKey: golden.publicKey
        )
        for entry in golden.events {
            var event = try CanonicalJSON.decoder.decode(CaseEvent.self, from: try Self.withHash(entry))
            #expect(event.computedHash() == entry.hash, "\(entry.kind): decoding and hashing again gives the committed hash")
            event.signature = entry.signature
            #expect(node.verifies(event), "\(entry.kind): the committed signature verifies")
            #expect(String(decoding: event.canonicalBytes(), as: UTF8.self) == entry.canonical, "\(entry.kind): the bytes round-trip")
        }
    }

    /// The canonical object with its `hash` member added, as a stored event is encoded.
    static func withHash(_ entry: Entry) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: Data(entry.canonical.utf8)) as? [String: Any] else {
            throw ValidationFailure(code: "not-an-object", field: entry.kind, detail: "the canonical form is not a JSON object")
        }
        object["hash"] = entry.hash
        return try JSONSerialization.data(withJSONObject: object)
    }
}
