/// A case number (信访件编号), minted by the registering node as `<node id>-<YYYYMMDD>-<sequence>`,
/// e.g. `430102-20261124-00017`.
///
/// The node id prefix makes numbers unique across the whole hierarchy without coordination; the
/// sequence is the node's own counter, persisted with the case it numbers.
public struct CaseNumber: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
    public static func < (lhs: CaseNumber, rhs: CaseNumber) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Mints the number for the `sequence`-th case registered at `node` on `date`.
    public static func mint(node: NodeID, date: CivilDate, sequence: Int) -> CaseNumber {
        let seq = String(sequence)
        let padded = String(repeating: "0", count: max(0, 5 - seq.count)) + seq
        let day = String(date.description.filter { $0 != "-" })
        return CaseNumber(rawValue: "\(node.rawValue)-\(day)-\(padded)")
    }

    /// The node that minted this number.
    public var registeringNode: NodeID { NodeID(String(rawValue.prefix(6))) }

    /// Checks the shape of a number given by a client (in a path or a link).
    public static func validated(_ raw: String, field: String) throws(ValidationFailure) -> CaseNumber {
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 6, parts[1].count == 8, (5...9).contains(parts[2].count),
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } })
        else {
            throw ValidationFailure(
                code: "invalid-case-number",
                field: field,
                detail: "信访件编号格式应为 <6位节点编号>-<YYYYMMDD>-<序号>，例如 430102-20261124-00017。"
            )
        }
        return CaseNumber(rawValue: raw)
    }
}
