import Foundation

/// Charts drawn on the server as inline SVG (no script, no external library).
enum SVGChart {
    struct Bar {
        var label: String
        var value: Int
        var href: String?
    }

    static let palette = ["#8b1a1a", "#d97706", "#1d4ed8", "#059669", "#7c3aed", "#6b7280"]

    /// Horizontal bars, one per item, with the value at the end; a bar links to `href`.
    static func bars(_ items: [Bar], color: String = "#8b1a1a", width: Int = 560) -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">暂无数据</p>" }
        let labelWidth = 130
        let rowHeight = 24
        let height = items.count * rowHeight + 8
        let maximum = max(items.map(\.value).max() ?? 0, 1)
        let span = Double(width - labelWidth - 50)
        var out =
            "<svg role=\"img\" width=\"100%\" style=\"max-width:\(width)px\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, item) in items.enumerated() {
            let y = i * rowHeight + 4
            let w = Int((Double(item.value) / Double(maximum) * span).rounded())
            var bar = "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(HTML.escape(item.label))</text>"
            bar +=
                "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(max(w, item.value > 0 ? 2 : 0))\" height=\"\(rowHeight - 8)\" fill=\"\(color)\"/>"
            bar += "<text x=\"\(labelWidth + w + 6)\" y=\"\(y + 15)\">\(item.value)</text>"
            out += item.href.map { "<a href=\"\(HTML.escape($0))\">\(bar)</a>" } ?? bar
        }
        return out + "</svg>"
    }

    /// Grouped vertical bars per period for two or more series (e.g. intake and closure per month).
    static func grouped(periods: [String], series: [(name: String, values: [Int])], width: Int = 560, height: Int = 220) -> String {
        guard !periods.isEmpty else { return "<p class=\"muted\">暂无数据</p>" }
        let left = 36
        let bottom = 40
        let plotHeight = Double(height - bottom - 24)
        let maximum = max(series.flatMap(\.values).max() ?? 0, 1)
        let slot = Double(width - left - 8) / Double(periods.count)
        let barWidth = max(2.0, (slot - 6) / Double(max(series.count, 1)))
        var out =
            "<svg role=\"img\" width=\"100%\" style=\"max-width:\(width)px\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        out += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 4)\" y2=\"\(height - bottom)\" stroke=\"#9ca3af\"/>"
        out += "<text x=\"\(left - 4)\" y=\"28\" text-anchor=\"end\">\(maximum)</text>"
        for (p, period) in periods.enumerated() {
            let x0 = Double(left) + Double(p) * slot + 3
            for (s, line) in series.enumerated() {
                let value = p < line.values.count ? line.values[p] : 0
                let h = Double(value) / Double(maximum) * plotHeight
                let x = x0 + Double(s) * barWidth
                out += String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@ %@：%d</title></rect>",
                    x,
                    Double(height - bottom) - h,
                    barWidth - 1,
                    h,
                    palette[s % palette.count],
                    HTML.escape(period),
                    HTML.escape(line.name),
                    value
                )
            }
            out += String(
                format: "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%@</text>",
                x0 + slot / 2 - 3,
                height - bottom + 16,
                HTML.escape(Self.monthLabel(period))
            )
        }
        for (s, line) in series.enumerated() {
            let x = left + s * 110
            out += "<rect x=\"\(x)\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"\(palette[s % palette.count])\"/>"
            out += "<text x=\"\(x + 14)\" y=\"\(height - 5)\">\(HTML.escape(line.name))</text>"
        }
        return out + "</svg>"
    }

    /// `2026-07` → `7月` (the panel's title says which twelve months).
    static func monthLabel(_ period: String) -> String {
        let parts = period.split(separator: "-")
        guard parts.count == 2, let month = Int(parts[1]) else { return period }
        return "\(month)月"
    }

    /// Rates (0–1) as bars against a target line each; a missing rate is drawn as "—".
    static func rates(_ items: [(label: String, rate: Double?, target: Double?)], width: Int = 560) -> String {
        let labelWidth = 170
        let rowHeight = 26
        let height = items.count * rowHeight + 8
        let span = Double(width - labelWidth - 60)
        var out =
            "<svg role=\"img\" width=\"100%\" style=\"max-width:\(width)px\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, item) in items.enumerated() {
            let y = i * rowHeight + 4
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 16)\" text-anchor=\"end\">\(HTML.escape(item.label))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(Int(span))\" height=\"\(rowHeight - 10)\" fill=\"#f3f4f6\"/>"
            if let rate = item.rate {
                let below = item.target.map { rate < $0 } ?? false
                out +=
                    "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(Int(rate * span))\" height=\"\(rowHeight - 10)\" fill=\"\(below ? "#b91c1c" : "#059669")\"/>"
            }
            if let target = item.target {
                let x = labelWidth + Int(target * span)
                out +=
                    "<line x1=\"\(x)\" y1=\"\(y)\" x2=\"\(x)\" y2=\"\(y + rowHeight - 4)\" stroke=\"#111827\" stroke-dasharray=\"3,2\"><title>目标 \(HTML.percent(target))</title></line>"
            }
            out += "<text x=\"\(labelWidth + Int(span) + 6)\" y=\"\(y + 16)\">\(HTML.percent(item.rate))</text>"
        }
        return out + "</svg>"
    }
}
