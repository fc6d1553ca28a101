/// Who a node is: its id, name, level and the area (division) it is responsible for.
public struct NodeIdentity: Codable, Equatable, Sendable {
    public var id: NodeID
    /// e.g. 芙蓉区人力资源和社会保障局信访办.
    public var name: String
    public var level: Level
    /// The division the node is responsible for; its id by default.
    public var area: RegionCode

    public init(id: NodeID, name: String, level: Level, area: RegionCode? = nil) {
        self.id = id
        self.name = name
        self.level = level
        self.area = area ?? RegionCode(rawValue: id.rawValue)
    }
}
