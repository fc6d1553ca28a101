public import Foundation
public import XinfangCore
import XinfangStore

extension CaseService {
    /// The idempotency key of a petition `system` handed over under its own id.
    public static func intakeKey(system: String, externalId: String) -> String { "intake:\(system):\(externalId)" }

    /// 签收: a petition another system hands over (a 12345 hotline, an online portal), registered
    /// once under the sender's own id however often it is sent, concurrently or later: the same
    /// request answers with the case it made (`created` false); another request under the same id
    /// is refused (`StoreError.idempotencyKeyReused`). The sign-for time, now, is the receipt from
    /// which the clocks run; the sender's own time is kept beside it.
    public func intake(
        _ registration: CaseRegistration,
        externalId: String,
        submittedAt: Date?,
        fingerprint: String,
        by actor: Actor
    ) async throws -> (state: CaseState, created: Bool) {
        guard actor.permissions.contains(.intake) else {
            throw PolicyRefusal(.notPermitted, field: nil, detail: "当前账号（\(actor.roleLabel)）不是外部系统接口账号，不能通过接口转交信访件。")
        }
        var r = registration
        r.source = try IntakeSource(system: actor.name, externalId: externalId, submittedAt: submittedAt).checked()
        r.receivedAt = clock.now()
        r.registeredBy = actor.name
        return try await database.register(
            r,
            actor: actor.name,
            now: clock.now(),
            idempotencyKey: NodeDatabase.IdempotencyKey(key: Self.intakeKey(system: actor.name, externalId: externalId), fingerprint: fingerprint),
            receivedAtPastMaxDays: RegistrationLimits.receivedAtPastMaxDays
        )
    }

    /// The case `system` handed over under `externalId`, as this node stores it now; nil when it
    /// handed none under that id here.
    public func intakeCase(system: String, externalId: String) async throws -> CaseState? {
        guard let number = try await database.caseNumber(forIdempotencyKey: Self.intakeKey(system: system, externalId: externalId)) else {
            return nil
        }
        return try await database.caseState(number)
    }
}
