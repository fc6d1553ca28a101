/// A QR code (ISO/IEC 18004) of a short text, drawn on the server as SVG: the TOTP enrolment
/// page shows the `otpauth://` URL an authenticator app scans, with no external service and no
/// script. Byte mode, error correction level M, versions 1 to 10 (up to 213 bytes, which an
/// `otpauth://` URL never exceeds). No Swift package in the mirror encodes QR codes, and the
/// encoder is small; `QRCodeTests` compares its matrices module by module with an independent
/// implementation (Python's `qrcode`) for every mask.
struct QRCode {
    /// The modules, row by row; true is dark.
    let modules: [[Bool]]
    let version: Int
    let mask: Int

    var size: Int { modules.count }

    enum Failure: Error { case tooLong }

    /// Level M per version: error-correction codewords per block, and the blocks' data codewords.
    static let blocks: [Int: (ec: Int, data: [Int])] = [
        1: (10, [16]), 2: (16, [28]), 3: (26, [44]), 4: (18, [32, 32]), 5: (24, [43, 43]),
        6: (16, [27, 27, 27, 27]), 7: (18, [31, 31, 31, 31]), 8: (22, [38, 38, 39, 39]),
        9: (22, [36, 36, 36, 37, 37]), 10: (26, [43, 43, 43, 43, 44]),
    ]

