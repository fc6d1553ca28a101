public import Foundation
public import XinfangCore
import XinfangStore

/// Every kind of written notice for cases taken through their whole life on the simulated
/// hierarchy (the real stores, the real sync code): a 交办 from the province to 芙蓉区, accepted,
/// extended, answered, served, closed and verified, then reviewed by 长沙市 and re-reviewed by
/// the province; a 转送 from 长沙市; a case not accepted and one not accepted again. What
/// `xinfang notices samples` writes and the notice screenshots are taken from.
public enum NoticeSamples {
    public struct Sample: Sendable {
        public var kind: NoticeKind
        public var organ: NodeID
        public var record: NoticeRecord
        public var bytes: Data
    }

    /// Issues each notice at the organ that issues it, rendered by `render`.
    public static func run(directory: URL, render: @escaping @Sendable (NoticeDraft) throws -> Data) async throws -> [Sample] {
        typealias H = ExampleHierarchy
        let sim = try await Simulation.scripted(directory: directory)
        var samples: [Sample] = []
        func issue(_ kind: NoticeKind, at node: NodeID, _ number: CaseNumber) async throws {
            let store = await sim.store(node)!
            let name = H.nodes.first { $0.0 == node }?.1 ?? node.rawValue
            let prefix = NoticeNumbering.defaultPrefix(organName: name.replacingOccurrences(of: "人力资源和社会保障", with: "人社"))
            let (_, record) = try await store.issueNotice(kind, on: number, prefix: prefix, actor: "经办人", now: await sim.currentTime, render: render)
            var bytes = Data()
            try store.blobs.read(record.sha256) { bytes.append($0) }
            samples.append(Sample(kind: kind, organ: node, record: record, bytes: bytes))
        }
        func step(_ node: NodeID, _ number: CaseNumber, _ action: CaseAction) async throws {
            _ = try await sim.act(at: node, number, action)
            try await sim.settle()
        }
        func today() async -> CivilDate { DeadlineCalendar.standard.civilDate(of: await sim.currentTime) }

        // 交办: the province to 芙蓉区, through its whole life.
        let main = try await sim.register(at: H.province, region: "430102")
        try await step(
            H.province,
            main,
            .offer(to: H.furong, mode: .assign, dueAt: await sim.currentTime.addingTimeInterval(50 * 86_400), note: "请依法办理并按期报送办理结果")
        )
        try await issue(.assignForm, at: H.province, main)
        try await step(H.furong, main, .accept)
        try await step(H.furong, main, .notify(note: nil))
        try await issue(.acceptance, at: H.furong, main)
        await sim.wait(seconds: 20 * 86_400)
        try await step(H.furong, main, .extend(days: 30, approver: "王局长", reason: "涉及单位多、需调取社保缴费记录核实"))
        try await issue(.extensionNotice, at: H.furong, main)
        await sim.wait(seconds: 10 * 86_400)
        try await step(H.furong, main, .reply(outcome: .supported, opinion: "经调查核实，某建筑劳务公司拖欠你三个月工资共计人民币一万八千元属实。本机关已责令该公司于十五日内足额支付，并将跟踪督促落实。"))
        try await issue(.handlingOpinion, at: H.furong, main)
        let served = try await sim.store(H.furong)!.caseState(main)!.notices!.last!.docNumber
        await sim.wait(seconds: 3 * 86_400)
        try await step(H.furong, main, .serveNotice(docNumber: served, on: await today(), method: .inPerson, signed: true, note: "信访人本人签收"))
        try await step(H.furong, main, .close(report: "已责令支付，办结。"))
        try await step(H.province, main, .verifyClosure(note: nil))
        // The petitioner asks for 复查, then 复核: each request goes to the level above the organ
        // whose opinion is contested (the policy names it), which then holds the case.
        let holder = try await sim.store(H.province)!.caseState(main)!.holder
        try await step(holder, main, .requestReview(reason: "对支付期限不满意，请求尽快支付。", reviewer: nil))
        let reviewer = try await sim.store(H.province)!.caseState(main)!.holder
        await sim.wait(seconds: 10 * 86_400)
        try await step(reviewer, main, .decideReview(outcome: .explained, opinion: "经复查，原处理意见认定事实清楚，责令支付的期限符合规定，予以维持，并督促用人单位提前支付。"))
        try await issue(.reviewOpinion, at: reviewer, main)
        try await step(reviewer, main, .requestReReview(reason: "仍不服复查意见。", reviewer: nil))
        let reReviewer = try await sim.store(H.province)!.caseState(main)!.holder
        await sim.wait(seconds: 10 * 86_400)
        try await step(reReviewer, main, .decideReReview(outcome: .notSupported, opinion: "经复核，复查意见认定事实清楚、适用依据正确、处理恰当，予以维持；关于再缩短支付期限的请求，不予支持。"))
        try await issue(.reReviewOpinion, at: reReviewer, main)

        // 转送 from 长沙市 to 岳麓区.
        let transferred = try await sim.register(at: H.changsha, region: "430104")
        try await step(H.changsha, transferred, .offer(to: H.yuelu, mode: .transfer, dueAt: nil, note: nil))
        try await issue(.transferForm, at: H.changsha, transferred)
        // 不予受理 and 不再受理 at 芙蓉区.
        let rejected = try await sim.register(at: H.furong, region: "430102")
        try await step(H.furong, rejected, .reject(reason: "你反映的劳动合同纠纷事项已由劳动人事争议仲裁委员会受理，应当依照仲裁程序处理"))
        try await issue(.nonAcceptance, at: H.furong, rejected)
        let repeated = try await sim.register(at: H.furong, region: "430102")
        try await step(H.furong, repeated, .refuseRepeat(earlierCase: main, reason: "你以同一事实和理由再次提出信访事项"))
        try await issue(.noFurtherAcceptance, at: H.furong, repeated)
        return samples
    }
}
