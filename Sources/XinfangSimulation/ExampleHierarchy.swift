public import XinfangCore

/// The example hierarchy of `deploy/topology.example.json`: 湖南省; 长沙市 with 芙蓉区 and 岳麓区;
/// 怀化市 with 鹤城区 and 中方县.
public enum ExampleHierarchy {
    public static let province = NodeID("430000")
    public static let changsha = NodeID("430100")
    public static let furong = NodeID("430102")
    public static let yuelu = NodeID("430104")
    public static let huaihua = NodeID("431200")
    public static let hecheng = NodeID("431202")
    public static let zhongfang = NodeID("431221")

    /// (id, name, level, parent) from the root down.
    public static let nodes: [(NodeID, String, Level, NodeID?)] = [
        (province, "湖南省人力资源和社会保障厅", .province, nil),
        (changsha, "长沙市人力资源和社会保障局", .city, province),
        (furong, "长沙市芙蓉区人力资源和社会保障局", .county, changsha),
        (yuelu, "长沙市岳麓区人力资源和社会保障局", .county, changsha),
        (huaihua, "怀化市人力资源和社会保障局", .city, province),
        (hecheng, "怀化市鹤城区人力资源和社会保障局", .county, huaihua),
        (zhongfang, "怀化市中方县人力资源和社会保障局", .county, huaihua),
    ]

    /// The topology with the given base URLs and keys (returned beside it): fresh keys, or the
    /// ones `key` makes (the simulator derives them from its seed).
    public static func topology(
        baseURL: (NodeID) -> String,
        only: Set<NodeID>? = nil,
        key makeKey: (NodeID) -> NodeKey = { _ in NodeKey() }
    ) -> (Topology, [NodeID: NodeKey]) {
        var keys: [NodeID: NodeKey] = [:]
        var entries: [TopologyNode] = []
        for (id, name, level, parent) in nodes where only?.contains(id) ?? true {
            let key = makeKey(id)
            keys[id] = key
            entries.append(TopologyNode(id: id, name: name, level: level, parent: parent, baseURL: baseURL(id), publicKey: key.publicKeyBase64))
        }
        return (Topology(nodes: entries, formats: .newest), keys)
    }
}
