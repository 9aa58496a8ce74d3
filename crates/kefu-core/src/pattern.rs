//! The pattern language of the rulebook (see `rulebook/README.md`):
//! literals, `[a|b|]` alternations, `~`/`~N` gaps, `^`/`$` clause anchors.
//!
//! A pattern compiles into one or more *sequences*: literal fragments (already
//! normalised) separated by bounded gaps. The matcher finds fragments with a
//! single Aho–Corasick automaton and stitches sequences together afterwards.

use crate::normalize::normalize_str;

/// Default width of a `~` gap, in normalised characters.
pub const DEFAULT_GAP: u8 = 4;
/// A pattern may expand into at most this many sequences.
pub const MAX_EXPANSIONS: usize = 2048;

/// One way a pattern can match: segments in order, each a set of alternative
/// literal fragments, `gaps[i]` being the most characters allowed between
/// segment `i` and `i + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub segments: Vec<Vec<String>>,
    pub gaps: Vec<u8>,
    pub anchor_start: bool,
    pub anchor_end: bool,
    /// `=` prefix: the whole match lies inside one clause (no punctuation or
    /// space within it).
    pub one_clause: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Alternatives(Vec<String>),
    Gap(u8),
}

/// Compiles a pattern into its sequences, or says what is wrong with it.
/// Alternations multiply only within a segment (between two gaps); a segment
/// that can be empty yields one sequence with it and one without.
pub fn compile(pattern: &str) -> Result<Vec<Sequence>, String> {
    let trimmed = pattern.trim();
    let (trimmed, one_clause) = match trimmed.strip_prefix('=') {
        Some(rest) => (rest, true),
        None => (trimmed, false),
    };
    let (body, anchor_start, anchor_end) = strip_anchors(trimmed);
    let pieces = parse(body)?;
    // Split into segments separated by gaps, expanding each segment's alternatives.
    let mut segments: Vec<Vec<String>> = vec![vec![String::new()]];
    let mut gaps: Vec<u8> = Vec::new();
    for piece in &pieces {
        match piece {
            Piece::Gap(n) => {
                segments.push(vec![String::new()]);
                gaps.push(*n);
            }
            Piece::Alternatives(alts) => {
                let current = segments.last_mut().ok_or("内部错误")?;
                if current.len() * alts.len() > MAX_EXPANSIONS {
                    return Err(format!("一段模式展开超过 {MAX_EXPANSIONS} 种组合，请拆分: {pattern}"));
                }
                *current = current.iter().flat_map(|head| alts.iter().map(move |alt| format!("{head}{alt}"))).collect();
            }
        }
    }
    // Normalise; a segment containing the empty string is optional.
    let mut normalised: Vec<(Vec<String>, bool)> = Vec::new();
    for seg in segments {
        let mut set: Vec<String> = Vec::new();
        let mut optional = false;
        for f in seg {
            let n = normalize_str(&f);
            if n.is_empty() {
                optional = true;
            } else if !set.contains(&n) {
                set.push(n);
            }
        }
        normalised.push((set, optional));
    }
    let optional_count = normalised.iter().filter(|(set, opt)| *opt && !set.is_empty()).count();
    if optional_count > 6 {
        return Err(format!("可省略的段太多（最多 6 个）: {pattern}"));
    }
    let mut out: Vec<Sequence> = Vec::new();
    for mask in 0u32..(1 << optional_count) {
        let mut seq = Sequence { segments: Vec::new(), gaps: Vec::new(), anchor_start, anchor_end, one_clause };
        let mut pending_gap: u8 = 0;
        let mut bit = 0;
        for (i, (set, optional)) in normalised.iter().enumerate() {
            if i > 0 {
                pending_gap = pending_gap.saturating_add(gaps[i - 1]);
            }
            let keep = if set.is_empty() {
                false
            } else if *optional {
                let k = mask & (1 << bit) != 0;
                bit += 1;
                k
            } else {
                true
            };
            if !keep {
                continue;
            }
            if !seq.segments.is_empty() {
                seq.gaps.push(pending_gap);
            }
            pending_gap = 0;
            seq.segments.push(set.clone());
        }
        if seq.segments.is_empty() {
            return Err(format!("模式可能匹配空文本: {pattern}"));
        }
        if !out.contains(&seq) {
            out.push(seq);
        }
    }
    Ok(out)
}

