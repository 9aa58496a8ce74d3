//! Linting agent utterances against the forbidden-phrase rules.

use serde::Serialize;

use crate::matcher::{Matcher, PatternHit, Scratch};
use crate::pattern;
use crate::rulebook::{Rule, Rulebook};

/// One forbidden phrase found in an utterance. Offsets are chars in the
/// original text, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation<'r> {
    pub rule: &'r str,
    pub category: &'r str,
    pub severity: &'r str,
    pub start: usize,
    pub end: usize,
    pub matched: String,
    pub message: &'r str,
    pub suggestion: &'r str,
    pub source: &'r str,
}

/// The forbidden-phrase rules compiled into one matcher.
#[derive(Debug)]
pub struct Linter {
    matcher: Matcher,
}

/// Owner ids: even = a rule's pattern, odd = one of its exceptions.
fn owner(rule: usize, exception: bool) -> u32 {
    (rule as u32) << 1 | u32::from(exception)
}

/// A rule hit before it is turned into a `Violation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleHit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

impl Linter {
    pub fn new(book: &Rulebook) -> Result<Linter, String> {
        let mut seqs = Vec::new();
        for (i, rule) in book.rules.iter().enumerate() {
            for (exception, p) in rule.patterns.iter().map(|p| (false, p)).chain(rule.exceptions.iter().map(|p| (true, p))) {
                for seq in pattern::compile(p).map_err(|e| format!("{}: {e}", rule.id))? {
                    seqs.push((owner(i, exception), seq));
                }
            }
        }
        let matcher = Matcher::new(seqs.iter().map(|(o, s)| (*o, s)))?;
        Ok(Linter { matcher })
    }

    /// The distinct literal fragments in the automaton (for benchmarks).
    pub fn fragments(&self) -> &[String] {
        self.matcher.fragments()
    }

    /// Rule hits in `text`, exceptions applied, quoted words left out,
    /// overlapping hits of one rule merged, ordered by start.
    pub fn hits(&self, text: &str, scratch: &mut Scratch) -> Vec<RuleHit> {
        let found = self.matcher.find(text, scratch);
        if found.is_empty() {
            return Vec::new();
        }
        let quotes = quoted_spans(text);
        resolve(found, &quotes)
    }

    /// True if `text` has at least one violation (the `--count` fast path).
    pub fn has_violation(&self, text: &str, scratch: &mut Scratch) -> bool {
        let found = self.matcher.find(text, scratch);
        if found.is_empty() {
            return false;
        }
        let quotes = quoted_spans(text);
        found.iter().any(|h| h.owner & 1 == 0 && !cancelled(h, found) && !inside(h, &quotes))
    }

    /// Full violations with messages, for display.
    pub fn check<'r>(&self, book: &'r Rulebook, text: &str, scratch: &mut Scratch) -> Vec<Violation<'r>> {
        let hits = self.hits(text, scratch);
        if hits.is_empty() {
            return Vec::new();
        }
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        hits.into_iter()
            .filter_map(|h| {
                let rule: &Rule = book.rules.get(h.rule)?;
                let from = chars.get(h.start).map_or(text.len(), |c| c.0);
                let to = chars.get(h.end).map_or(text.len(), |c| c.0);
                Some(Violation {
                    rule: &rule.id,
                    category: &rule.category,
                    severity: rule.severity.as_str(),
                    start: h.start,
                    end: h.end,
                    matched: text.get(from..to).unwrap_or_default().to_string(),
                    message: &rule.message,
                    suggestion: &rule.suggestion,
                    source: &rule.source,
                })
            })
            .collect()
    }
}

/// An exception of the same rule that covers the hit's key words (its last
/// fragment) cancels it; other hits of the rule in the text stand.
fn cancelled(hit: &PatternHit, all: &[PatternHit]) -> bool {
    let exception = hit.owner | 1;
    all.iter().any(|e| e.owner == exception && e.start <= hit.core_start && e.end >= hit.end)
}

/// Words inside quotation marks or a book title are someone else's: an agent
/// reading back a message (1258 秘书台), quoting a complaint about a colleague
/// (客服说“不关我的事”) or naming a product (《你到底想怎样》) is not saying them.
/// Returns char ranges (end exclusive) strictly inside a closed pair.
pub fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    const PAIRS: [(char, char); 8] =
        [('“', '”'), ('「', '」'), ('『', '』'), ('《', '》'), ('‘', '’'), ('〈', '〉'), ('﹃', '﹄'), ('＂', '＂')];
    let mut spans = Vec::new();
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut ascii_open: Option<usize> = None;
    for (i, c) in text.chars().enumerate() {
        if c == '"' {
            match ascii_open.take() {
                Some(start) => spans.push((start + 1, i)),
                None => ascii_open = Some(i),
            }
            continue;
        }
        if let Some(&(_, close)) = PAIRS.iter().find(|(o, cl)| *o == c && *cl != c) {
            open.push((close, i));
        } else if let Some(pos) = open.iter().rposition(|&(close, _)| close == c) {
            let (_, start) = open[pos];
            open.truncate(pos);
            spans.push((start + 1, i));
        } else if c == '＂' {
            open.push(('＂', i));
        }
    }
    spans
}

fn inside(hit: &PatternHit, quotes: &[(usize, usize)]) -> bool {
    quotes.iter().any(|&(s, e)| s <= hit.start && hit.end <= e)
}

fn resolve(found: &[PatternHit], quotes: &[(usize, usize)]) -> Vec<RuleHit> {
    let mut hits: Vec<RuleHit> = found
        .iter()
        .filter(|h| h.owner & 1 == 0 && !cancelled(h, found) && !inside(h, quotes))
        .map(|h| RuleHit { rule: (h.owner >> 1) as usize, start: h.start, end: h.end })
        .collect();
    hits.sort_by_key(|h| (h.rule, h.start, std::cmp::Reverse(h.end)));
    let mut merged: Vec<RuleHit> = Vec::with_capacity(hits.len());
    for h in hits {
        match merged.last_mut() {
            Some(last) if last.rule == h.rule && h.start < last.end => last.end = last.end.max(h.end),
            _ => merged.push(h),
        }
    }
    merged.sort_by_key(|h| (h.start, h.rule));
    merged
}

#[cfg(test)]
mod tests {
    use super::quoted_spans;

    #[test]
    fn quotes_pair_up() {
        assert_eq!(quoted_spans("他说“不知道”就挂了"), vec![(3, 6)]);
        assert_eq!(quoted_spans("书名《你到底想怎样》"), vec![(3, 9)]);
        assert_eq!(quoted_spans("say \"hi\" now"), vec![(5, 7)]);
        assert!(quoted_spans("没有闭合的“引号").is_empty());
    }
}
