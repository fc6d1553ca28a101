import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangStore

/// `xinfang users …`: accounts made at the node's own machine — the first administrators (no
/// account exists before them, and none has a default password) and API tokens for scripts.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create accounts and API tokens from the node's machine (the first administrator, scripts).",
        subcommands: [Create.self, Token.self, List.self, Totp.self]
    )

    /// Who runs the command, as the audit trail names them.
    static var operatorName: String { "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "root")" }

    /// Writes the audit row of a command run on the node's machine, by its operator.
    static func audit(_ services: NodeServices, action: String, object: String, detail: String, at now: Date = Date()) async throws {
        try await services.database.audit(
            AuditEntry(at: now, user: operatorName, node: services.identity.id, source: "cli", action: action, object: object, detail: detail)
        )
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account with a generated password (and a TOTP secret for the roles that need one); prints them once as JSON."
        )
        @Option(name: .long, help: "The node's configuration file.") var config: String
        @Option(name: .long, help: "User name (3–32 of a-z 0-9 . _ -).") var username: String
        @Option(name: .long, help: "The person's name.") var name: String
        @Option(
            name: .long,
            help: "registrar, handler, leader, supervisor, auditor, systemAdmin, securityAdmin or auditAdmin."
        ) var role: String

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("unknown role \(role)") }
            let services = try await NodeBootstrap.services(configPath: config)
            let now = Date()
            let user = try await services.database.provisionUser(
                username: username,
                displayName: name,
                role: role,
                by: Users.operatorName,
                security: services.security,
                now: now
            )
            try await Users.audit(services, action: "user.create", object: username, detail: "role=\(role.rawValue)", at: now)
            print(try Users.json(user))
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token for an account; prints the secret once.")
        @Option(name: .long, help: "The node's configuration file.") var config: String
        @Option(name: .long, help: "The account the token acts for.") var username: String
        @Option(name: .long, help: "Comma-separated permissions (at most the account's); default: all of the role's.") var scope: String?
        @Option(name: .long, help: "Days the token lives.") var days: Int = 30
        @Option(name: .long, help: "A name for the token.") var tokenName: String = "script"

        func run() async throws {
            let services = try await NodeBootstrap.services(configPath: config)
            guard let user = try await services.database.accounts.user(named: username) else { throw ValidationError("no account \(username)") }
            let permissions =
                try scope.map { list in
                    try list.split(separator: ",").map { raw in
                        guard let p = Permission(rawValue: String(raw)), user.role.permissions.contains(p) else {
                            throw ValidationError("permission \(raw) is unknown or not the role's")
                        }
                        return p
                    }
                } ?? user.role.permissions.sorted()
            guard (1...services.security.tokenDaysMax).contains(days) else {
                throw ValidationError("--days must be 1…\(services.security.tokenDaysMax)")
            }
            let now = Date()
            let (secret, _) = try await services.database.issueToken(
                userID: user.id,
                name: tokenName,
                scope: permissions,
                now: now,
                expiresAt: now.addingTimeInterval(Double(days) * 86_400)
            )
            try await Users.audit(services, action: "token.create", object: username, detail: tokenName, at: now)
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the node's accounts.")
        @Option(name: .long, help: "The node's configuration file.") var config: String
        func run() async throws {
            let services = try await NodeBootstrap.services(configPath: config)
            for u in try await services.database.accounts.users() {
                print("\(u.id)\t\(u.username)\t\(u.role.rawValue)\t\(u.displayName)\(u.disabled ? "\tdisabled" : "")")
            }
        }
    }

    struct Totp: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the current TOTP code of a secret (what an authenticator app shows).")
        @Option(name: .long, help: "The TOTP secret as it was shown (base32, as an authenticator app takes it).") var secret: String
        func run() throws {
            guard let code = Credentials.authenticatorCode(secret, at: Date()) else {
                throw ValidationError("--secret: not a base32 TOTP secret (the letters A–Z and digits 2–7 shown at enrolment)")
            }
            print(code)
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// `xinfang audit verify|prune --config FILE`.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check or prune the audit trail.", subcommands: [Verify.self, Prune.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit chain and every case chain (hashes, links, signatures); name the first broken link. Exit 1 when broken."
        )
        @Option(name: .long, help: "The node's configuration file.") var config: String

        func run() async throws {
            let services = try await NodeBootstrap.services(configPath: config)
            let report = try await services.database.verifyIntegrity { n in
                FileHandle.standardError.write(Data("checked \(n) events…\n".utf8))
            }
            print("audit rows: \(report.auditRows), cases: \(report.cases), events: \(report.events)")
            guard report.ok else {
                print("BROKEN: \(report.problems[0])")
                for p in report.problems.dropFirst().prefix(20) { print("also: \(p)") }
                if report.problems.count > 21 { print("… \(report.problems.count - 21) more") }
                throw ExitCode.failure
            }
            print("OK: every audit row and every event verifies")
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete audit rows older than the retention (security.auditRetentionDays, at least 180)."
        )
        @Option(name: .long, help: "The node's configuration file.") var config: String
        func run() async throws {
            let services = try await NodeBootstrap.services(configPath: config)
            let cutoff = Date().addingTimeInterval(-Double(services.security.auditRetentionDays) * 86_400)
            let n = try await services.database.pruneAudit(before: cutoff)
            try await Users.audit(services, action: "audit.prune", object: "audit_log", detail: "deleted=\(n)")
            print("deleted \(n) audit rows older than \(cutoff)")
        }
    }
}
