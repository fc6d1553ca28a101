/// The identity of one node: its administrative division code, e.g. `430102` for 芙蓉区.
///
/// Node ids are the keys of the topology and the prefix of every case number the node mints, so
/// two nodes never mint the same case number without having to coordinate.
public struct NodeID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Checks that a node id is a 6-digit administrative division code with a valid province part.
    public static func validated(_ raw: String, field: String = "nodeId") throws(ValidationFailure) -> NodeID {
        guard raw.count == 6, RegionCode.isValidDigits(raw) else {
            throw ValidationFailure(
                code: "invalid-node-id",
                field: field,
                detail: "节点编号必须是 6 位行政区划代码（例如 430102）。"
            )
        }
        return NodeID(raw)
    }
}

/// A level of the hierarchy (province, city, county, …). Levels are data, not an enum of three, so
/// a deeper tree (a national root, townships) needs no code change.
public struct Level: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// The level as officers name it (省级, 市级, 县级); another level by its name.
    public var label: String {
        switch rawValue {
        case "national": "国家级"
        case "province": "省级"
        case "city": "市级"
        case "county": "县级"
        case "township": "乡镇级"
        default: rawValue
        }
    }

    public static let province = Level("province")
    public static let city = Level("city")
    public static let county = Level("county")
}
