import ArgumentParser
import Foundation
import Hummingbird
import Logging
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore
import XinfangSync

/// P1 of the benchmark suite: signed events applied durably at a county, pushed by its city over
/// HTTP on loopback with the real packet code (one packet in flight, as the dispatcher sends), beside
/// two limits measured in the same run: the same rows inserted raw into SQLite in the same batches,
/// and Ed25519 verifications per second times the cores.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "P1: events/s applied durably at a node pushed by a peer over HTTP, against raw SQLite inserts and Ed25519 verifications."
    )

    @Option(help: "Cases the city registers and transfers to the county (2 events each).") var cases: Int = 25_000
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/ingest"
    @ArgumentParser.Flag(help: "Hand the packets to the receiver in process (no HTTP), to see what the transport costs.") var direct = false

    func validate() throws {
        guard (1...1_000_000).contains(cases) else { throw ValidationError("--cases 1…1000000") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        try? FileManager.default.removeItem(at: root)
        let city = ExampleHierarchy.changsha
        let county = ExampleHierarchy.furong
        let port = try freeLoopbackPort()
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { $0 == county ? "http://127.0.0.1:\(port)" : "direct://\($0)" })
        func open(_ node: NodeID, _ durability: NodeDatabase.Durability) throws -> NodeDatabase {
            try NodeDatabase.open(
                directory: root.appendingPathComponent(node.rawValue),
                node: node,
                calendar: .standard,
                hierarchy: Hierarchy(topology: topology, key: keys[node]!),
                durability: durability
            )
        }
        let sender = try open(city, .processCrashOnly)
        let receiver = try open(county, .full)
        print("the city registers and transfers \(cases) cases to the county …")
        let loadStarted = Date()
        for i in 0..<cases {
            let now = Date()
            let registration = CaseRegistration(
                channel: .letter,
                petitioners: [Petitioner(name: "张伟", mobile: String(format: "139%08d", i), isLead: true)],
                purpose: .request,
                category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
                issueRegion: RegionCode(rawValue: "430102"),
                summary: "反映拖欠工资",
                text: "某公司拖欠本人三个月工资，请求督促支付。",
                receivedAt: now,
                registeredBy: "bench"
            )
            let (state, _) = try await sender.register(registration, actor: "bench", now: now)
            _ = try await sender.act(on: state.caseNumber, action: .offer(to: county, mode: .transfer, dueAt: nil, note: nil), actor: "bench", now: now)
            if (i + 1) % 5000 == 0 { print("  \(i + 1) cases") }
        }
        print(String(format: "loaded in %.1f s", Date().timeIntervalSince(loadStarted)))

        var logger = Logger(label: "xinfang.bench.county")
        logger.logLevel = .critical
        let services = NodeServices(identity: NodeIdentity(id: county, name: "芙蓉区", level: .county), database: receiver)
        let (started, signalStarted) = AsyncStream<Void>.makeStream()
        let app = NodeApplication.application(services: services, host: "127.0.0.1", port: port, logger: logger) { _ in
            signalStarted.yield()
        }
        let (events, seconds, batches) = try await withThrowingTaskGroup(of: (Int, Double, [[CaseEvent]])?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            for await _ in started { break }
            let transport = HTTPPacketTransport()
            let to = topology.node(county)!
            var events = 0
            var batches: [[CaseEvent]] = []
            let t0 = DispatchTime.now().uptimeNanoseconds
            var phases = [UInt64](repeating: 0, count: 4)
            func tick(_ i: Int, _ since: inout UInt64) {
                let now = DispatchTime.now().uptimeNanoseconds
                phases[i] += now - since
                since = now
            }
            var mark = t0
            while let batch = try await sender.nextBatch(for: county, now: Date()) {
                tick(0, &mark)
                let body = Packet(from: city, to: county, packetSeq: batch.packetSeq, sentAt: Date(), chains: batch.chains, commands: batch.commands)
                    .encoded()
                let signature = keys[city]!.sign(body)
                tick(1, &mark)
                let response: PacketResponse
                if direct {
                    response = try await PacketReceiver(database: receiver, clock: SystemClockForBench())
                        .receive(body: body, from: city.rawValue, signature: signature)
                } else {
                    guard case .delivered(let answer) = await transport.send(body, signature: signature, from: city, to: to) else {
                        throw ValidationError("a packet was not delivered")
                    }
                    response = answer
                }
                tick(2, &mark)
                try await sender.recordDelivery(batch, receipts: response.receipts, now: Date(), jitter: 0)
                tick(3, &mark)
                events += batch.chains.reduce(0) { $0 + $1.count }
                batches.append(batch.chains.flatMap { $0 })
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            print(
                String(
                    format: "  sender's share: next batch %.2f s, encode + sign %.2f s, record delivery %.2f s; HTTP + receiver %.2f s",
                    Double(phases[0]) / 1e9, Double(phases[1]) / 1e9, Double(phases[3]) / 1e9, Double(phases[2]) / 1e9
                )
            )
            group.cancelAll()
            return (events, seconds, batches)
        }
        let stored = try await receiver.counts()
        guard stored.events == events, events == 2 * cases else {
            throw ValidationError("the county stored \(stored.events) events of \(events) sent (\(2 * cases) made)")
        }
        let rate = Double(events) / seconds
        print(String(format: "pushed %d events in %d packets in %.2f s", events, batches.count, seconds))

        let raw = try await RawInsertBenchmark.eventsPerSecond(directory: root.appendingPathComponent("raw"), batches: batches)
        let sample = Array(batches.joined().prefix(5000))
        let publicKey = topology.node(city)!.publicKey
        let v0 = DispatchTime.now().uptimeNanoseconds
        var verified = 0
        for event in sample where Signatures.verify(event, publicKey: publicKey) { verified += 1 }
        let perCore = Double(sample.count) / (Double(DispatchTime.now().uptimeNanoseconds - v0) / 1e9)
        guard verified == sample.count else { throw ValidationError("a sample signature did not verify") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let crypto = perCore * Double(cores)
        let lower = min(raw, crypto)
        print("P1 ingest (\(events) events, \(cores) cores):")
        print(String(format: "  applied durably, over HTTP:      %9.0f events/s", rate))
        print(String(format: "  raw SQLite insert, same batches: %9.0f events/s  (ratio %.2f)", raw, rate / raw))
        print(String(format: "  Ed25519 verify × %d cores:        %9.0f /s        (ratio %.2f)", cores, crypto, rate / crypto))
        print(
            String(
                format: "  goal: ≥ 25000 events/s or ≥ 50%% of the lower limit (%.0f): %@",
                lower,
                rate >= 25_000 || rate >= lower / 2 ? "met" : "NOT met"
            )
        )
    }
}
