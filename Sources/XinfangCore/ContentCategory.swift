/// The three-level content classification of a petition (内容分类 一级/二级/三级).
public struct ContentCategory: Codable, Hashable, Sendable {
    public var level1: String
    public var level2: String
    public var level3: String

    public init(_ level1: String, _ level2: String, _ level3: String) {
        self.level1 = level1
        self.level2 = level2
        self.level3 = level3
    }
}

/// The classification a human-resources and social-security node accepts: the 劳动和社会保障 branch
/// of the national classification and the related branches such a bureau receives (domain rules §6.1).
public enum ContentCategoryCatalog {
    static let tree: [(String, [(String, [String])])] = [
        (
            "劳动和社会保障",
            [
                ("城镇职工社会保险", ["职工养老保险", "职工失业保险", "职工工伤保险"]),
                ("城乡居民社会保险", ["城乡居民养老保险"]),
                ("医疗和生育保险", ["职工医疗保险", "城乡居民医疗保险", "生育保险"]),
                ("社保基金", ["基金管理"]),
                ("工资福利", ["工资调整", "工资发放", "福利待遇", "最低工资标准", "假期工资待遇", "同工同酬", "工亡职工遗属待遇"]),
                ("就业培训", ["就业和再就业", "职业培训", "职业技能鉴定"]),
                ("劳动保护", ["劳动环境", "劳动安全", "女工和未成年工保护", "工作时间和休息休假"]),
                ("劳动关系", ["劳动合同纠纷", "协议解除劳动关系", "劳务派遣纠纷", "非法用工", "拖欠农民工工资", "新业态劳动用工纠纷"]),
                ("退休政策及待遇", ["退休政策", "退休人员待遇", "内部退养人员待遇", "病退及提前退休人员待遇", "退休金发放"]),
                ("其他", ["死亡抚恤", "其他"]),
            ]
        ),
        (
            "组织人事",
            [
                ("人力资源", ["人才工作", "人力市场管理", "职称评定", "专业资格考试", "职业资格考试", "人事调动"]),
                ("招录辞退", ["招聘录用", "辞退"]),
                ("编制职位", ["编制管理"]),
                ("机构改革", ["事业单位改制", "金融机构和国有企业改革"]),
                ("离休", ["离休待遇", "退改离"]),
                ("其他", ["档案和党组织关系"]),
            ]
        ),
        (
            "军队事务",
            [
                ("军转干部安置", ["计划安置", "自主择业", "企业军转干部", "随军家属安置"]),
                ("退役士兵安置", ["转业退伍安置", "自谋职业"]),
                ("优待抚恤", ["复员干部待遇", "老退役军人待遇"]),
            ]
        ),
        (
            "政法",
            [
                ("仲裁与调解", ["劳动仲裁", "人事仲裁", "行政调解", "人民调解"]),
                ("行政复议", ["复议申请", "不服决定"]),
                ("诉讼", ["行政诉讼"]),
            ]
        ),
        ("城乡建设", [("建筑市场", ["拖欠工程款"])]),
        ("经济管理", [("国资监管", ["企业改制"]), ("企业破产", ["政策性破产", "依法破产"])]),
        ("其他", [("历史遗留问题", ["支边知青", "精减下放"])]),
    ]

    /// Every valid (level1, level2, level3) triple.
    public static let all: [ContentCategory] = tree.flatMap { l1, l2s in
        l2s.flatMap { l2, l3s in l3s.map { ContentCategory(l1, l2, $0) } }
    }

    static let valid: Set<ContentCategory> = Set(all)

    public static func contains(_ category: ContentCategory) -> Bool { valid.contains(category) }
}
