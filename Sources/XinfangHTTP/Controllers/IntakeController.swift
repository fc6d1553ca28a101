import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangService
import XinfangStore

/// The intake API for other systems (issue 18): a 12345 hotline or an online petition portal,
/// signed in with a token of an account of the role 外部系统接口 (whose one permission is `intake`),
/// hands petitions over under its own ids and follows them.
///
/// - `POST /api/v1/intake/petitions` `{externalId, submittedAt?, petition: {…registration…}}`:
///   201 with the case signed for (签收, the clocks start now), 200 with the same answer for a
///   retry or a duplicate however concurrent, 422 `idempotency-key-reused` for another petition
///   under an id used before. A repeat the intake check recognises is linked to the earlier case
///   (并单) and the answer names it (`repeatOf`).
/// - `GET /api/v1/intake/petitions/{externalId}`: where it stands — the public milestones, the
///   organ handling it, 退单 with its reason.
/// - `POST /api/v1/intake/petitions/{externalId}/attachments?fileName=&stage=`: its material, by
///   the case-file mechanism.
/// Every public milestone goes back to the system's callback URL, when it gave one (`intake` in
/// the config), signed and retried from the notification outbox.
struct IntakeController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("intake/petitions", use: submit)
        group.get("intake/petitions/{externalId}", use: status)
        group.post("intake/petitions/{externalId}/attachments", use: attach)
    }

    struct IntakeInput: StrictInput {
        var externalId: String?
        var submittedAt: Date?
        var petition: RegistrationInput?

        static var knownKeys: Set<String> {
            Set(["externalId", "submittedAt", "petition"]).union(RegistrationInput.knownKeys.map { "petition.\($0)" })
        }
    }

    /// What the sender sees of its petition: never a staff member, an internal note or another case.
    struct IntakeView: Encodable {
        var externalId: String
        var caseNumber: String
        var signedAt: Date
        var status: CaseStatus
        var statusLabel: String
        var handlingOrgan: String
        /// 并单: the earlier case this petition was found to repeat.
        var repeatOf: String?
        /// 退单: why the office handed it back.
        var returned: Returned?
        var lookupCode: String?
        var progress: PublicProgress

        struct Returned: Encodable {
            var reason: SenderReturnReason
            var reasonLabel: String
            var note: String?
            var at: Date
        }
    }

    func view(_ state: CaseState, externalId: String) async throws -> IntakeView {
        let events = try await services.database.events(of: state.caseNumber)
        let progress = PublicLookup.progress(
            events: events,
            state: state,
            topology: services.database.hierarchy?.topology,
            calendar: services.database.calendar,
            now: services.clock.now()
        )
        var returned: IntakeView.Returned?
        for event in events {
            if case .act(.returnToSender(let reason, let note)) = event.body {
                returned = .init(reason: reason, reasonLabel: reason.label, note: note, at: event.date)
            }
        }
        let finding = state.registration.intake
        return IntakeView(
            externalId: externalId,
            caseNumber: state.caseNumber.rawValue,
            signedAt: state.registration.receivedAt,
            status: state.status,
            statusLabel: state.status.label,
            handlingOrgan: progress.handlingOrgan,
            repeatOf: finding.flatMap { $0.kind == .skipLevel ? nil : $0.earlierCase.rawValue },
            returned: returned,
            lookupCode: try state.lookup.map { try services.database.personalData.openLookupCode($0).description },
            progress: progress
        )
    }

    func externalId(_ raw: String?) throws -> String {
        guard let raw, IntakeSource.isValidExternalID(raw) else {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "externalId 须为 1 到 64 位字母、数字或 -_.: 符号。", field: "externalId")
        }
        return raw
    }

    @Sendable func submit(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.intake)
        let (input, body) = try await APIJSON.decode(IntakeInput.self, from: request, context: context)
        let id = try externalId(input.externalId)
        guard let petition = input.petition else { throw APIProblem(.badRequest, code: "missing-field", detail: "缺少 petition。", field: "petition") }
        let registration: CaseRegistration
        do { registration = try petition.registration(now: services.clock.now()) } catch { throw APIProblem(error) }
        AuditScope.current?.update {
            $0.action = "intake.submit"
            $0.detail = id
        }
        let actor = CaseService.Actor(name: principal.user.username, permissions: principal.permissions, roleLabel: principal.user.role.label)
        let (state, created) = try await services.cases.intake(
            registration,
            externalId: id,
            submittedAt: input.submittedAt,
            fingerprint: Self.fingerprint(body),
            by: actor
        )
        var headers = HTTPFields()
        headers[.location] = "/api/v1/intake/petitions/\(id)"
        return try APIJSON.response(try await view(state, externalId: id), status: created ? .created : .ok, headers: headers)
    }

    /// The request's meaning, not its bytes: the same members in another order or spacing are the
    /// same petition.
    static func fingerprint(_ body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body),
            let canonical = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return body.sha256Hex }
        return canonical.sha256Hex
    }

    func found(_ principal: Principal, _ context: Context) async throws -> (CaseState, String) {
        let id = try externalId(context.parameters.get("externalId"))
        guard let state = try await services.cases.intakeCase(system: principal.user.username, externalId: id) else {
            throw APIProblem(.notFound, code: "petition-not-found", detail: "本系统没有以 \(id) 转交的信访件。")
        }
        return (state, id)
    }

    @Sendable func status(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.intake)
        let (state, id) = try await found(principal, context)
        return try APIJSON.response(try await view(state, externalId: id))
    }

    @Sendable func attach(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.intake)
        let (state, id) = try await found(principal, context)
        // The system files material as a registrar would, for its own petition only.
        let registrar = Principal(user: principal.user, permissions: [.register, .readCases])
        AuditScope.current?.update { $0.detail = id }
        let response = try await AttachmentController<Context>(services: services).upload(request, to: state.caseNumber, as: registrar)
        guard (200..<300).contains(response.status.code) else { return response }
        return try APIJSON.response(
            try await view(try await services.database.caseState(state.caseNumber) ?? state, externalId: id),
            status: response.status
        )
    }
}
