import Foundation
import XinfangCore
import XinfangStore
import XinfangSync

/// A seeded mutation fuzzer for the two decoders that take bytes from outside: the registration
/// body of `POST /api/v1/cases` (decoded, validated and registered as the API does) and the
/// packet of `POST /sync/v1/packets` (as a buggy but authenticated peer would send it: every
/// mutated body gets a fresh sequence number and time when it still parses, and is signed with the
/// sender's key, so the mutations reach the item handling behind the hop checks). An input may be
/// accepted or refused with a 4xx; anything else (a 5xx-class error, a crash) is a finding.
/// Deterministic for a seed (the same inputs in the same order).
public struct Fuzzer: Sendable {
    public enum Target: String, CaseIterable, Sendable {
        case registration
        case packet
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var target: Target
        public var inputs = 0
        public var accepted = 0
        public var refused = 0
        public var findings: [String] = []
        /// Refusals by code (packets: the whole packet's code).
        public var refusedBy: [String: Int] = [:]
        public var seconds: Double = 0
        public var description: String {
            let rate = seconds > 0 ? Double(inputs) / seconds : 0
            return "fuzz \(target.rawValue): \(inputs) inputs in \(String(format: "%.1f", seconds)) s (\(Int(rate))/s), "
                + "\(accepted) accepted, \(refused) refused, \(findings.count) findings"
                + (refusedBy.isEmpty
                    ? ""
                    : "; refused by " + refusedBy.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }

    public let seed: UInt64
    public init(seed: UInt64) { self.seed = seed }

    /// Runs `target` for `seconds` or `maxInputs`, whichever ends first.
    public func run(_ target: Target, seconds: Double, maxInputs: Int = .max, progress: @Sendable (Report) -> Void = { _ in }) async throws -> Report
    {
        var rng = SeededRandom(seed: seed)
        var report = Report(target: target)
        let start = Date()
        let harness = try await Harness(target: target)
        var corpus = harness.seeds
        while report.inputs < maxInputs, Date().timeIntervalSince(start) < seconds {
            let base = corpus[Int(rng.next() % UInt64(corpus.count))]
            let input = Self.mutate(base, with: corpus[Int(rng.next() % UInt64(corpus.count))], rng: &rng)
            report.inputs += 1
            switch await harness.feed(input, index: report.inputs) {
            case .accepted:
                report.accepted += 1
                if corpus.count < 64, input.count < 64 * 1024 { corpus.append(input) }
            case .refused(let code):
                report.refused += 1
                if let code { report.refusedBy[code, default: 0] += 1 }
            case .finding(let what):
                if report.findings.count < 20 { report.findings.append("input \(report.inputs): \(what)") }
            }
            if report.inputs % 1000 == 0 {
                report.seconds = Date().timeIntervalSince(start)
                progress(report)
            }
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    enum Outcome {
        case accepted
        case refused(String?)
        case finding(String)
    }

    /// The system under test for one target, with its seed inputs.
    struct Harness {
        let target: Target
        let database: NodeDatabase
        var seeds: [Data] = []
        var senderKey: NodeKey?
        /// The session the county opened for the city's packets.
        var session = ""
        let now = Date()

        static let city = NodeID("430100")
        static let county = NodeID("430102")

        init(target: Target) async throws {
            self.target = target
            switch target {
            case .registration:
                database = try NodeDatabase.inMemory(node: Self.county)
                seeds = [Self.registrationSeed(person: 1, withID: true), Self.registrationSeed(person: 2, withID: false)].map { Data($0.utf8) }
            case .packet:
                let cityKey = NodeKey()
                let countyKey = NodeKey()
                let topology = Topology(nodes: [
                    TopologyNode(
                        id: Self.city,
                        name: "市",
                        level: .city,
                        parent: nil,
                        baseURL: "http://127.0.0.1:1",
                        publicKey: cityKey.publicKeyBase64
                    ),
                    TopologyNode(
                        id: Self.county,
                        name: "区",
                        level: .county,
                        parent: Self.city,
                        baseURL: "http://127.0.0.1:2",
                        publicKey: countyKey.publicKeyBase64
                    ),
                ])
                database = try NodeDatabase.inMemory(node: Self.county, hierarchy: Hierarchy(topology: topology, key: countyKey))
                senderKey = cityKey
                session = try await database.openReceiving(from: Self.city, now: now)
                // Real packets: the city registers cases and assigns them to the county.
                let city = try NodeDatabase.inMemory(node: Self.city, hierarchy: Hierarchy(topology: topology, key: cityKey))
                for person in 0..<3 {
                    let input = try JSONDecoder.api.decode(
                        RegistrationInput.self,
                        from: Data(Self.registrationSeed(person: person, withID: true).utf8)
                    )
                    let (state, _) = try await city.register(try input.registration(now: now), actor: "登记员", now: now)
                    _ = try await city.act(
                        on: state.caseNumber,
                        action: .offer(to: Self.county, mode: .assign, dueAt: now.addingTimeInterval(30 * 86_400), note: "请办理"),
                        actor: "领导",
                        now: now
                    )
                }
                var seq = 0
                while let batch = try await city.nextBatch(for: Self.county, now: now) {
                    seq += 1
                    seeds.append(
                        Packet(
                            from: Self.city,
                            to: Self.county,
                            number: PacketNumber(session: session, number: seq),
                            sentAt: now,
                            chains: [],
                            commands: batch.commands
                        )
                        .encoded(wireChains: batch.runs.map(\.events))
                    )
                    try await city.recordDelivery(batch, receipts: [], now: now, jitter: 0)
                    if seq > 5 { break }
                }
                if seeds.isEmpty {
                    seeds = [
                        Packet(
                            from: Self.city,
                            to: Self.county,
                            number: PacketNumber(session: session, number: 1),
                            sentAt: now,
                            chains: [],
                            commands: []
                        ).encoded()
                    ]
                }
            }
        }

        /// `now` as the packet's encoder writes it.
        static func sentAt(_ now: Date) -> Any {
            struct Stamp: Encodable { var at: Date }
            let data = (try? CanonicalJSON.encoder.encode(Stamp(at: now))) ?? Data()
            return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["at"] ?? 0
        }

        static func registrationSeed(person: Int, withID: Bool) -> String {
            let first17 = "43010219800101" + String(format: "%03d", person % 1000)
            let number = first17 + String(MainlandIDNumber.checkCharacter(for: first17)!)
            let id = withID ? #","idType":"residentIdentityCard","idNumber":"\#(number)""# : ""
            return """
                {"channel":"visit","petitioners":[{"name":"张伟","mobile":"138\(String(format: "%08d", person))","address":"湖南省长沙市芙蓉区五一大道1号","isLead":true\(id)}],\
                "purpose":"request","category":{"level1":"劳动和社会保障","level2":"劳动关系","level3":"拖欠农民工工资"},\
                "issueRegion":"430102","summary":"反映拖欠工资","text":"某公司拖欠本人三个月工资。","registeredBy":"李娜","linkedCases":[],"urgent":false}
                """
        }

        func feed(_ input: Data, index: Int) async -> Outcome {
            switch target {
            case .registration:
                do {
                    let decoded = try JSONDecoder.api.decode(RegistrationInput.self, from: input)
                    let registration = try decoded.registration(now: now)
                    _ = try await database.register(registration, actor: "fuzz", now: now)
                    return .accepted
                } catch is DecodingError {
                    return .refused("decoding")
                } catch let failure as ValidationFailure {
                    return .refused(failure.code)
                } catch StoreError.invalid(let failure) {
                    return .refused(failure.code)
                } catch {
                    return .finding("\(type(of: error)): \(error)".prefix(300).description)
                }
            case .packet:
                var body = input
                // Keep a parsing packet fresh (session, number, time), so it is not refused as a replay.
                if var object = (try? JSONSerialization.jsonObject(with: input)) as? [String: Any] {
                    object["session"] = session
                    object["packetSeq"] = index + 1
                    object["sentAt"] = Self.sentAt(now)
                    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) { body = data }
                }
                let receiver = PacketReceiver(database: database, clock: FixedClock(date: now))
                do {
                    let response = try await receiver.receive(body: body, from: Self.city.rawValue, signature: senderKey!.sign(body))
                    let rejected = response.receipts.first { $0.status == .rejected }
                    return rejected == nil ? .accepted : .refused("item:\(rejected?.code ?? "?")")
                } catch let refusal as PacketRefusal {
                    return refusal.status < 500 ? .refused(refusal.code) : .finding("refusal \(refusal.status) \(refusal.code): \(refusal.detail)")
                } catch {
                    return .finding("\(type(of: error)): \(error)".prefix(300).description)
                }
            }
        }
    }

    /// One mutation of `data` (with `other` for splicing).
    static func mutate(_ data: Data, with other: Data, rng: inout SeededRandom) -> Data {
        var bytes = [UInt8](data)
        let tokens: [String] = [
            "\"", "{", "}", "[", "]", ",", ":", "null", "true", "-1", "0", "1e309", "99999999999999999999", "\"\\u0000\"", "\"\\ud800\"",
            "\"" + String(repeating: "长", count: 300) + "\"", String(repeating: "[", count: 600), "\"430102\"", "\"2026-13-45\"", "\"\"",
            "\"assign\"", "\"registered\"", "\"act\"", "\"register\"", "{\"kind\":\"act\"}",
        ]
        let rounds = 1 + Int(rng.next() % 4)
        for _ in 0..<rounds {
            let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 9 {
            case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1 << (rng.next() % 8))
            case 1 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
            case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
            case 3 where !bytes.isEmpty:
                let length = min(bytes.count - position, 1 + Int(rng.next() % 16))
                bytes.removeSubrange(position..<(position + length))
            case 4: bytes.insert(contentsOf: Array(tokens[Int(rng.next() % UInt64(tokens.count))].utf8), at: position)
            case 5 where !bytes.isEmpty: bytes = Array(bytes.prefix(position))
            case 6:
                let from = [UInt8](other)
                guard !from.isEmpty else { break }
                let start = Int(rng.next() % UInt64(from.count))
                let length = min(from.count - start, 1 + Int(rng.next() % 64))
                bytes.insert(contentsOf: from[start..<(start + length)], at: position)
            default:
                // Structural: replace one JSON value somewhere with a value of another kind.
                if let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
                    let mutated = try? JSONSerialization.data(
                        withJSONObject: replaceValue(in: object, rng: &rng),
                        options: [.fragmentsAllowed, .sortedKeys]
                    )
                {
                    bytes = [UInt8](mutated)
                }
            }
        }
        return Data(bytes)
    }

    static func replaceValue(in value: Any, rng: inout SeededRandom) -> Any {
        let replacements: [Any] = [
            NSNull(), -1, 0, Int.max, 1.5, "", String(repeating: "x", count: 5000), [Any](), [String: Any](), true, "430102", "2026-01-01",
        ]
        switch value {
        case var object as [String: Any] where !object.isEmpty:
            let key = object.keys.sorted()[Int(rng.next() % UInt64(object.count))]
            object[key] = rng.next() % 3 == 0 ? replacements[Int(rng.next() % UInt64(replacements.count))] : replaceValue(in: object[key]!, rng: &rng)
            if rng.next() % 8 == 0 { object.removeValue(forKey: key) }
            return object
        case var array as [Any] where !array.isEmpty:
            let i = Int(rng.next() % UInt64(array.count))
            array[i] = replaceValue(in: array[i], rng: &rng)
            if rng.next() % 8 == 0 { array.append(array[i]) }
            return array
        default:
            return replacements[Int(rng.next() % UInt64(replacements.count))]
        }
    }
}

struct FixedClock: NodeClock {
    let date: Date
    func now() -> Date { date }
}

extension JSONDecoder {
    static var api: JSONDecoder { APIJSON.decoder }
}
