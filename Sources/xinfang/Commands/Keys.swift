import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP

/// `xinfang keys generate --out FILE`: makes a node key pair.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage node keys.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair for a node; print its public key for the topology file."
        )

        @Option(name: .long, help: "Where to write the key file (created with mode 0600; never overwritten).")
        var out: String

        func run() throws {
            let key = NodeKey()
            try KeyFile.write(key, to: URL(fileURLWithPath: out))
            print(key.publicKeyBase64)
        }
    }
}
