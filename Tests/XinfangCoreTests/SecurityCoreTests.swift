import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// Masking, sealing, match keys, the password policy, roles, and key rotation in the topology.
struct SecurityCoreTests {
    @Test func masksKeepOnlyWhatIsShown() {
        #expect(Masking.idNumber("110101199003071234") == "110101********1234")
        #expect(Masking.mobile("13812345678") == "138****5678")
        #expect(Masking.name("张伟") == "张*" && Masking.name("欧阳娜娜") == "欧***")
        #expect(Masking.address("湖南省长沙市芙蓉区五一大道100号3栋") == "湖南省长沙市芙蓉区****")
        #expect(Masking.idNumber("G123") == "G***", "a short document number shows its first character only")
    }

    @Test func sealingHidesThePlaintextAndOpensItAgain() throws {
        let protector = PersonalDataProtector(keyring: DataKeyring.generate())
        let person = Fixtures.petitioner(person: 4242)
        let sealed = try protector.protect(person)
        #expect(sealed.idNumber == nil && sealed.mobile == nil && sealed.address == nil && sealed.sealed != nil)
        #expect(sealed.masked?.idNumber == Masking.idNumber(person.idNumber!))
        let json = String(decoding: try JSONEncoder().encode(sealed), as: UTF8.self)
        #expect(!json.contains(person.idNumber!) && !json.contains(person.mobile!))
        let opened = try protector.reveal(sealed)
        #expect(opened.idNumber == person.idNumber && opened.mobile == person.mobile && opened.address == person.address)
        // Deterministic (a replayed registration makes the same event), authenticated (a changed box does not open).
        #expect(try protector.protect(person) == sealed)
        var tampered = sealed
        var box = Data(base64Encoded: tampered.sealed!.box)!
        box[box.count / 2] ^= 1
        tampered.sealed!.box = box.base64EncodedString()
        #expect(throws: (any Error).self) { try protector.reveal(tampered) }
        // Another hierarchy's keyring cannot open it, and its match keys differ.
        let other = PersonalDataProtector(keyring: DataKeyring.generate())
        #expect(throws: (any Error).self) { try other.reveal(sealed) }
        #expect(other.matchKeys(of: person) != protector.matchKeys(of: person))
        #expect(protector.matchKeys(of: sealed) == protector.matchKeys(of: person), "the keys travel with the sealed form")
    }

    @Test func aRotatedDataKeyStillOpensWhatTheOldOneSealed() throws {
        var keyring = DataKeyring.generate()
        let before = try PersonalDataProtector(keyring: keyring).protect(Fixtures.petitioner(person: 77))
        keyring.rotate()
        #expect(keyring.active == "k2" && keyring.keys.count == 2)
        let rotated = PersonalDataProtector(keyring: keyring)
        let after = try rotated.protect(Fixtures.petitioner(person: 77))
        #expect(after.sealed?.kid == "k2" && before.sealed?.kid == "k1")
        #expect(try rotated.reveal(before).idNumber == Fixtures.idNumber(person: 77))
        #expect(rotated.matchKeys(of: before) == rotated.matchKeys(of: after), "repeats are still matched across the rotation")
    }

    @Test func thePasswordPolicyRefusesWeakPasswords() throws {
        for weak in ["Short1!", "alllowercaseandlong", "ALLUPPER123456", "zhangsan-Secret1"] {
            #expect(throws: ValidationFailure.self) { try PasswordPolicy.check(weak, username: "zhangsan") }
        }
        try PasswordPolicy.check("Correct-Horse-9", username: "zhangsan")
    }

    @Test func administratorsReadNoCaseContentAndTheRolesThatReadPersonalDataNeedASecondFactor() {
        for role in Role.allCases where role.isAdministrator {
            #expect(!role.permissions.contains(.readCases) && !role.permissions.contains(.readPersonalData) && role.needsSecondFactor)
        }
        #expect(Role.registrar.needsSecondFactor && Role.handler.needsSecondFactor && Role.leader.needsSecondFactor)
        #expect(!Role.supervisor.needsSecondFactor && !Role.supervisor.permissions.contains(.readPersonalData))
        #expect(CaseAction.extend(days: 5, approver: "x", reason: "y").permission == .approve)
        #expect(CaseAction.supervise(by: Fixtures.city, dueAt: Date(), note: "x").permission == .supervise)
        #expect(CaseAction.notify(note: nil).permission == .act)
    }

    @Test func aRetiredKeyVerifiesWhatItSignedBeforeItsRetirementOnly() throws {
        let old = NodeKey()
        let new = NodeKey()
        let retiredAt = Fixtures.instant("2026-11-20T00:00:00+08:00")
        var node = TopologyNode(
            id: Fixtures.county,
            name: "芙蓉区",
            level: .county,
            parent: Fixtures.city,
            baseURL: "http://x",
            publicKey: new.publicKeyBase64
        )
        let data = Data("event hash".utf8)
        #expect(!node.verifies(old.sign(data), of: data, signedAt: retiredAt.addingTimeInterval(-60)), "not listed yet")
        node.retiredKeys = [RetiredKey(publicKey: old.publicKeyBase64, retiredAt: retiredAt)]
        #expect(node.verifies(old.sign(data), of: data, signedAt: retiredAt.addingTimeInterval(-60)))
        #expect(
            !node.verifies(old.sign(data), of: data, signedAt: retiredAt.addingTimeInterval(60)),
            "nothing the old key signs after its retirement"
        )
        #expect(node.verifies(new.sign(data), of: data, signedAt: retiredAt.addingTimeInterval(60)))
        // The topology file round-trips the retired keys.
        let topology = Topology(nodes: [node])
        #expect(try JSONDecoder().decode(Topology.self, from: JSONEncoder().encode(topology)) == topology)
    }
}
