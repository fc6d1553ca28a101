public import XinfangCore

/// What the store refuses or fails with. Each case says what to do about it.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No case with this number is stored here.
    case caseNotFound(CaseNumber)
    /// The lifecycle refused the action; nothing was written.
    case refused(LifecycleError)
    /// The input was invalid; nothing was written.
    case invalid(ValidationFailure)
    /// A stored chain does not fold: the store is damaged. Restore from a replica or backup.
    case brokenChain(ChainError)
    /// The same idempotency key was used for a different registration.
    case idempotencyKeyReused(key: String, caseNumber: CaseNumber)
    /// The database file was written by a newer xinfang; run that version or restore a backup.
    case newerSchema(unknownMigrations: [String])
    /// The database is busy or locked for longer than the busy timeout; retry.
    case busy
    /// Any other SQLite failure (I/O, full disk, corruption), with SQLite's message.
    case database(String)

    /// Whether the same request may succeed if tried again later.
    public var isRetryable: Bool {
        switch self {
        case .busy: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .caseNotFound(let number): "信访件 \(number) 不存在。"
        case .refused(let error): error.description
        case .invalid(let failure): failure.detail
        case .brokenChain(let error): "案件链损坏：\(error.description)"
        case .idempotencyKeyReused(let key, let number): "幂等键 \(key) 已用于另一份登记（信访件 \(number)）。"
        case .newerSchema(let ids): "数据库由更新版本的 xinfang 写入（未知迁移：\(ids.joined(separator: ", "))），请使用新版本或恢复备份。"
        case .busy: "数据库繁忙，请稍后重试。"
        case .database(let message): "数据库错误：\(message)"
        }
    }
}
