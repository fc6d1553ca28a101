import Foundation

/// The kinds of file a case file (信访材料) takes, told by their first bytes, never by the name or
/// the type a client declares: scans and photos of letters, ID copies and evidence (PDF, JPEG,
/// PNG, TIFF, WebP) and recordings of calls and visits (MP3, WAV, M4A, AMR). Containers that can
/// hide other files (ZIP and the office formats built on it, archives) are not taken: a bureau
/// scans a document to PDF for the file.
public enum MediaType: String, Codable, Sendable, CaseIterable {
    case pdf = "application/pdf"
    case jpeg = "image/jpeg"
    case png = "image/png"
    case tiff = "image/tiff"
    case webp = "image/webp"
    case mp3 = "audio/mpeg"
    case wav = "audio/wav"
    case m4a = "audio/mp4"
    case amr = "audio/amr"
    /// A notice this node issued (文书), frozen as rendered; never an upload (`sniff` does not
    /// return it), so no client's HTML is ever served.
    case html = "text/html"

    /// The bytes a sniffer needs at most.
    public static let sniffBytes = 16

    /// The type the first bytes of a file say, or nil when they are none of these.
    public static func sniff(_ head: some Collection<UInt8>) -> MediaType? {
        let b = Array(head.prefix(sniffBytes))
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + bytes.count && Array(b[offset..<offset + bytes.count]) == bytes
        }
        let ascii = { (text: String) in Array(text.utf8) }
        if starts(ascii("%PDF-")) { return .pdf }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(ascii("RIFF")) && starts(ascii("WEBP"), at: 8) { return .webp }
        if starts(ascii("RIFF")) && starts(ascii("WAVE"), at: 8) { return .wav }
        if starts(ascii("ID3")) || (b.count >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0 && b[1] & 0x06 != 0) { return .mp3 }
        if starts(ascii("ftyp"), at: 4) && (starts(ascii("M4A "), at: 8) || starts(ascii("mp42"), at: 8) || starts(ascii("isom"), at: 8)) {
            return .m4a
        }
        if starts(ascii("#!AMR")) { return .amr }
        return nil
    }

    /// The file-name extensions that name this type (lower case, without the dot).
    public var extensions: Set<String> {
        switch self {
        case .pdf: ["pdf"]
        case .jpeg: ["jpg", "jpeg"]
        case .png: ["png"]
        case .tiff: ["tif", "tiff"]
        case .webp: ["webp"]
        case .mp3: ["mp3"]
        case .wav: ["wav"]
        case .m4a: ["m4a", "mp4"]
        case .amr: ["amr"]
        case .html: ["html"]
        }
    }

    /// The types a file may be uploaded as (a notice's HTML is made by the node only).
    public static var uploadable: [MediaType] { allCases.filter { $0 != .html } }

    /// The name officers know the type by.
    public var shortName: String {
        switch self {
        case .pdf: "PDF"
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .tiff: "TIFF"
        case .webp: "WebP"
        case .mp3: "MP3"
        case .wav: "WAV"
        case .m4a: "M4A"
        case .amr: "AMR"
        case .html: "HTML"
        }
    }

    /// Shown inline in a browser (a picture or a PDF); the others are downloaded.
    public var isViewable: Bool { self != .mp3 && self != .wav && self != .m4a && self != .amr && self != .tiff }

    public var label: String {
        switch self {
        case .pdf: "PDF 文档"
        case .jpeg, .png, .tiff, .webp: "图片"
        case .mp3, .wav, .m4a, .amr: "录音"
        case .html: "文书"
        }
    }
}

/// A file name as the case file keeps it: a name, never a path.
public enum AttachmentName {
    public static let lengthMax = 120

    /// The name checked against the type its bytes showed: no path, no control character, at
    /// most 120 characters, and an extension that names that type.
    public static func checked(_ raw: String, type: MediaType) throws(ValidationFailure) -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw .missing("fileName") }
        guard name.count <= lengthMax else { throw .tooLong("fileName", max: lengthMax) }
        guard !name.contains("/"), !name.contains("\\"), name != ".", name != "..", !name.hasPrefix(".") else {
            throw ValidationFailure(code: "invalid-file-name", field: "fileName", detail: "文件名不能包含路径（/ 或 \\），也不能以点开头。")
        }
        guard name.unicodeScalars.allSatisfy({ !$0.properties.generalCategory.isControlOrFormat }) else {
            throw ValidationFailure(code: "invalid-file-name", field: "fileName", detail: "文件名不能包含控制字符。")
        }
        let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last!).lowercased() : ""
        guard type.extensions.contains(ext) else {
            throw ValidationFailure(
                code: "file-type-mismatch",
                field: "fileName",
                detail: "文件内容为\(type.label)（\(type.rawValue)），与文件名 \(name) 的扩展名不符。"
            )
        }
        return name
    }
}

extension Unicode.GeneralCategory {
    var isControlOrFormat: Bool { self == .control || self == .format || self == .lineSeparator || self == .paragraphSeparator }
}
