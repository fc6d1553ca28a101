import Crypto
import Foundation
import Testing
import XinfangCore

/// The 查询码's form (issue 18): random, typed forgivingly, and every mistyped symbol caught.
struct LookupCodeTests {
    @Test func aCodeReadsBackAsPrintedAndTyped() {
        var random = SeededRandom(seed: 7)
        let code = LookupCode.generate(using: &random)
        #expect(code.symbols.count == 11 && code.description.count == 13)
        #expect(LookupCode(typed: code.description) == code)
        #expect(LookupCode(typed: " " + code.symbols.lowercased() + " ") == code, "case and spaces do not matter")
        #expect(!code.symbols.contains { "01IO".contains($0) })
    }

    @Test func everySingleMistypeAndNeighbourSwapButTwoZIsCaught() {
        var random = SeededRandom(seed: 11)
        var swapsMissed: Set<String> = []
        for _ in 0..<200 {
            let code = Array(LookupCode.generate(using: &random).symbols)
            for i in code.indices {
                for c in LookupCode.alphabet where c != code[i] {
                    var typo = code
                    typo[i] = c
                    #expect(LookupCode(typed: String(typo)) == nil, "\(String(typo)) from \(String(code))")
                }
                if i + 1 < code.count, code[i] != code[i + 1] {
                    var swapped = code
                    swapped.swapAt(i, i + 1)
                    if LookupCode(typed: String(swapped)) != nil { swapsMissed.insert(String([code[i], code[i + 1]].sorted())) }
                }
            }
        }
        #expect(swapsMissed.isSubset(of: ["2Z"]), "only 2↔Z goes unseen: \(swapsMissed)")
    }

    @Test func whatIsNotACodeIsRefused() {
        for typed in ["", "ABCD", "ABCD-EFGH-JK", "ABCD-EFGH-JKMN", "0BCD-EFGH-JKM", "ABCD-EFGH-JK!"] {
            #expect(LookupCode(typed: typed) == nil, "\(typed)")
        }
    }

    @Test func theDigestIsKeyedAndNeverTheCode() {
        var random = SeededRandom(seed: 3)
        let code = LookupCode.generate(using: &random)
        let key = SymmetricKey(data: Data(repeating: 1, count: 32))
        let other = SymmetricKey(data: Data(repeating: 2, count: 32))
        #expect(code.digest(key: key) == code.digest(key: key) && code.digest(key: key).count == 64)
        #expect(code.digest(key: key) != code.digest(key: other))
        #expect(!code.digest(key: key).contains(code.symbols.lowercased()))
    }
}
