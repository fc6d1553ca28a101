/// Which level owns which part of a case's life, as data (`schemas/ownership-policy.json`).
///
/// The policy names levels, never node ids: handling belongs to the node of `handlingLevel` whose
/// area contains the matter's region; review (复查) to the handler's ancestor `reviewLevelsUp`
/// levels up; re-review (复核) to the reviewer's ancestor `reReviewLevelsUp` levels up; a 交办
/// closure goes back to the assigner for verification.
public struct OwnershipPolicy: Codable, Equatable, Sendable {
    public var version: Int
    /// The levels from the root down, e.g. province, city, county.
    public var levels: [Level]
    public var handlingLevel: Level
    public var reviewLevelsUp: Int
    public var reReviewLevelsUp: Int
    /// Who verifies a 交办 closure: `assigner`.
    public var closureVerifiedBy: String

    public init(version: Int, levels: [Level], handlingLevel: Level, reviewLevelsUp: Int, reReviewLevelsUp: Int, closureVerifiedBy: String) {
        self.version = version
        self.levels = levels
        self.handlingLevel = handlingLevel
        self.reviewLevelsUp = reviewLevelsUp
        self.reReviewLevelsUp = reReviewLevelsUp
        self.closureVerifiedBy = closureVerifiedBy
    }

    /// 属地管理、分级负责: counties handle, the parent reviews, the grandparent re-reviews.
    public static let standard = OwnershipPolicy(
        version: 1,
        levels: [.province, .city, .county],
        handlingLevel: .county,
        reviewLevelsUp: 1,
        reReviewLevelsUp: 1,
        closureVerifiedBy: "assigner"
    )

    /// Checks the policy's own consistency.
    public func validated() throws(ValidationFailure) -> OwnershipPolicy {
        guard version == 1 else { throw .invalid("version", "只支持版本 1 的归属策略。") }
        guard !levels.isEmpty, Set(levels).count == levels.count else { throw .invalid("levels", "层级列表不能为空或重复。") }
        guard levels.contains(handlingLevel) else { throw .invalid("handlingLevel", "办理层级 \(handlingLevel) 不在层级列表中。") }
        guard reviewLevelsUp >= 1, reReviewLevelsUp >= 1 else { throw .invalid("reviewLevelsUp", "复查、复核至少上移一级。") }
        guard closureVerifiedBy == "assigner" else { throw .invalid("closureVerifiedBy", "交办件办结只能由交办机关审核认定（assigner）。") }
        return self
    }

    /// Whether a node of `level` for `area` is where a matter of `region` should be handled.
    public func handlesHere(region: RegionCode, nodeLevel: Level, nodeArea: RegionCode) -> Bool {
        nodeLevel == handlingLevel && region.isWithin(nodeArea)
    }
}
