/// What a person may do at a node. Roles grant permissions; API tokens narrow them further.
public enum Permission: String, Codable, Sendable, CaseIterable, Comparable {
    /// Read cases (lists, a case, its chain, CSV of cases), masked.
    case readCases
    /// 登记: register a petition.
    case register
    /// Handle cases: accept, reply, close, offer, comment…
    case act
    /// 领导审批: approve extensions, verify or return closures, decide reviews, terminate, take over.
    case approve
    /// 督办: send supervision orders.
    case supervise
    /// Backlog, indicators, flags and their exports; run reconciliation.
    case readSupervision
    /// See ID numbers, mobiles, addresses and names unmasked (every such read is audited).
    case readPersonalData
    /// Read the audit trail.
    case readAudit
    /// 系统管理员: create and disable accounts, see the sync outbox.
    case manageAccounts
    /// 安全管理员: change roles, unlock accounts, reset second factors, revoke tokens.
    case manageSecurity
    /// 审计管理员: audit retention.
    case manageAudit
    /// 外部系统接入: hand petitions to this node through the intake API and follow them (a 12345
    /// hotline, an online portal); nothing else.
    case intake

    public static func < (a: Permission, b: Permission) -> Bool { a.rawValue < b.rawValue }
}

/// The roles of a node's users. The three administrators are separated (三权分立) and none of
/// them reads case content.
public enum Role: String, Codable, Sendable, CaseIterable {
    case registrar  // 登记员
    case handler  // 承办人
    case leader  // 领导
    case supervisor  // 督查员
    case auditor  // 审计员
    case systemAdmin  // 系统管理员
    case securityAdmin  // 安全管理员
    case auditAdmin  // 审计管理员
    case intakeSystem  // 外部系统接口（12345 热线、网上信访平台）

    public var label: String {
        switch self {
        case .registrar: "登记员"
        case .handler: "承办人"
        case .leader: "领导"
        case .supervisor: "督查员"
        case .auditor: "审计员"
        case .systemAdmin: "系统管理员"
        case .securityAdmin: "安全管理员"
        case .auditAdmin: "审计管理员"
        case .intakeSystem: "外部系统接口"
        }
    }

    public var permissions: Set<Permission> {
        switch self {
        case .registrar: [.readCases, .register, .readPersonalData]
        case .handler: [.readCases, .register, .act, .readSupervision, .readPersonalData]
        case .leader: [.readCases, .register, .act, .approve, .supervise, .readSupervision, .readPersonalData]
        case .supervisor: [.readCases, .supervise, .readSupervision]
        case .auditor: [.readAudit]
        case .systemAdmin: [.manageAccounts]
        case .securityAdmin: [.manageSecurity]
        case .auditAdmin: [.readAudit, .manageAudit]
        case .intakeSystem: [.intake]
        }
    }

    public var isAdministrator: Bool { self == .systemAdmin || self == .securityAdmin || self == .auditAdmin }

    /// Roles that read personal data or administer log in with a second factor (TOTP).
    public var needsSecondFactor: Bool { isAdministrator || permissions.contains(.readPersonalData) }
}

extension CaseAction {
    /// The permission an action needs, beyond reading the case.
    public var permission: Permission { name.permission }
}

extension ActionName {
    /// The permission the action needs, beyond reading the case (the forms a user is offered and
    /// the admission of the action both ask this).
    public var permission: Permission {
        switch self {
        case .extend, .verifyClosure, .returnClosure, .decideReview, .decideReReview, .terminate, .takeOver, .recall,
            .resolveConflict:
            .approve
        case .supervise: .supervise
        // Registrars file the material they receive; handlers and leaders too.
        case .attach, .withdrawAttachment, .reissueLookupCode: .register
        default: .act
        }
    }
}
