import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP

/// `xinfang keys generate --out FILE`: makes a node key pair.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage node keys.",
        subcommands: [Generate.self, Retire.self, DataGenerate.self, DataRotate.self]
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

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Rotate a node's key in a topology file: the new public key becomes the node's, the old one is kept as retired (it still verifies what it signed before now)."
        )
        @Option(name: .long, help: "The topology file to edit.") var topology: String
        @Option(name: .long, help: "The node whose key is rotated.") var node: String
        @Option(name: .long, help: "The new key file (from `keys generate`).") var newKey: String

        func run() throws {
            let url = URL(fileURLWithPath: topology)
            var topo = try NodeConfig.loadTopology(url)
            let key = try KeyFile.load(URL(fileURLWithPath: newKey))
            guard let i = topo.nodes.firstIndex(where: { $0.id.rawValue == node }) else { throw ValidationError("no node \(node) in \(topology)") }
            guard topo.nodes[i].publicKey != key.publicKeyBase64 else { throw ValidationError("that key is already the node's") }
            topo.nodes[i].retiredKeys = (topo.nodes[i].retiredKeys ?? []) + [RetiredKey(publicKey: topo.nodes[i].publicKey, retiredAt: Date())]
            topo.nodes[i].publicKey = key.publicKeyBase64
            topo.version += 1
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(topo).write(to: url, options: .atomic)
            print(
                "node \(node): new key \(key.publicKeyBase64); topology version \(topo.version). Copy the topology to every node and restart \(node) with its new key file."
            )
        }
    }

    struct DataGenerate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data-generate",
            abstract: "Make the hierarchy's data keyring (one file for every node)."
        )
        @Option(name: .long, help: "Where to write it (mode 0600; never overwritten).") var out: String
        func run() throws {
            try DataKeyFile.write(DataKeyring.generate(), to: URL(fileURLWithPath: out))
            print("wrote \(out); copy it to every node of the hierarchy")
        }
    }

    struct DataRotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data-rotate",
            abstract: "Add a new data key and make it the one new personal data is sealed with (old keys stay to open old data)."
        )
        @Option(name: .long, help: "The keyring file to rotate in place.") var file: String
        func run() throws {
            let url = URL(fileURLWithPath: file)
            var keyring = try DataKeyFile.load(url)
            keyring.rotate()
            try DataKeyFile.write(keyring, to: url, replace: true)
            print("active data key is now \(keyring.active); copy the file to every node and restart them")
        }
    }
}
