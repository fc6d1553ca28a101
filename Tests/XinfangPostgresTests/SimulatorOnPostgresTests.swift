import Foundation
import Testing
import XinfangPostgres
import XinfangSimulation
import XinfangStore
import XinfangTesting

/// A slice of the simulator's seeds with the province on PostgreSQL (its store opened anew at every
/// restart the seed draws), the other nodes on SQLite: every invariant the simulator checks holds,
/// as it does for the 200 seeds on SQLite.
struct SimulatorOnPostgresTests {
    static let seeds: ClosedRange<UInt64> = 1...6

    @Test func aSliceOfTheSeedsHoldsEveryInvariantWithTheProvinceOnPostgreSQL() async throws {
        try await TestPostgres.withCluster { socket in
            let location = StoreBackend.location(socket)
            var crashes = 0
            for seed in Self.seeds {
                // An empty database for each seed, migrated.
                let reset = PostgresTransactions(location)
                try await reset.writing { db in
                    try db.execute("DROP SCHEMA public CASCADE")
                    try db.execute("CREATE SCHEMA public")
                }
                await reset.close()
                try await PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }

                var options = SimulationOptions(
                    seed: seed,
                    steps: 200,
                    directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-sim-pg\(seed)-\(UUID().uuidString)")
                )
                options.serverStores = [ExampleHierarchy.province: { PostgresTransactions(location) }]
                let result = await Simulation.run(options)
                let sqliteFile = options.directory.appendingPathComponent("\(ExampleHierarchy.province)/\(NodeDatabase.fileName)")
                #expect(!FileManager.default.fileExists(atPath: sqliteFile.path))
                try? FileManager.default.removeItem(at: options.directory)
                #expect(result.passed, Comment(rawValue: result.report))
                crashes += result.counts["crashes", default: 0]

                // The province's cases are in PostgreSQL, and no SQLite file was made for it.
                let check = PostgresTransactions(location)
                let cases = try await check.reading { db in try db.value("SELECT count(*) FROM cases", as: Int.self) ?? 0 }
                await check.close()
                #expect(cases > 0, "seed \(seed): the province's store is in PostgreSQL")
            }
            #expect(crashes > 0, "the seeds crashed and restarted nodes")
        }
    }
}
