/// The counts behind the indicators (考核指标, domain rules §3) for one unit and one period.
///
/// Every field is additive: the counts of a subtree are the sum of its nodes' counts, and every
/// rate is computed from the sums (never averaged). Each group counts its own population:
/// - registration counts: cases whose 登记时间 (registration) falls in the period;
/// - `accept…`: cases whose 受理告知 deadline (15 days from the handling unit's receipt, whole
///   days, moved past rest days) falls in the period, on time when the intake decision came by
///   its end (及时受理率, S9 `jssllv`; the case view shows the same deadline);
/// - `close…`: cases whose 限办截止时间 (the 交办 due date, else the end of the handling period)
///   falls in the period, on time when the deadline was met by its end, as the case view judges
///   it (the reply for the handling period, the closure report for a 交办) (按期办结率, S9 `aqdflv`);
/// - `evaluated` and the ratings: evaluations made in the period; `evaluationOverdue`: closed
///   cases whose evaluation window ended in the period (and before now) without one (参评率 `cplv`).
/// The rate populations leave out 涉法涉诉 matters, as the national analytics do; the counts keep them.
public struct IndicatorCounts: Codable, Equatable, Sendable {
    public var registered = 0
    /// 网上信访.
    public var online = 0
    /// 重复信访: cases registered with a link to an earlier case of the same matter.
    public var repeats = 0
    /// 越级访.
    public var skipLevel = 0
    /// 联名信.
    public var jointLetters = 0
    /// 集体访: cases, 批 and 人次.
    public var collectiveCases = 0
    public var collectiveBatches = 0
    public var collectivePersons = 0
    /// Registrations by channel (`Channel.rawValue`).
    public var byChannel: [String: Int] = [:]
    /// Registrations by first-level content category.
    public var byCategory: [String: Int] = [:]

    /// Cases whose 15-day acceptance period ended in the period.
    public var acceptDue = 0
    /// … decided (受理 or a written refusal) within it.
    public var acceptedOnTime = 0
    /// … decided after it.
    public var acceptedLate = 0
    /// … not decided, and the period is over.
    public var notAcceptedOverdue = 0

    /// Cases whose 限办截止时间 fell in the period.
    public var closeDue = 0
    /// … closed (办结) by it.
    public var closedOnTime = 0
    /// … closed after it.
    public var closedLate = 0
    /// … not closed, and past it.
    public var openOverdue = 0

    /// Evaluations made in the period (参评).
    public var evaluated = 0
    /// Closed cases whose evaluation window ended in the period without an evaluation (超期未评价).
    public var evaluationOverdue = 0
    /// The petitioners' ratings of the petition office (信访部门).
    public var officeRatings: [String: Int] = [:]
    /// The petitioners' ratings of the responsible unit (责任单位).
    public var unitRatings: [String: Int] = [:]

    public init() {}

    /// Adds another unit's counts to these.
    public mutating func add(_ other: IndicatorCounts) {
        registered += other.registered
        online += other.online
        repeats += other.repeats
        skipLevel += other.skipLevel
        jointLetters += other.jointLetters
        collectiveCases += other.collectiveCases
        collectiveBatches += other.collectiveBatches
        collectivePersons += other.collectivePersons
        byChannel.merge(other.byChannel, uniquingKeysWith: +)
        byCategory.merge(other.byCategory, uniquingKeysWith: +)
        acceptDue += other.acceptDue
        acceptedOnTime += other.acceptedOnTime
        acceptedLate += other.acceptedLate
        notAcceptedOverdue += other.notAcceptedOverdue
        closeDue += other.closeDue
        closedOnTime += other.closedOnTime
        closedLate += other.closedLate
        openOverdue += other.openOverdue
        evaluated += other.evaluated
        evaluationOverdue += other.evaluationOverdue
        officeRatings.merge(other.officeRatings, uniquingKeysWith: +)
        unitRatings.merge(other.unitRatings, uniquingKeysWith: +)
    }

    /// The sum of many units' counts.
    public static func sum(_ parts: some Sequence<IndicatorCounts>) -> IndicatorCounts {
        parts.reduce(into: IndicatorCounts()) { $0.add($1) }
    }
}

/// The indicators of domain rules §3, each exactly its formula over `IndicatorCounts`; nil where
/// the denominator is zero (no case in the population: a rate of nothing is not 0 % or 100 %).
public struct Indicators: Codable, Equatable, Sendable {
    /// 及时受理率 = 及时受理 / 总数 (cases whose 登记时间 + 15 d is in the period).
    public var timelyAcceptanceRate: Double?
    /// 按期办结率 (按期答复率) = 按期 / (按期 + 超期 + 未办结未超期 + 超期未办结).
    public var onTimeClosureRate: Double?
    /// 参评率 = 已评价 / (已评价 + 超期未评价).
    public var evaluationRate: Double?
    /// 满意率 (信访部门) = (满意 + 基本满意) / 已评价.
    public var officeSatisfactionRate: Double?
    /// 满意率 (责任单位) = (满意 + 基本满意) / 已评价.
    public var unitSatisfactionRate: Double?
    /// 重复信访率 = 重复件次 / 总件次.
    public var repeatRate: Double?
    /// 网信占比 = 网上信访件 / 总件.
    public var onlineShare: Double?

    /// The seven rates in the order every table and export shows them (the labels in `rateLabels`).
    public var rates: [Double?] {
        [timelyAcceptanceRate, onTimeClosureRate, evaluationRate, officeSatisfactionRate, unitSatisfactionRate, repeatRate, onlineShare]
    }

    /// The names of `rates`, as officers read them.
    public static let rateLabels = ["及时受理率", "按期办结率", "参评率", "满意率（信访部门）", "满意率（责任单位）", "重复信访率", "网信占比"]

    public init(_ c: IndicatorCounts) {
        func ratio(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }
        func satisfied(_ ratings: [String: Int]) -> Int {
            (ratings[Rating.satisfied.rawValue] ?? 0) + (ratings[Rating.basicallySatisfied.rawValue] ?? 0)
        }
        timelyAcceptanceRate = ratio(c.acceptedOnTime, c.acceptDue)
        onTimeClosureRate = ratio(c.closedOnTime, c.closeDue)
        evaluationRate = ratio(c.evaluated, c.evaluated + c.evaluationOverdue)
        officeSatisfactionRate = ratio(satisfied(c.officeRatings), c.evaluated)
        unitSatisfactionRate = ratio(satisfied(c.unitRatings), c.evaluated)
        repeatRate = ratio(c.repeats, c.registered)
        onlineShare = ratio(c.online, c.registered)
    }
}

/// The numbers the indicators are computed with, named once.
public enum IndicatorRules {
    /// How long a petitioner may evaluate after the closure. The national system has an
    /// evaluation deadline (`pjjzsj`) whose length was not found (domain rules R55, unconfirmed):
    /// this is an assumption to confirm with the customer.
    public static let evaluationWindowDays = 30
    /// Milliseconds in a day.
    public static let dayMs: Int64 = 86_400_000
}

/// Targets the dashboard draws the indicators against (local assessment rules vary; these are
/// common values, S8 and S12 of the domain rules).
public enum IndicatorTargets {
    public static let timelyAcceptanceRate = 0.95
    public static let onTimeClosureRate = 0.90
    public static let evaluationRate = 0.80
    public static let satisfactionRate = 0.90
}
