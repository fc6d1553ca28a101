import ArgumentParser
import Foundation
import Hummingbird
import Logging
import XinfangCore
import XinfangHTTP
import XinfangStore

/// `xinfang demo`: one county node (芙蓉区, 430102) with realistic seeded cases.
///
/// The data directory is kept between runs; cases are seeded only into an empty store.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a demo node with seeded cases and print how to use it.")

    @Option(name: .long, help: "Data directory of the demo (kept between runs).")
    var dir: String = ".xinfang-demo"

    @Option(name: .long, help: "Port of the first node.")
    var basePort: Int = 8430

    @Option(name: .long, help: "Log level.")
    var logLevel: String = "notice"

    func run() async throws {
        let logger = bootstrapLogging(level: logLevel, label: "xinfang.demo")
        let identity = NodeIdentity(id: NodeID("430102"), name: "长沙市芙蓉区人力资源和社会保障局", level: .county)
        let directory = URL(fileURLWithPath: dir).appendingPathComponent(identity.id.rawValue)
        let database = try NodeDatabase.open(directory: directory, node: identity.id, calendar: .standard)
        let services = NodeServices(identity: identity, database: database)
        var seeder = DemoSeeder(database: database, now: Date())
        let seeded = try await seeder.seedIfEmpty()
        let counts = try await database.counts()
        let host = "127.0.0.1"
        let app = NodeApplication.application(services: services, host: host, port: basePort, logger: logger) { port in
            let url = "http://\(host):\(port)"
            emit(DemoSeeder.banner(url: url, identity: identity, seeded: seeded, cases: counts.cases, directory: directory.path))
        }
        try await app.runService()
    }
}
