import ArgumentParser

/// The one executable of every node: county, city and province run the same binary.
@main
struct Xinfang: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xinfang",
        abstract: "信访 (letters and visits) case server: one node of the county / city / province hierarchy.",
        subcommands: [
            Serve.self, Demo.self, Keys.self, Reconcile.self, Simulate.self, Bench.self, Import.self, Users.self, Audit.self, Backup.self,
            Restore.self, Bootstrap.self, Fuzz.self, Notices.self,
        ]
    )
}
