/// The password rules of 等保 身份鉴别 a: length and character classes; no part of the user name.
public enum PasswordPolicy {
    public static let lengthMin = 12
    public static let lengthMax = 128

    /// Checks a new password; throws a failure naming the rule it breaks.
    public static func check(_ password: String, username: String) throws(ValidationFailure) {
        guard password.count >= lengthMin else {
            throw ValidationFailure(code: "weak-password", field: "password", detail: "密码至少 \(lengthMin) 位。")
        }
        guard password.count <= lengthMax else { throw .tooLong("password", max: lengthMax) }
        var classes = 0
        if password.contains(where: { $0.isASCII && $0.isLowercase }) { classes += 1 }
        if password.contains(where: { $0.isASCII && $0.isUppercase }) { classes += 1 }
        if password.contains(where: { $0.isASCII && $0.isNumber }) { classes += 1 }
        if password.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }) { classes += 1 }
        guard classes >= 3 else {
            throw ValidationFailure(
                code: "weak-password",
                field: "password",
                detail: "密码须包含大写字母、小写字母、数字、符号中的至少三类。"
            )
        }
        guard !password.lowercased().contains(username.lowercased()) else {
            throw ValidationFailure(code: "weak-password", field: "password", detail: "密码不能包含用户名。")
        }
    }
}