    static let alignment: [Int: [Int]] = [
        2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34], 7: [6, 22, 38], 8: [6, 24, 42], 9: [6, 26, 46], 10: [6, 28, 50],
    ]

    /// Encodes `text` in the smallest version that holds it, with the mask of least penalty (or
    /// `mask` when given, for tests).
    init(_ text: String, mask forcedMask: Int? = nil, version forcedVersion: Int? = nil) throws(Failure) {
        let bytes = Array(text.utf8)
        guard
            let version = forcedVersion
                ?? (1...10).first(where: { v in
                    (Self.blocks[v]?.data.reduce(0, +) ?? 0) * 8 >= 4 + (v < 10 ? 8 : 16) + bytes.count * 8
                })
        else { throw .tooLong }
        self.version = version
        let codewords = Self.codewords(bytes, version: version)
        var grid = Grid(version: version)  // the function patterns and data, before a mask
        grid.placeFunctionPatterns()
        grid.placeData(codewords)
        // Each mask finished and scored once; the least penalty wins (the lowest mask on a tie).
        let candidates = (forcedMask.map { [$0] } ?? Array(0..<8)).map { mask -> (mask: Int, grid: Grid, penalty: Int) in
            var finished = grid
            finished.finish(mask: mask)
            return (mask, finished, finished.penalty)
        }
        let best = candidates.min { $0.penalty < $1.penalty }!
        mask = best.mask
        modules = best.grid.dark
    }

    /// The data and error-correction codewords, interleaved as the symbol carries them.
    static func codewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        let (ecCount, dataSizes) = blocks[version]!
        let capacity = dataSizes.reduce(0, +)
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) { for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) } }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for byte in bytes { append(Int(byte), 8) }
        append(0, min(4, capacity * 8 - bits.count))
        while bits.count % 8 != 0 { bits.append(false) }
        var data: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { i in bits[i..<i + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) } }
        var pad: UInt8 = 0xEC
        while data.count < capacity {
            data.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        var dataBlocks: [[UInt8]] = []
        var offset = 0
        for size in dataSizes {
            dataBlocks.append(Array(data[offset..<offset + size]))
            offset += size
        }
        let ecBlocks = dataBlocks.map { ReedSolomon.remainder($0, degree: ecCount) }
        var out: [UInt8] = []
        for i in 0..<(dataSizes.max() ?? 0) { for block in dataBlocks where i < block.count { out.append(block[i]) } }
        for i in 0..<ecCount { for block in ecBlocks { out.append(block[i]) } }
        return out
    }

    /// The code as an SVG drawing, `scale` pixels per module, with the 4-module quiet zone.
    func svg(scale: Int = 5) -> String {
        let side = (size + 8) * scale
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + 4) \(y + 4)h1v1h-1z" }
        }
        return """
            <svg role="img" aria-label="二维码" xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" \
            viewBox="0 0 \(size + 8) \(size + 8)" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }
}

/// Reed–Solomon error correction over GF(256) with the QR polynomial x⁸+x⁴+x³+x²+1.
enum ReedSolomon {
    static let (exp, log): ([UInt8], [Int]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var x = 1
        for i in 0..<255 {
            exp[i] = UInt8(x)
            log[x] = i
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        for i in 255..<512 { exp[i] = exp[i - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 || b == 0 ? 0 : exp[log[Int(a)] + log[Int(b)]]
    }

    /// The generator polynomial of `degree`, highest coefficient first (leading 1 left out).
    static func generator(_ degree: Int) -> [UInt8] {
        var poly: [UInt8] = [1]
        for i in 0..<degree {
            var next = [UInt8](repeating: 0, count: poly.count + 1)
            for (j, c) in poly.enumerated() {
                next[j] ^= c
                next[j + 1] ^= multiply(c, exp[i])
            }
            poly = next
        }
        return Array(poly.dropFirst())
    }

    /// The `degree` error-correction codewords of `data`.
    static func remainder(_ data: [UInt8], degree: Int) -> [UInt8] {
        let gen = generator(degree)
        var rem = [UInt8](repeating: 0, count: degree)
        for byte in data {
            let factor = byte ^ rem[0]
            rem.removeFirst()
            rem.append(0)
            for i in 0..<degree { rem[i] ^= multiply(gen[i], factor) }
        }
        return rem
    }
}

/// The symbol being built: its modules and which of them are function patterns.
private struct Grid {
    let version: Int
    let size: Int
    var dark: [[Bool]]
    var reserved: [[Bool]]

    init(version: Int) {
        self.version = version
        size = 17 + 4 * version
        dark = Array(repeating: Array(repeating: false, count: size), count: size)
        reserved = dark
    }

    mutating func set(_ x: Int, _ y: Int, _ value: Bool) {
        dark[y][x] = value
        reserved[y][x] = true
    }

    mutating func placeFunctionPatterns() {
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = cx + dx
                    let y = cy + dy
                    guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                    let ring = max(abs(dx), abs(dy))
                    set(x, y, ring != 2 && ring != 4)
                }
            }
        }
        for i in 8..<(size - 8) {
            set(i, 6, i % 2 == 0)
            set(6, i, i % 2 == 0)
        }
        let centres = QRCode.alignment[version] ?? []
        for cy in centres {
            for cx in centres where !(cx == 6 && cy == 6) && !(cx == 6 && cy == size - 7) && !(cx == size - 7 && cy == 6) {
                for dy in -2...2 { for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) } }
            }
        }
        // The format areas (written with the mask) and the dark module.
        for i in 0..<9 {
            reserved[8][i] = true
            reserved[i][8] = true
        }
        for i in 0..<8 {
            reserved[8][size - 1 - i] = true
            reserved[size - 1 - i][8] = true
        }
        set(8, size - 8, true)
        if version >= 7 {
            let bits = Self.versionBits(version)
            for i in 0..<18 {
                let bit = (bits >> i) & 1 == 1
                let a = size - 11 + i % 3
                let b = i / 3
                set(a, b, bit)
                set(b, a, bit)
            }
        }
    }

    /// The data codewords in the zigzag order, two columns at a time from the bottom right.
    mutating func placeData(_ codewords: [UInt8]) {
        var bit = 0
        let total = codewords.count * 8
        var right = size - 1
        var upward = true
        while right > 0 {
            if right == 6 { right -= 1 }
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in [right, right - 1] where !reserved[y][x] {
                    if bit < total { dark[y][x] = (codewords[bit / 8] >> (7 - bit % 8)) & 1 == 1 }
                    bit += 1
                }
            }
            upward.toggle()
            right -= 2
        }
    }

    static func masked(_ mask: Int, _ x: Int, _ y: Int) -> Bool {
        switch mask {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (y / 2 + x / 3) % 2 == 0
        case 5: (x * y) % 2 + (x * y) % 3 == 0
        case 6: ((x * y) % 2 + (x * y) % 3) % 2 == 0
        default: ((x + y) % 2 + (x * y) % 3) % 2 == 0
        }
    }

    /// Applies `mask` to the data modules and writes the format information.
    mutating func finish(mask: Int) {
        for y in 0..<size { for x in 0..<size where !reserved[y][x] && Self.masked(mask, x, y) { dark[y][x].toggle() } }
        let bits = Self.formatBits(mask: mask)
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        for i in 0..<6 { dark[i][8] = bit(i) }
        dark[7][8] = bit(6)
        dark[8][8] = bit(7)
        dark[8][7] = bit(8)
        for i in 9..<15 { dark[8][14 - i] = bit(i) }
        for i in 0..<8 { dark[8][size - 1 - i] = bit(i) }
        for i in 8..<15 { dark[size - 15 + i][8] = bit(i) }
        dark[size - 8][8] = true
    }

    /// Level M (00) and the mask, BCH(15,5) coded and masked with 101010000010010.
    static func formatBits(mask: Int) -> Int {
        let data = (0b00 << 3) | mask
        var rem = data
        for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
        return ((data << 10) | rem) ^ 0x5412
    }

    /// The version, BCH(18,6) coded.
    static func versionBits(_ version: Int) -> Int {
        var rem = version
        for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
        return (version << 12) | rem
    }

    /// ISO/IEC 18004's penalty: runs, 2×2 blocks, finder-like patterns, imbalance.
    var penalty: Int {
        var score = 0
        func lines(_ transpose: Bool) -> [[Bool]] {
            transpose ? (0..<size).map { x in (0..<size).map { dark[$0][x] } } : dark
        }
        let finderLike: [Bool] = [true, false, true, true, true, false, true]
        for transpose in [false, true] {
            for line in lines(transpose) {
                var run = 1
                for i in 1..<size {
                    if line[i] == line[i - 1] {
                        run += 1
                    } else {
                        if run >= 5 { score += run - 2 }
                        run = 1
                    }
                }
                if run >= 5 { score += run - 2 }
                for i in 0...(size - 7) where Array(line[i..<i + 7]) == finderLike {
                    let before = i >= 4 && !line[(i - 4)..<i].contains(true)
                    let after = i + 11 <= size && !line[(i + 7)..<(i + 11)].contains(true)
                    if before || after { score += 40 }
                }
            }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) where dark[y][x] == dark[y][x + 1] && dark[y][x] == dark[y + 1][x] && dark[y][x] == dark[y + 1][x + 1] {
                score += 3
            }
        }
        let darkCount = dark.reduce(0) { $0 + $1.filter { $0 }.count }
        score += abs(darkCount * 20 - size * size * 10) / (size * size) * 10
        return score
    }
}
