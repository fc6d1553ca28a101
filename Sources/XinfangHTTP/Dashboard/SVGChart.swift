import Foundation

/// Charts drawn on the server as inline SVG (no script, no external library).
enum SVGChart {
    struct Bar {
        var label: String
        var value: Int
        var href: String?
    }

    static let palette = ["#8b1a1a", "#d97706", "#1d4ed8", "#059669", "#7c3aed", "#6b7280"]

    /// A round scale maximum at or above `value` (1, 2, 5 × 10ⁿ) and its ticks: 0, half, whole.
    static func scale(_ value: Int) -> (maximum: Int, ticks: [Int]) {
        var step = 1
        while true {
            for m in [1, 2, 5] where m * step >= value && m * step >= 2 {
                let top = m * step
                return (top, top % 2 == 0 ? [0, top / 2, top] : [0, top])
            }
            step *= 10
        }
    }

    /// Horizontal bars, one per item, with the value at the end; a bar links to `href`. A zero
    /// line, an axis with ticks and the unit below.
    static func bars(_ items: [Bar], color: String = "#8b1a1a", unit: String = "件", width: Int = 560) -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">暂无数据</p>" }
        let labelWidth = 130
        let rowHeight = 24
        let plotBottom = items.count * rowHeight + 6
        let height = plotBottom + 22
        let (maximum, ticks) = scale(items.map(\.value).max() ?? 0)
        let span = Double(width - labelWidth - 50)
        var out =
            "<svg role=\"img\" width=\"100%\" style=\"max-width:\(width)px\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for tick in ticks {
            let x = labelWidth + Int(Double(tick) / Double(maximum) * span)
            let stroke = tick == 0 ? "#374151" : "#e5e7eb"
            out += "<line x1=\"\(x)\" y1=\"2\" x2=\"\(x)\" y2=\"\(plotBottom)\" stroke=\"\(stroke)\"/>"
            out += "<text x=\"\(x)\" y=\"\(plotBottom + 14)\" text-anchor=\"middle\">\(tick)</text>"
        }
        out += "<text x=\"\(labelWidth + Int(span) + 8)\" y=\"\(plotBottom + 14)\">\(HTML.escape(unit))</text>"
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

    /// Grouped vertical bars per period for two or more series (e.g. receipts and closures per
    /// month), on a zero line with ticks, grid lines and the unit.
    static func grouped(periods: [String], series: [(name: String, values: [Int])], unit: String = "件", width: Int = 560, height: Int = 220) -> String
    {
        guard !periods.isEmpty else { return "<p class=\"muted\">暂无数据</p>" }
        let left = 40
        let bottom = 40
        let top = 24
        let plotHeight = Double(height - bottom - top)
        let (maximum, ticks) = scale(series.flatMap(\.values).max() ?? 0)
        let slot = Double(width - left - 8) / Double(periods.count)
        let barWidth = max(2.0, (slot - 6) / Double(max(series.count, 1)))
        var out =
            "<svg role=\"img\" width=\"100%\" style=\"max-width:\(width)px\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        out += "<text x=\"\(left - 6)\" y=\"12\" text-anchor=\"end\">\(HTML.escape(unit))</text>"
        for tick in ticks {
            let y = Double(height - bottom) - Double(tick) / Double(maximum) * plotHeight
            let stroke = tick == 0 ? "#374151" : "#e5e7eb"
            out += String(format: "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%@\"/>", left, y, width - 4, y, stroke)
            out += String(format: "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>", left - 6, y + 4, tick)
        }
        for (p, period) in periods.enumerated() {
            let x0 = Double(left) + Double(p) * slot + 3
            for (s, line) in series.enumerated() {
                let value = p < line.values.count ? line.values[p] : 0
                let h = Double(value) / Double(maximum) * plotHeight
                let x = x0 + Double(s) * barWidth
                out += String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@ %@：%d 件</title></rect>",
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

    /// Rates (0–1) as bars on a 0–100 % axis. A rate with a target is red below it and green at or
    /// above it, the target a labelled dashed line; a rate without one is drawn in neutral blue.
    /// A missing rate is drawn as "—".
    static func rates(_ items: [(label: String, rate: Double?, target: Double?)], width: Int = 560) -> String {
        let labelWidth = 170
        let rowHeight = 30
        let plotBottom = items.count * rowHeight + 4
        let height = plotBottom + 20
        let span = Double(width - labelWidth - 60)
        var out =
            "<svg role=\"img\" width=\"100%\" style=\"max-width:\(width)px\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for tick in [0, 50, 100] {
            let x = labelWidth + Int(Double(tick) / 100 * span)
            out += "<line x1=\"\(x)\" y1=\"2\" x2=\"\(x)\" y2=\"\(plotBottom)\" stroke=\"\(tick == 0 ? "#374151" : "#e5e7eb")\"/>"
            out += "<text x=\"\(x)\" y=\"\(plotBottom + 14)\" text-anchor=\"middle\">\(tick)%</text>"
        }
        for (i, item) in items.enumerated() {
            let y = i * rowHeight + 4
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 18)\" text-anchor=\"end\">\(HTML.escape(item.label))</text>"
            if let rate = item.rate {
                let fill = item.target.map { rate < $0 ? "#b91c1c" : "#059669" } ?? "#1d4ed8"
                out += "<rect x=\"\(labelWidth)\" y=\"\(y + 6)\" width=\"\(Int(rate * span))\" height=\"\(rowHeight - 14)\" fill=\"\(fill)\"/>"
            }
            if let target = item.target {
                let x = labelWidth + Int(target * span)
                out += "<line x1=\"\(x)\" y1=\"\(y + 2)\" x2=\"\(x)\" y2=\"\(y + rowHeight - 4)\" stroke=\"#111827\" stroke-dasharray=\"3,2\"/>"
                out += "<text x=\"\(x - 2)\" y=\"\(y + 4)\" text-anchor=\"end\" style=\"font-size:10px\">目标\(HTML.percent(target))</text>"
            }
            out += "<text x=\"\(labelWidth + Int(span) + 6)\" y=\"\(y + 18)\">\(HTML.percent(item.rate))</text>"
        }
        return out + "</svg>"
    }
}