fn strip_anchors(pattern: &str) -> (&str, bool, bool) {
    let trimmed = pattern.trim();
    let (body, start) = match trimmed.strip_prefix('^') {
        Some(rest) => (rest, true),
        None => (trimmed, false),
    };
    match body.strip_suffix('$') {
        Some(rest) => (rest, start, true),
        None => (body, start, false),
    }
}

fn parse(body: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut chars = body.chars().peekable();
    let mut literal = String::new();
    let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
        if !literal.is_empty() {
            pieces.push(Piece::Alternatives(vec![std::mem::take(literal)]));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '[' => {
                flush(&mut literal, &mut pieces);
                let mut group = String::new();
                let mut closed = false;
                for g in chars.by_ref() {
                    match g {
                        ']' => {
                            closed = true;
                            break;
                        }
                        '[' | '~' | '^' | '$' => return Err(format!("方括号内不能再用 '{g}': {body}")),
                        _ => group.push(g),
                    }
                }
                if !closed {
                    return Err(format!("方括号没有闭合: {body}"));
                }
                pieces.push(Piece::Alternatives(group.split('|').map(str::to_string).collect()));
            }
            ']' => return Err(format!("多余的 ']': {body}")),
            '|' => return Err(format!("'|' 只能用在方括号内: {body}")),
            '^' | '$' => return Err(format!("'{c}' 只能出现在模式的开头/结尾: {body}")),
            '~' => {
                flush(&mut literal, &mut pieces);
                let gap = match chars.peek().and_then(|d| d.to_digit(10)) {
                    Some(d) if d > 0 => {
                        chars.next();
                        if chars.peek().is_some_and(char::is_ascii_digit) {
                            return Err(format!("'~' 后只能跟一位数字（最多 ~9）: {body}"));
                        }
                        d as u8
                    }
                    Some(_) => return Err(format!("'~0' 没有意义: {body}")),
                    None => DEFAULT_GAP,
                };
                pieces.push(Piece::Gap(gap));
            }
            _ => literal.push(c),
        }
    }
    flush(&mut literal, &mut pieces);
    if pieces.is_empty() {
        return Err("模式为空".to_string());
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frags(p: &str) -> Vec<Vec<Vec<String>>> {
        compile(p).expect("compiles").into_iter().map(|s| s.segments).collect()
    }

    fn one(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    #[test]
    fn literal_and_alternatives() {
        assert_eq!(frags("不知道"), vec![vec![one("不知道")]]);
        assert_eq!(frags("不是我的[工作|事]"), vec![vec![vec!["不是我的工作".to_string(), "不是我的事".to_string()]]]);
        assert_eq!(frags("[真|]烦人"), vec![vec![vec!["真烦人".to_string(), "烦人".to_string()]]]);
    }

    #[test]
    fn gaps_and_anchors() {
        let seqs = compile("^我~不知道$").expect("compiles");
        assert_eq!(seqs.len(), 1);
        assert_eq!(seqs[0].segments, vec![one("我"), one("不知道")]);
        assert_eq!(seqs[0].gaps, vec![DEFAULT_GAP]);
        assert!(seqs[0].anchor_start && seqs[0].anchor_end && !seqs[0].one_clause);
        assert!(compile("=不知道[您|你]").expect("compiles")[0].one_clause);
        let seqs = compile("你~2[就|]不懂").expect("compiles");
        assert_eq!(seqs[0].gaps, vec![2]);
        // An empty optional between two gaps merges them.
        let seqs = compile("我~1[也|]~1不知道").expect("compiles");
        assert!(seqs.iter().any(|s| s.segments == vec![one("我"), one("不知道")] && s.gaps == vec![2]));
        assert!(seqs.iter().any(|s| s.segments == vec![one("我"), one("也"), one("不知道")] && s.gaps == vec![1, 1]));
        // Alternations across gaps do not multiply.
        let seqs = compile("[a|b|c|d]~[e|f|g|h]~[i|j|k|l]").expect("compiles");
        assert_eq!(seqs.len(), 1);
    }

    #[test]
    fn normalises_pattern_text() {
        assert_eq!(frags("這是其它部門"), vec![vec![one("这是其它部门")]]);
    }

    #[test]
    fn errors() {
        assert!(compile("").is_err());
        assert!(compile("[a|b").is_err());
        assert!(compile("a]b").is_err());
        assert!(compile("a|b").is_err());
        assert!(compile("[|]").is_err());
        assert!(compile("a^b").is_err());
        assert!(compile("a~10b").is_err());
    }
}
