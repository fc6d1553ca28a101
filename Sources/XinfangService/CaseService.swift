public import XinfangCore
public import XinfangStore

/// The application layer: every way a person changes a case at this node — register, act
/// (appended here or sent to the holder as a command), take over, resolve a fork — goes
/// through here, whoever asks: the user API, the dashboard's forms, the importer, the simulator.
/// It asks Core's pure rules (`ActionAdmission`, `CommandPolicy`, `Lifecycle`) and the store's
/// one transaction per intent; it adds no rule of its own and formats nothing for a screen.
///
/// Refusals are typed: `ValidationFailure` (bad input), `PolicyRefusal` (not at this asker's
/// word), `LifecycleError` (not in this status, directly or as `StoreError.refused`), and
/// `StoreError` (no such case; the store failed).
public struct CaseService: Sendable {
    public let database: any CaseStore
    public let clock: any NodeClock

    public init(database: any CaseStore, clock: any NodeClock) {
        self.database = database
        self.clock = clock
    }

    /// This node.
    public var node: NodeID { database.node }

    /// Who acts: the name their events carry, and what their role lets them do.
    public struct Actor: Sendable {
        public var name: String
        public var permissions: Set<Permission>
        /// The role's name, for a refusal's message.
        public var roleLabel: String

        public init(name: String, permissions: Set<Permission>, roleLabel: String) {
            self.name = name
            self.permissions = permissions
            self.roleLabel = roleLabel
        }

        /// A person with every permission, for the tools that act for the node (the importer,
        /// the simulator's officers).
        public static func officer(_ name: String) -> Actor {
            Actor(name: name, permissions: Set(Permission.allCases), roleLabel: "系统")
        }
    }

    /// What an action led to.
    public enum Outcome: Sendable {
        /// Appended here: the case as it now stands.
        case applied(CaseState)
        /// Sent as a signed command to the holder, first to `nextHop`.
        case commanded(CaseCommand, holder: NodeID, nextHop: NodeID?)
    }

    /// 登记: registers a petition. Idempotent under `idempotencyKey` (see `NodeDatabase.register`);
    /// `receivedAtPastMaxDays` bounds how old the receipt may be (a ledger import takes years).
    public func register(
        _ registration: CaseRegistration,
        by actor: Actor,
        idempotencyKey: NodeDatabase.IdempotencyKey? = nil,
        receivedAtPastMaxDays: Int = RegistrationLimits.receivedAtPastMaxDays
    ) async throws -> (state: CaseState, created: Bool) {
        guard actor.permissions.contains(.register) else {
            throw PolicyRefusal(.notPermitted, field: nil, detail: "当前账号（\(actor.roleLabel)）无权登记信访件。")
        }
        return try await database.register(
            registration,
            actor: actor.name,
            now: clock.now(),
            idempotencyKey: idempotencyKey,
            receivedAtPastMaxDays: receivedAtPastMaxDays
        )
    }

    /// One action on a case, as a user asks for it (the wire form): the node's parameters filled
    /// in, the asker's permission checked, then appended here or sent to the holder. A case outside
    /// `scope` is as unknown as one never registered.
    public func act(_ request: ActionFields, on number: CaseNumber, by actor: Actor, scope: CaseScope? = nil) async throws -> Outcome {
        let action = try ActionAdmission.action(from: request, node: node, hierarchy: database.hierarchy)
        // A file joins the case file only with its bytes: through the upload, which stores the
        // blob first and names it by the hash it computed, never by a hash a client asserts.
        if case .issueNotice = action {
            throw ValidationFailure(code: "notice-needs-issue", field: "action", detail: "文书须通过出具文书接口生成，不能只提交文书摘要。")
        }
        if case .reissueLookupCode = action {
            throw ValidationFailure(code: "lookup-code-needs-reissue", field: "action", detail: "查询码须通过重发查询码接口生成。")
        }
        if case .evaluate(_, _, _, .online) = action {
            throw ValidationFailure(code: "online-evaluation-by-petitioner", field: "via", detail: "网上评价只能由信访人通过查询页面提交；工作人员代录请选择电话回访或当面评价。")
        }
        if case .attach = action {
            throw ValidationFailure(code: "attachment-needs-upload", field: "action", detail: "材料须通过上传接口添加（附带文件内容），不能只提交文件摘要。")
        }
        return try await record(action, on: number, by: actor, scope: scope)
    }

    /// An admitted action: permitted, then appended here or sent to the holder.
    func record(_ action: CaseAction, on number: CaseNumber, by actor: Actor, scope: CaseScope?) async throws -> Outcome {
        let current: CaseState? =
            if let scope { try await database.caseState(number, in: scope) } else { try await database.caseState(number) }
        guard let current else { throw StoreError.caseNotFound(number) }
        try ActionAdmission.permit(action, permissions: actor.permissions, roleLabel: actor.roleLabel)
        let now = clock.now()
        switch try ActionAdmission.route(action, on: current, node: node, hierarchy: database.hierarchy) {
        case .command(let holder, let nextHop):
            let command = try await database.submitCommand(caseNumber: number, action: action, actor: actor.name, now: now)
            return .commanded(command, holder: holder, nextHop: nextHop)
        case .append:
            if case .takeOver(_, let reason) = action {
                return .applied(try await database.takeOver(number, reason: reason, actor: actor.name, now: now))
            }
            return .applied(try await database.act(on: number, action: action, actor: actor.name, now: now))
        }
    }

    /// The same, for a caller that holds a typed action (the simulator, scripts): it travels the
    /// wire form's path, so nothing here is a second way in.
    public func act(_ action: CaseAction, on number: CaseNumber, by actor: Actor) async throws -> Outcome {
        try await act(action.fields, on: number, by: actor)
    }
}
