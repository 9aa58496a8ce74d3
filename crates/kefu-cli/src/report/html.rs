//! The HTML report: one self-contained file (inline CSS and SVG, no scripts,
//! no fonts or anything else fetched). Every piece of input text — ids, file
//! names, transcripts, notes, error messages — is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use kefu_core::inspect::{Channel, Event, Party};

use super::stats::{bucket_label, AgentStat, Failing, KeptTurn, Stats, MAX_ERRORS, MAX_KEPT};

/// Agents drawn in the charts (the lowest mean scores).
const CHART_AGENTS: usize = 30;
/// Agents listed in the HTML table (the workbook has all of them).
const TABLE_AGENTS: usize = 500;

const CSS: &str = r#"
:root{--bg:#f3f5f8;--card:#fff;--line:#e2e6ed;--text:#1f2937;--muted:#6b7280;--accent:#2563eb;--bad:#dc2626;--warn:#d97706;--good:#059669}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;line-height:1.6}
.wrap{max-width:1240px;margin:0 auto;padding:28px 32px 56px}
.top{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;border-bottom:1px solid var(--line);padding-bottom:16px}
.top h1{font-size:28px;margin:0;letter-spacing:.04em}
.top .brand{color:var(--accent);font-weight:700;font-size:13px;letter-spacing:.08em}
.top dl{margin:0;display:grid;grid-template-columns:auto auto;gap:2px 12px;font-size:13px;color:var(--muted)}
.top dt{text-align:right}.top dd{margin:0;color:var(--text)}
.cards{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:14px;margin:22px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;border-top:4px solid var(--accent)}
.card.bad{border-top-color:var(--bad)}.card.warn{border-top-color:var(--warn)}.card.good{border-top-color:var(--good)}
.card .label{color:var(--muted);font-size:13px}
.card .value{font-size:30px;font-weight:700;line-height:1.3;font-variant-numeric:tabular-nums}
.card .value small{font-size:15px;font-weight:500;color:var(--muted);margin-left:2px}
.card .sub{font-size:12px;color:var(--muted)}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
h2{font-size:18px;margin:0 0 4px;padding-left:10px;border-left:4px solid var(--accent);line-height:1.3}
h3{font-size:14px;margin:14px 0 6px;color:#374151}
.note{color:var(--muted);font-size:12px;margin:0 0 12px}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:24px;align-items:start}
svg.chart{display:block;width:100%;height:auto}
svg.chart text{fill:#374151}
svg.chart .axis{fill:#6b7280;font-size:11px}
svg.chart .sub{fill:#9ca3af;font-size:10.5px}
svg.chart .val{fill:#111827;font-size:11.5px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f8fafc;color:#374151;font-weight:600;white-space:nowrap;border-bottom:2px solid var(--line)}
tbody tr:hover{background:#f9fafb}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:6px}
.scroll table th{position:sticky;top:0}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11.5px;color:#475569;background:#f1f5f9;padding:1px 5px;border-radius:4px;word-break:break-all}
.pill{display:inline-block;font-size:12px;line-height:1.5;padding:0 7px;border-radius:10px;background:#eef2ff;color:#3730a3;white-space:nowrap}
.pill.veto{background:#fee2e2;color:#b91c1c}
.pill.muted{background:#f1f5f9;color:#64748b}
.score{display:inline-block;min-width:52px;text-align:center;font-weight:700;border-radius:6px;padding:0 8px;color:#fff;background:var(--good)}
.score.s-bad{background:var(--bad)}.score.s-warn{background:var(--warn)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.conv{border:1px solid var(--line);border-radius:10px;margin:18px 0;overflow:hidden}
.conv>header{display:flex;flex-wrap:wrap;align-items:center;gap:10px 14px;background:#f8fafc;padding:10px 16px;border-bottom:1px solid var(--line)}
.conv>header .cid{font-weight:700;font-size:15px;word-break:break-all}
.conv>header .meta{color:var(--muted);font-size:12.5px}
.conv .inner{padding:10px 16px 14px}
ul.fails{margin:4px 0 10px;padding-left:18px}
ul.fails>li{margin:4px 0}
ul.fails ul{margin:2px 0;padding-left:16px;color:#374151;font-size:13px}
ul.fails .where{color:var(--muted)}
q{quotes:"“" "”"}
ol.transcript{list-style:none;margin:0;padding:0;border-top:1px dashed var(--line)}
ol.transcript>li{display:grid;grid-template-columns:56px minmax(0,1fr);gap:10px;padding:7px 0;border-bottom:1px dashed var(--line)}
ol.transcript .who{font-size:12px;font-weight:600;text-align:center;border-radius:4px;padding:1px 0;height:fit-content}
li.agent .who{background:#dbeafe;color:#1e40af}
li.customer .who{background:#f3f4f6;color:#374151}
li.flagged{background:#fffbeb}
li.event,li.gap{display:block!important;text-align:center;color:var(--muted);font-size:12px}
.tline{font-size:11.5px;color:var(--muted);display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.text{white-space:pre-wrap;word-break:break-word}
mark{background:#fde68a;color:inherit;border-radius:2px;box-shadow:inset 0 -2px 0 #f59e0b;padding:0 1px}
.enote{color:#b45309;font-size:12.5px;margin-top:2px}
.trunc{color:var(--muted);font-size:12px}
details>summary{cursor:pointer;color:var(--accent);font-size:13px;margin:6px 0}
.empty{color:var(--muted);padding:16px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:28px}
@media (max-width:1000px){.cards{grid-template-columns:repeat(2,minmax(0,1fr))}.grid2{grid-template-columns:minmax(0,1fr)}.top{display:block}}
@media print{body{background:#fff}.panel,.card,.conv{break-inside:avoid-page}.scroll{max-height:none;overflow:visible}}
"#;

/// Appends `s` HTML-escaped (also safe inside attribute values). Control
/// characters other than tab and newline are replaced.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// 12345 → "12,345".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// Seconds from answering as m:ss (h:mm:ss from an hour).
fn clock(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 { seconds.round() as u64 } else { 0 };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

fn seconds(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

fn score_class(score: f64) -> &'static str {
    if score < 60.0 {
        "s-bad"
    } else if score < 80.0 {
        "s-warn"
    } else {
        "s-good"
    }
}

fn score_color(score: f64) -> &'static str {
    if score < 60.0 {
        "#ef4444"
    } else if score < 80.0 {
        "#f59e0b"
    } else {
        "#10b981"
    }
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Phone => "电话",
        Channel::Chat => "在线",
    }
}

/// Approximate rendered width of `s` at font size `size` (CJK and other wide characters count double).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().map(|c| if is_wide(c) { size } else { size * 0.58 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// `s` cut with an ellipsis to fit `width` at font size `size`.
fn fit(s: &str, width: f64, size: f64) -> String {
    if text_width(s, size) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = text_width("…", size);
    for c in s.chars() {
        let cw = if is_wide(c) { size } else { size * 0.58 };
        if w + cw > width {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// A round axis maximum and step for counts up to `max`.
fn axis(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (4.0, 1.0);
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
        .max(1.0);
    ((max / step).ceil().max(1.0) * step, step)
}

fn num(x: f64) -> String {
    format!("{x:.1}")
}

/// The score histogram (buckets 0–9 … 90–99, 100).
fn histogram(buckets: &[u64; 11]) -> String {
    let (w, h) = (600.0, 290.0);
    let (left, right, top, bottom) = (52.0, 12.0, 26.0, 46.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max = buckets.iter().copied().max().unwrap_or(0) as f64;
    let (ymax, step) = axis(max);
    let mut s = String::new();
    let _ = write!(s, r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="得分分布直方图" xmlns="http://www.w3.org/2000/svg" font-size="12">"#);
    let mut v = 0.0;
    while v <= ymax + 0.5 {
        let y = top + plot_h - plot_h * v / ymax;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="{stroke}" stroke-width="1"/><text class="axis" x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"##,
            x2 = w - right,
            stroke = if v == 0.0 { "#9ca3af" } else { "#eceff3" },
            tx = left - 8.0,
            ty = y + 4.0,
            label = count(v as u64)
        );
        v += step;
    }
    let slot = plot_w / 11.0;
    let bw = slot * 0.72;
    for (i, &n) in buckets.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bw) / 2.0;
        let bh = plot_h * n as f64 / ymax;
        let y = top + plot_h - bh;
        let color = score_color(if i >= 10 { 100.0 } else { i as f64 * 10.0 });
        let label = bucket_label(i);
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" rx="2" fill="{color}"><title>{label} 分：{n} 个会话</title></rect>"#,
            n = count(n)
        );
        if n > 0 {
            let _ = write!(s, r#"<text class="val" x="{cx:.1}" y="{ty:.1}" text-anchor="middle">{n}</text>"#, cx = x + bw / 2.0, ty = y - 5.0, n = count(n));
        }
        let _ = write!(s, r#"<text class="axis" x="{cx:.1}" y="{ty:.1}" text-anchor="middle">{label}</text>"#, cx = x + bw / 2.0, ty = top + plot_h + 17.0);
    }
    let _ = write!(
        s,
        r#"<text class="axis" x="{cx:.1}" y="{by}" text-anchor="middle">得分</text><text class="axis" x="{left}" y="14" text-anchor="start">会话数</text></svg>"#,
        cx = left + plot_w / 2.0,
        by = h - 6.0
    );
    s
}

struct Bar {
    label: String,
    sub: String,
    value: f64,
    text: String,
    color: &'static str,
    tip: String,
}

/// Horizontal bars, one row per item, on a scale from 0 to `max`.
fn hbars(bars: &[Bar], max: f64, width: f64, label: &str) -> String {
    let with_sub = bars.iter().any(|b| !b.sub.is_empty());
    let row = if with_sub { 36.0 } else { 26.0 };
    let label_w = bars
        .iter()
        .map(|b| text_width(&b.label, 13.0).max(text_width(&b.sub, 10.5)))
        .fold(60.0, f64::max)
        .min(width * 0.4)
        + 12.0;
    let value_w = bars.iter().map(|b| text_width(&b.text, 11.5)).fold(40.0, f64::max) + 10.0;
    let bar_x = label_w;
    let bar_w = (width - label_w - value_w).max(40.0);
    let height = row * bars.len() as f64 + 8.0;
    let max = if max > 0.0 { max } else { 1.0 };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg" font-size="13">"#,
        label = escape(label)
    );
    for (i, b) in bars.iter().enumerate() {
        let y0 = 4.0 + row * i as f64;
        let bar_h = 14.0;
        let by = y0 + (row - bar_h) / 2.0;
        let len = (bar_w * (b.value / max).clamp(0.0, 1.0)).max(if b.value > 0.0 { 2.0 } else { 0.0 });
        let text_label = escape(&fit(&b.label, label_w - 12.0, 13.0));
        if b.sub.is_empty() {
            let _ = write!(s, r#"<text x="{x}" y="{ty:.1}" text-anchor="end">{text_label}</text>"#, x = label_w - 10.0, ty = y0 + row / 2.0 + 4.5);
        } else {
            let _ = write!(
                s,
                r#"<text x="{x}" y="{ty:.1}" text-anchor="end">{text_label}</text><text class="sub" x="{x}" y="{sy:.1}" text-anchor="end">{sub}</text>"#,
                x = label_w - 10.0,
                ty = y0 + 15.0,
                sy = y0 + 29.0,
                sub = escape(&fit(&b.sub, label_w - 12.0, 10.5))
            );
        }
        let _ = write!(
            s,
            r##"<rect x="{bar_x}" y="{by:.1}" width="{bar_w:.1}" height="{bar_h}" rx="3" fill="#f1f3f6"/><rect x="{bar_x}" y="{by:.1}" width="{len:.1}" height="{bar_h}" rx="3" fill="{color}"><title>{tip}</title></rect><text class="val" x="{tx:.1}" y="{ty:.1}">{text}</text>"##,
            color = b.color,
            tip = escape(&b.tip),
            tx = bar_x + len + 6.0,
            ty = by + bar_h - 2.5,
            text = escape(&b.text)
        );
    }
    s.push_str("</svg>");
    s
}

fn agent_label(a: &AgentStat) -> String {
    if a.name.is_empty() {
        a.id.clone()
    } else {
        format!("{}（{}）", a.id, a.name)
    }
}

/// The check's name (or its id when the rulebook has no name) and id, as HTML.
fn check_html(stats: &Stats, id: &str) -> String {
    let name = stats.check_name(id);
    if name.is_empty() {
        format!("<code>{}</code>", escape(id))
    } else {
        format!("{} <code>{}</code>", escape(name), escape(id))
    }
}

pub fn render(stats: &Stats, failing: &[Failing], generated: &str) -> String {
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    h.push_str("<title>质检报告</title>\n<style>");
    h.push_str(CSS);
    h.push_str("</style>\n</head>\n<body>\n<div class=\"wrap\">\n");
    header(&mut h, stats, generated);
    cards(&mut h, stats);
    distribution(&mut h, stats);
    checks(&mut h, stats);
    agents(&mut h, stats);
    failing_section(&mut h, stats, failing);
    errors(&mut h, stats);
    let _ = write!(h, "<footer>由 kefu 质检生成 · {} · 生成时间 {}</footer>\n</div>\n</body>\n</html>\n", escape(&stats.rulebook), escape(generated));
    h
}

fn header(h: &mut String, stats: &Stats, generated: &str) {
    h.push_str("<header class=\"top\"><div><div class=\"brand\">KEFU · 客服质检</div><h1>质检报告</h1></div><dl>");
    let mut row = |k: &str, v: &str| {
        if !v.is_empty() {
            let _ = write!(h, "<dt>{k}</dt><dd>{}</dd>", escape(v));
        }
    };
    row("规则库", &stats.rulebook);
    row("评分表", &stats.scorecard);
    let period = match (stats.first_started, stats.last_started) {
        (Some(a), Some(b)) => {
            let (a, b) = (a.with_timezone(&kefu_core::calendar::SHANGHAI), b.with_timezone(&kefu_core::calendar::SHANGHAI));
            if a.date_naive() == b.date_naive() {
                format!("{} {}–{}", a.format("%Y-%m-%d"), a.format("%H:%M"), b.format("%H:%M"))
            } else {
                format!("{} 至 {}", a.format("%Y-%m-%d %H:%M"), b.format("%Y-%m-%d %H:%M"))
            }
        }
        _ => String::new(),
    };
    row("会话时间", &period);
    row("生成时间", generated);
    h.push_str("</dl></header>\n");
}

fn cards(h: &mut String, stats: &Stats) {
    h.push_str("<section class=\"cards\">");
    let mut card = |class: &str, label: &str, value: String, sub: String| {
        let _ = write!(h, "<div class=\"card {class}\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div><div class=\"sub\">{sub}</div></div>");
    };
    card(
        "",
        "会话数",
        count(stats.conversations),
        format!("电话 {} · 在线 {}", count(stats.phone), count(stats.chat)),
    );
    let mean = stats.mean_score();
    card(
        if stats.conversations == 0 { "" } else if mean < 60.0 { "bad" } else if mean < 80.0 { "warn" } else { "good" },
        "平均分",
        if stats.conversations == 0 { "—".into() } else { format!("{mean:.1}<small>分</small>") },
        "满分 100".into(),
    );
    card(
        if stats.failing > 0 { "warn" } else { "good" },
        "合格率",
        if stats.conversations == 0 { "—".into() } else { format!("{:.1}<small>%</small>", stats.pass_rate() * 100.0) },
        format!("{} 个会话全部检查项通过，{} 个不合格", count(stats.passed), count(stats.failing)),
    );
    card(
        if stats.vetoed > 0 { "bad" } else { "good" },
        "一票否决数",
        count(stats.vetoed),
        format!("占会话 {}", percent(stats.vetoed, stats.conversations)),
    );
    card(
        if stats.errors > 0 { "bad" } else { "good" },
        "无法读取的记录数",
        count(stats.errors),
        if stats.errors > 0 { "详见文末“无法读取的记录”".into() } else { "全部记录均已质检".into() },
    );
    h.push_str("</section>\n");
}

fn distribution(h: &mut String, stats: &Stats) {
    h.push_str("<section class=\"panel\" id=\"distribution\"><h2>得分分布</h2><p class=\"note\">每个会话的得分按 10 分一档统计；低于 60 分为红色，60–79 分为橙色。</p>");
    if stats.conversations == 0 {
        h.push_str("<p class=\"empty\">暂无数据</p></section>\n");
        return;
    }
    h.push_str("<div class=\"grid2\"><div>");
    h.push_str(&histogram(&stats.buckets));
    h.push_str("</div><div><table><thead><tr><th>分数段</th><th class=\"num\">会话数</th><th class=\"num\">占比</th><th class=\"num\">累计占比</th></tr></thead><tbody>");
    let mut cumulative = 0;
    for (i, &n) in stats.buckets.iter().enumerate() {
        cumulative += n;
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            bucket_label(i),
            count(n),
            percent(n, stats.conversations),
            percent(cumulative, stats.conversations)
        );
    }
    h.push_str("</tbody></table></div></div></section>\n");
}

fn checks(h: &mut String, stats: &Stats) {
    h.push_str("<section class=\"panel\" id=\"checks\"><h2>各检查项不通过情况</h2><p class=\"note\">不通过率 = 不通过次数 ÷ 适用次数；红色为一票否决项。</p>");
    if stats.conversations == 0 {
        h.push_str("<p class=\"empty\">暂无数据</p></section>\n");
        return;
    }
    let ordered = stats.checks_by_failures();
    let bars: Vec<Bar> = ordered
        .iter()
        .filter(|c| c.applicable > 0)
        .map(|c| Bar {
            label: if c.name.is_empty() { c.id.clone() } else { c.name.clone() },
            sub: if c.name.is_empty() { String::new() } else { c.id.clone() },
            value: c.failed as f64,
            text: format!("{} 次 · {:.1}%", count(c.failed), c.fail_rate() * 100.0),
            color: if c.veto { "#dc2626" } else { "#3b82f6" },
            tip: format!("{}：适用 {} 次，不通过 {} 次", c.id, c.applicable, c.failed),
        })
        .collect();
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    if bars.is_empty() {
        h.push_str("<p class=\"empty\">没有适用的检查项</p>");
    } else {
        h.push_str(&hbars(&bars, max, 1170.0, "各检查项不通过次数"));
    }
    h.push_str("<h3>明细</h3><table><thead><tr><th>检查项</th><th class=\"num\">分值</th><th>一票否决</th><th class=\"num\">适用次数</th><th class=\"num\">不通过次数</th><th class=\"num\">不通过率</th></tr></thead><tbody>");
    for c in &stats.checks {
        let name = if c.name.is_empty() { String::new() } else { format!("{} ", escape(&c.name)) };
        let _ = write!(
            h,
            "<tr><td>{name}<code>{}</code>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&c.id),
            if c.enabled { "" } else { " <span class=\"pill muted\">已停用</span>" },
            c.points,
            if c.veto { "<span class=\"pill veto\">一票否决</span>" } else { "" },
            count(c.applicable),
            count(c.failed),
            percent(c.failed, c.applicable)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn agents(h: &mut String, stats: &Stats) {
    h.push_str("<section class=\"panel\" id=\"agents\"><h2>坐席</h2>");
    if stats.agents.is_empty() {
        h.push_str("<p class=\"empty\">暂无数据</p></section>\n");
        return;
    }
    let agents = stats.agents_by_score();
    let shown = &agents[..agents.len().min(CHART_AGENTS)];
    if agents.len() > CHART_AGENTS {
        let _ = write!(h, "<p class=\"note\">图中为平均分最低的 {CHART_AGENTS} 位坐席（共 {} 位）；不通过项次为所有会话中不通过检查项的次数之和。</p>", count(agents.len() as u64));
    } else {
        h.push_str("<p class=\"note\">按平均分从低到高排列；不通过项次为所有会话中不通过检查项的次数之和。</p>");
    }
    let mean_bars: Vec<Bar> = shown
        .iter()
        .map(|a| Bar {
            label: agent_label(a),
            sub: String::new(),
            value: a.mean(),
            text: format!("{} 分", num(a.mean())),
            color: score_color(a.mean()),
            tip: format!("{}：{} 个会话，平均 {:.1} 分", agent_label(a), a.conversations, a.mean()),
        })
        .collect();
    let fail_bars: Vec<Bar> = shown
        .iter()
        .map(|a| Bar {
            label: agent_label(a),
            sub: String::new(),
            value: a.failed_checks as f64,
            text: format!("{} 项次", count(a.failed_checks)),
            color: "#6366f1",
            tip: format!("{}：{} 个不合格会话，{} 项次不通过，{} 次一票否决", agent_label(a), a.failing, a.failed_checks, a.vetoed),
        })
        .collect();
    let max_fail = fail_bars.iter().map(|b| b.value).fold(0.0, f64::max);
    h.push_str("<div class=\"grid2\"><div><h3>平均分</h3>");
    h.push_str(&hbars(&mean_bars, 100.0, 580.0, "坐席平均分"));
    h.push_str("</div><div><h3>不通过项次</h3>");
    h.push_str(&hbars(&fail_bars, max_fail, 580.0, "坐席不通过项次"));
    h.push_str("</div></div>");
    if agents.len() > TABLE_AGENTS {
        let _ = write!(h, "<p class=\"note\">下表列出平均分最低的 {TABLE_AGENTS} 位坐席；全部坐席见 Excel 工作簿的“坐席”表。</p>");
    }
    h.push_str("<h3>明细</h3><div class=\"scroll\"><table><thead><tr><th>坐席</th><th>姓名</th><th class=\"num\">会话数</th><th class=\"num\">平均分</th><th class=\"num\">不合格会话</th><th class=\"num\">不通过项次</th><th class=\"num\">一票否决</th></tr></thead><tbody>");
    for a in agents.iter().take(TABLE_AGENTS) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&a.id),
            escape(&a.name),
            count(a.conversations),
            num(a.mean()),
            count(a.failing),
            count(a.failed_checks),
            count(a.vetoed)
        );
    }
    h.push_str("</tbody></table></div></section>\n");
}

fn failing_section(h: &mut String, stats: &Stats, failing: &[Failing]) {
    h.push_str("<section class=\"panel\" id=\"failing\"><h2>不合格会话</h2>");
    if failing.is_empty() {
        h.push_str("<p class=\"empty\">没有不合格会话。</p></section>\n");
        return;
    }
    if stats.failing as usize > failing.len() {
        let _ = write!(
            h,
            "<p class=\"note\">共 {} 个不合格会话，以下列出得分最低的 {} 个（上限 {MAX_KEPT}）；全部会话见 Excel 工作簿的“会话”表。</p>",
            count(stats.failing),
            count(failing.len() as u64)
        );
    } else {
        let _ = write!(h, "<p class=\"note\">共 {} 个不合格会话，按得分从低到高排列。标黄处为违规原文。</p>", count(stats.failing));
    }
    h.push_str("<div class=\"scroll\"><table><thead><tr><th class=\"num\">序号</th><th>会话</th><th>坐席</th><th>渠道</th><th class=\"num\">得分</th><th>不通过项</th></tr></thead><tbody>");
    for (i, f) in failing.iter().enumerate() {
        let names: Vec<String> = f
            .failed
            .iter()
            .map(|c| {
                let name = stats.check_name(&c.id);
                escape(if name.is_empty() { &c.id } else { name })
            })
            .collect();
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td><a href=\"#conv-{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\"><span class=\"score {}\">{}</span></td><td>{}</td></tr>",
            i + 1,
            i + 1,
            escape(&f.id),
            escape(&f.agent),
            channel_name(f.channel),
            score_class(f64::from(f.score)),
            f.score,
            names.join("、")
        );
    }
    h.push_str("</tbody></table></div>");
    for (i, f) in failing.iter().enumerate() {
        conversation(h, stats, i + 1, f);
    }
    h.push_str("</section>\n");
}

/// A piece of evidence as shown in one conversation.
struct Mark<'a> {
    start: usize,
    end: usize,
    check: &'a str,
    note: &'a str,
}

fn conversation(h: &mut String, stats: &Stats, n: usize, f: &Failing) {
    let _ = write!(
        h,
        "<article class=\"conv\" id=\"conv-{n}\"><header><span class=\"pill muted\">#{n}</span><span class=\"cid\">{}</span><span class=\"score {}\">{} 分</span>{}<span class=\"meta\">",
        escape(&f.id),
        score_class(f64::from(f.score)),
        f.score,
        if f.vetoed { "<span class=\"pill veto\">一票否决</span>" } else { "" }
    );
    let mut meta = Vec::new();
    if !f.agent.is_empty() {
        meta.push(if f.agent_name.is_empty() { format!("坐席 {}", escape(&f.agent)) } else { format!("坐席 {}（{}）", escape(&f.agent), escape(&f.agent_name)) });
    }
    meta.push(channel_name(f.channel).to_string());
    if let Some(t) = f.started_at.as_deref() {
        match chrono::DateTime::parse_from_rfc3339(t) {
            Ok(t) => meta.push(t.with_timezone(&kefu_core::calendar::SHANGHAI).format("%Y-%m-%d %H:%M:%S").to_string()),
            Err(_) => meta.push(escape(t)),
        }
    }
    if let Some(r) = f.rings {
        meta.push(format!("铃响 {r} 声"));
    }
    meta.push(format!("来源 {}:{}", escape(&f.file), f.line));
    h.push_str(&meta.join(" · "));
    h.push_str("</span></header><div class=\"inner\"><ul class=\"fails\">");

    // Evidence by turn: spans to highlight and notes (empty spans).
    let mut marks: BTreeMap<usize, Vec<Mark>> = BTreeMap::new();
    for c in &f.failed {
        let _ = write!(h, "<li>{}", check_html(stats, &c.id));
        if c.veto {
            h.push_str(" <span class=\"pill veto\">一票否决</span>");
        }
        let _ = write!(h, " <span class=\"pill muted\">{} 分</span>", c.points);
        if !c.evidence.is_empty() || c.more > 0 {
            h.push_str("<ul>");
            for e in &c.evidence {
                let place = if e.turn < f.turns_total { format!("第 {} 轮", e.turn + 1) } else { "会话结束".into() };
                let _ = write!(h, "<li><span class=\"where\">{place}</span>");
                if e.start < e.end && !e.text.is_empty() {
                    let _ = write!(h, "：<q>{}</q>", escape(&e.text));
                }
                if !e.note.is_empty() {
                    let _ = write!(h, " —— {}", escape(&e.note));
                }
                h.push_str("</li>");
                marks.entry(e.turn).or_default().push(Mark { start: e.start, end: e.end, check: &c.id, note: &e.note });
            }
            if c.more > 0 {
                let _ = write!(h, "<li class=\"trunc\">另有 {} 处未列出</li>", c.more);
            }
            h.push_str("</ul>");
        }
        h.push_str("</li>");
    }
    h.push_str("</ul>");

    let _ = write!(h, "<details open><summary>对话记录（{} 轮）</summary><ol class=\"transcript\">", f.turns_total);
    let mut events: Vec<(f64, &Event)> = f
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Hold { start, .. } => Some((*start, e)),
            Event::Hangup { at, .. } => Some((*at, e)),
            Event::Other => None,
        })
        .collect();
    events.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut events = events.into_iter().peekable();
    let mut next_index = 0usize;
    for t in &f.turns {
        while let Some((_, e)) = events.next_if(|(at, _)| *at < t.start) {
            event(h, e);
        }
        if t.index > next_index {
            gap(h, next_index, t.index);
        }
        next_index = t.index + 1;
        turn(h, stats, t, marks.get(&t.index).map_or(&[][..], Vec::as_slice));
    }
    if f.turns_total > next_index {
        gap(h, next_index, f.turns_total);
    }
    for (_, e) in events {
        event(h, e);
    }
    // Evidence about no turn in particular (after the last turn).
    let kept: std::collections::HashSet<usize> = f.turns.iter().map(|t| t.index).collect();
    for (turn, ms) in &marks {
        if kept.contains(turn) {
            continue;
        }
        for m in ms {
            let _ = write!(h, "<li class=\"event\"><span class=\"enote\">※ {}：{}</span></li>", escape(label(stats, m.check)), escape(m.note));
        }
    }
    h.push_str("</ol></details></div></article>\n");
}

fn label<'a>(stats: &'a Stats, id: &'a str) -> &'a str {
    let name = stats.check_name(id);
    if name.is_empty() {
        id
    } else {
        name
    }
}

fn gap(h: &mut String, from: usize, to: usize) {
    let _ = write!(h, "<li class=\"gap\">…… 省略第 {}–{} 轮（{} 轮，未涉及不通过项）……</li>", from + 1, to, to - from);
}

fn event(h: &mut String, e: &Event) {
    match e {
        Event::Hold { start, end } => {
            let _ = write!(h, "<li class=\"event\">【保持】{}–{}（{} 秒）</li>", clock(*start), clock(*end), seconds(end - start));
        }
        Event::Hangup { at, by } => {
            let who = if *by == Party::Agent { "坐席" } else { "客户" };
            let _ = write!(h, "<li class=\"event\">【挂机】{who}在 {} 挂断</li>", clock(*at));
        }
        Event::Other => {}
    }
}

fn turn(h: &mut String, stats: &Stats, t: &KeptTurn, marks: &[Mark]) {
    let (class, who) = match t.speaker {
        Party::Agent => ("agent", "坐席"),
        Party::Customer => ("customer", "客户"),
    };
    let flagged = if marks.is_empty() { "" } else { " flagged" };
    let _ = write!(h, "<li class=\"turn {class}{flagged}\"><div class=\"who\">{who}</div><div><div class=\"tline\"><span>第 {} 轮 · {}", t.index + 1, clock(t.start));
    if let Some(end) = t.end {
        let _ = write!(h, "–{}", clock(end));
    }
    h.push_str("</span>");
    let mut seen: Vec<&str> = Vec::new();
    for m in marks {
        if !seen.contains(&m.check) {
            seen.push(m.check);
            let veto = stats.checks.iter().any(|c| c.id == m.check && c.veto);
            let _ = write!(h, "<span class=\"pill{}\">{}</span>", if veto { " veto" } else { "" }, escape(label(stats, m.check)));
        }
    }
    h.push_str("</div><div class=\"text\">");
    highlight(h, stats, &t.text, marks);
    if t.truncated {
        let _ = write!(h, "<span class=\"trunc\">……（共 {} 字，已截断）</span>", count(t.chars as u64));
    }
    h.push_str("</div>");
    for m in marks.iter().filter(|m| m.start >= m.end) {
        let _ = write!(h, "<div class=\"enote\">※ {}：{}</div>", escape(label(stats, m.check)), escape(m.note));
    }
    h.push_str("</div></li>");
}

/// The text with the evidence spans (char offsets, end exclusive) in `<mark>`.
fn highlight(h: &mut String, stats: &Stats, text: &str, marks: &[Mark]) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let spans: Vec<&Mark> = marks.iter().filter(|m| m.start < m.end && m.start < n).collect();
    if spans.is_empty() {
        escape_into(h, text);
        return;
    }
    let mut cuts: Vec<usize> = vec![0, n];
    for m in &spans {
        cuts.push(m.start);
        cuts.push(m.end.min(n));
    }
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let piece: String = chars[a..b].iter().collect();
        let covering: Vec<&&Mark> = spans.iter().filter(|m| m.start <= a && m.end.min(n) >= b).collect();
        if covering.is_empty() {
            escape_into(h, &piece);
        } else {
            let tip: Vec<String> = covering
                .iter()
                .map(|m| if m.note.is_empty() { label(stats, m.check).to_string() } else { format!("{}：{}", label(stats, m.check), m.note) })
                .collect();
            let _ = write!(h, "<mark title=\"{}\">", escape(&tip.join("\n")));
            escape_into(h, &piece);
            h.push_str("</mark>");
        }
    }
}

fn errors(h: &mut String, stats: &Stats) {
    if stats.errors == 0 {
        return;
    }
    h.push_str("<section class=\"panel\" id=\"errors\"><h2>无法读取的记录</h2>");
    if stats.errors as usize > stats.error_records.len() {
        let _ = write!(
            h,
            "<p class=\"note\">共 {} 条，以下列出前 {} 条（上限 {MAX_ERRORS}）；全部记录见 Excel 工作簿的“错误”表。</p>",
            count(stats.errors),
            count(stats.error_records.len() as u64)
        );
    } else {
        let _ = write!(h, "<p class=\"note\">共 {} 条记录未能质检。</p>", count(stats.errors));
    }
    h.push_str("<div class=\"scroll\"><table><thead><tr><th>文件</th><th class=\"num\">行号</th><th>原因</th></tr></thead><tbody>");
    for e in &stats.error_records {
        let _ = write!(h, "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>", escape(&e.file), e.line, escape(&e.message));
    }
    h.push_str("</tbody></table></div></section>\n");
}
