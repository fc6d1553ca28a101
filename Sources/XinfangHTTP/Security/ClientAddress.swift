import Foundation
public import HTTPTypes

/// Who the client is when a reverse proxy stands in front of the node (issue 16). The address the
/// socket sees is the client's unless it is a configured trusted proxy; then the forwarding
/// headers are read from the right (the hop nearest the node) and the first address that is not a
/// trusted proxy is the client's. Headers from anyone else are ignored, so a client cannot name
/// itself another address to escape the rate limits or the audit trail.
public enum ClientAddress {
    public struct Resolved: Sendable, Equatable {
        /// The client's address, for rate limits and the audit trail.
        public var address: String
        /// Whether the client reached the proxy over HTTPS (`Secure` cookies).
        public var https: Bool

        public init(address: String, https: Bool) {
            self.address = address
            self.https = https
        }
    }

    /// The client behind `socket`, given the request's headers and the trusted proxies.
    public static func resolve(socket: String, headers: HTTPFields, trusted: Set<String>) -> Resolved {
        guard trusted.contains(socket) else { return Resolved(address: socket, https: false) }
        var hops: [String] = []
        var proto: String?
        if let forwarded = headers[HTTPField.Name("Forwarded")!] {
            // RFC 7239: comma-separated elements of `;`-separated pairs; `for` may be quoted, and an
            // IPv6 address is bracketed, with an optional port.
            for element in forwarded.split(separator: ",") {
                for pair in element.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2 else { continue }
                    let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    switch parts[0].lowercased() {
                    case "for": hops.append(host(of: value))
                    case "proto": proto = value.lowercased()
                    default: break
                    }
                }
            }
        } else if let forwardedFor = headers[HTTPField.Name("X-Forwarded-For")!] {
            hops = forwardedFor.split(separator: ",").map { host(of: $0.trimmingCharacters(in: .whitespaces)) }
            proto = headers[HTTPField.Name("X-Forwarded-Proto")!]?.trimmingCharacters(in: .whitespaces).lowercased()
        }
        let client = hops.reversed().first { !$0.isEmpty && !trusted.contains($0) } ?? hops.first { !$0.isEmpty } ?? socket
        return Resolved(address: String(client.prefix(64)), https: proto == "https")
    }

    /// The address without brackets or port (`[2001:db8::1]:443` → `2001:db8::1`, `1.2.3.4:80` →
    /// `1.2.3.4`); an obfuscated or unknown node (`_hidden`, `unknown`) stays as it is.
    static func host(of value: String) -> String {
        if value.hasPrefix("["), let end = value.firstIndex(of: "]") {
            return String(value[value.index(after: value.startIndex)..<end])
        }
        if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") {
            return String(value[..<colon])
        }
        return value
    }
}
