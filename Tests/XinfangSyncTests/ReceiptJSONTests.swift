import Foundation
import Testing
import XinfangCore
import XinfangSync
import XinfangTesting

/// A receiver's answer written by hand (`PacketResponse.encoded`) must be the encoder's bytes, and
/// read by hand (`PacketResponse.decodeCanonical`) the decoder's values: a sender of any release
/// reads it, and this one reads any release's.
struct ReceiptJSONTests {
    static let number = CaseNumber(rawValue: "430102-20261102-00001")

    /// Receipts of every kind and status, each optional field set and unset, texts the encoder
    /// escapes; answers with and without a digest reply, a session and a version.
    static var answers: [PacketResponse] {
        let receipts = [
            ItemReceipt(kind: .chain, caseNumber: number, status: .applied, head: 2),
            ItemReceipt(kind: .chain, caseNumber: number, status: .duplicate),
            ItemReceipt(kind: .chain, caseNumber: number, status: .gap, head: 0, code: .gap, detail: "缺少第 1 至 3 条事件"),
            ItemReceipt(kind: .command, caseNumber: number, commandId: "cmd-\"1\"", status: .accepted),
            ItemReceipt(kind: .command, caseNumber: number, commandId: "c", status: .rejected, code: .badSignature, detail: "签名\n无效\\"),
        ]
        var unknownCode = receipts[4]
        unknownCode.code = "a-code-of-a-later-release"
        return [
            PacketResponse(receipts: []),
            PacketResponse(receipts: receipts + [unknownCode]),
            PacketResponse(receipts: [], session: "0123456789abcdef", version: 3),
            PacketResponse(receipts: Array(receipts.prefix(2)), digest: DigestReply(differingTops: [1, 70], leaves: "AAAA", entries: "BBBB")),
            PacketResponse(receipts: [receipts[1]], digest: DigestReply(), session: "s", version: 2),
        ]
    }

    @Test func anAnswerIsWrittenAndReadAsTheEncoderAndDecoderDo() throws {
        for answer in Self.answers {
            let bytes = answer.encoded()
            #expect(bytes == (try CanonicalJSON.encoder.encode(answer)))
            let read = CanonicalJSONReader.read(bytes) { r throws(CanonicalJSONReader.Unreadable) in try PacketResponse(reading: &r) }
            #expect(read == answer, "read by hand: \(String(decoding: bytes, as: UTF8.self))")
            #expect(try PacketResponse.decodeCanonical(bytes) == answer)
        }
    }

    /// An answer not in the canonical form (whitespace, keys in another order) goes to the
    /// decoder, which reads it as before; one that is not an answer is refused.
    @Test func anAnswerInAnotherFormIsReadByTheDecoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        for answer in Self.answers {
            let pretty = try encoder.encode(answer)
            #expect(CanonicalJSONReader.read(pretty) { r throws(CanonicalJSONReader.Unreadable) in try PacketResponse(reading: &r) } == nil)
            #expect(try PacketResponse.decodeCanonical(pretty) == answer)
        }
        #expect(throws: DecodingError.self) { try PacketResponse.decodeCanonical(Data(#"{"receipts":[{"kind":"chain"}]}"#.utf8)) }
        #expect(throws: DecodingError.self) {
            try PacketResponse.decodeCanonical(Data(#"{"receipts":[{"caseNumber":"x","kind":"chain","status":"lost"}]}"#.utf8))
        }
    }
}
