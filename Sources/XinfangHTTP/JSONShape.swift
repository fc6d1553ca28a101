import Foundation

/// What Foundation's JSON readers let pass and the API must not: a member given twice in one
/// object (`{"action":"comment","action":"close"}`: the readers keep one, silently). A single pass
/// over the bytes, keys compared after their escapes are read.
enum JSONShape {
    /// The path of the first member that appears twice in one object (`parent.child`), nil when
    /// there is none. Text that is not JSON is left to the decoder to refuse.
    static func duplicateMember(in data: Data) -> String? {
        struct Level {
            var isObject: Bool
            var name: String
            var keys: Set<String> = []
            var expectKey: Bool
            var lastKey = ""
            /// In an array: the position of the current element.
            var index = 0
        }
        func childName(_ stack: [Level]) -> String {
            guard let top = stack.last else { return "" }
            return top.isObject ? top.lastKey : String(top.index)
        }
        var stack: [Level] = []
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < bytes.count, bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                guard j < bytes.count else { return nil }
                if let top = stack.last, top.isObject, top.expectKey {
                    let raw = Data(bytes[i...j])
                    guard let key = try? JSONDecoder().decode(String.self, from: raw) else { return nil }
                    let path = (stack.map(\.name).filter { !$0.isEmpty } + [key]).joined(separator: ".")
                    guard !top.keys.contains(key) else { return path }
                    stack[stack.count - 1].keys.insert(key)
                    stack[stack.count - 1].expectKey = false
                    stack[stack.count - 1].lastKey = key
                }
                i = j
            case UInt8(ascii: "{"): stack.append(Level(isObject: true, name: childName(stack), expectKey: true))
            case UInt8(ascii: "["): stack.append(Level(isObject: false, name: childName(stack), expectKey: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if stack.last?.isObject == true {
                    stack[stack.count - 1].expectKey = true
                } else if !stack.isEmpty {
                    stack[stack.count - 1].index += 1
                }
            default: break
            }
            i += 1
        }
        return nil
    }
}
