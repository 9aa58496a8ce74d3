//! Human output of `kefu lint`: each violation underlined like a compiler
//! diagnostic, with CJK characters counted as two columns.

use std::fmt::Write as _;

use kefu_core::lint::Violation;
use unicode_width::UnicodeWidthChar;

/// How many characters of context to show on each side of a long line.
const CONTEXT: usize = 30;

pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Renders one violation of `text` (line `line_no` of `origin`).
pub fn render(origin: &str, line_no: usize, text: &str, v: &Violation, style: &Style) -> String {
    let chars: Vec<char> = text.chars().collect();
    let from = v.start.saturating_sub(CONTEXT);
    let to = (v.end + CONTEXT).min(chars.len());
    let mut shown = String::new();
    let mut pad = 0usize;
    let mut marks = 0usize;
    if from > 0 {
        shown.push('…');
        pad += 1;
    }
    for (i, &c) in chars.iter().enumerate().take(to).skip(from) {
        // Control characters would break the terminal: show them as a space.
        let c = if c.is_control() { ' ' } else { c };
        shown.push(c);
        let w = width(c).max(if c == ' ' { 1 } else { 0 });
        if i < v.start {
            pad += w;
        } else if i < v.end {
            marks += w;
        }
    }
    if to < chars.len() {
        shown.push('…');
    }
    let gutter = " ".repeat(line_no.to_string().len());
    let level = match v.severity {
        "error" => style.paint("1;31", "错误"),
        "warning" => style.paint("1;33", "警告"),
        _ => style.paint("1;36", "提示"),
    };
    let mut out = String::new();
    let _ = writeln!(out, "{level}[{}]: {}", style.paint("1", v.rule), v.message);
    let _ = writeln!(out, "{gutter}--> {origin}:{line_no}:{}", v.start + 1);
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{line_no} | {shown}");
    let _ = writeln!(
        out,
        "{gutter} | {}{} {}",
        " ".repeat(pad),
        style.paint("1;31", &"^".repeat(marks.max(1))),
        style.paint("1;31", &format!("{}（{}）", v.matched.replace(|c: char| c.is_control(), " "), v.category))
    );
    let _ = writeln!(out, "{gutter} = 建议: {}", v.suggestion);
    let _ = writeln!(out, "{gutter} = 依据: {}", v.source);
    out
}
