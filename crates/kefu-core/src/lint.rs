//! Linting agent utterances against the forbidden-phrase rules.

use serde::Serialize;

use crate::matcher::{Matcher, PatternHit, Scratch};
use crate::pattern;
use crate::rulebook::{Rule, Rulebook};

/// One forbidden phrase found in an utterance. Offsets are chars in the
/// original text, end exclusive.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// For a hit of the semantic layer (rule `<category>.semantic`): the
    /// model's calibrated probability. Rule hits have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
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
        let quotes = Cover::new(quoted_spans(text));
        let exceptions = Exceptions::new(found);
        resolve(found, &exceptions, &quotes)
    }

    /// Where the rules' exceptions match in `text` (rule index and span),
    /// whether or not a pattern of their rule matched too: the rulebook's
    /// statements that these words are an innocent use of a category's
    /// vocabulary, which the semantic layer honours.
    pub fn exception_hits(&self, text: &str, scratch: &mut Scratch) -> Vec<RuleHit> {
        self.matcher.find(text, scratch).iter().filter(|h| h.owner & 1 == 1).map(|h| RuleHit { rule: (h.owner >> 1) as usize, start: h.start, end: h.end }).collect()
    }

    /// True if `text` has at least one violation (the `--count` fast path).
    pub fn has_violation(&self, text: &str, scratch: &mut Scratch) -> bool {
        let found = self.matcher.find(text, scratch);
        if found.is_empty() {
            return false;
        }
        let quotes = Cover::new(quoted_spans(text));
        let exceptions = Exceptions::new(found);
        found.iter().any(|h| h.owner & 1 == 0 && !exceptions.cancel(h) && !quotes.covers(h.start, h.end))
    }

    /// Full violations with messages, for display.
    pub fn check<'r>(&self, book: &'r Rulebook, text: &str, scratch: &mut Scratch) -> Vec<Violation<'r>> {
        self.check_capped(book, text, usize::MAX, scratch).0
    }

    /// As [`Linter::check`], building at most `max` violations (the first by
    /// position); the second value is how many there are in all.
    pub fn check_capped<'r>(&self, book: &'r Rulebook, text: &str, max: usize, scratch: &mut Scratch) -> (Vec<Violation<'r>>, usize) {
        let hits = self.hits(text, scratch);
        let total = hits.len();
        if hits.is_empty() || max == 0 {
            return (Vec::new(), total);
        }
        // Byte offsets of the hits' ends and starts, in one walk over the text.
        let mut wanted: Vec<usize> = hits.iter().take(max).flat_map(|h| [h.start, h.end]).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let offsets = byte_offsets(text, &wanted);
        let at = |char_index: usize| wanted.binary_search(&char_index).ok().map_or(text.len(), |i| offsets[i]);
        let violations = hits
            .into_iter()
            .take(max)
            .filter_map(|h| {
                let rule: &Rule = book.rules.get(h.rule)?;
                Some(Violation {
                    rule: &rule.id,
                    category: &rule.category,
                    severity: rule.severity.as_str(),
                    start: h.start,
                    end: h.end,
                    matched: text.get(at(h.start)..at(h.end)).unwrap_or_default().to_string(),
                    message: &rule.message,
                    suggestion: &rule.suggestion,
                    source: &rule.source,
                    confidence: None,
                })
            })
            .collect();
        (violations, total)
    }
}

/// The byte offset of each char index in `sorted` (ascending), `text.len()`
/// for indices at or past the end.
fn byte_offsets(text: &str, sorted: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut chars = text.char_indices().enumerate();
    for &want in sorted {
        let byte = loop {
            match chars.next() {
                Some((i, (b, _))) if i == want => break b,
                Some(_) => {}
                None => break text.len(),
            }
        };
        out.push(byte);
        if byte == text.len() {
            break;
        }
    }
    out.resize(sorted.len(), text.len());
    out
}

/// Intervals answering "does one of them cover `start..end`?" in O(log n):
/// sorted by start, with the furthest end reached so far.
#[derive(Debug, Default)]
struct Cover {
    starts: Vec<usize>,
    furthest_end: Vec<usize>,
}

impl Cover {
    fn new(mut spans: Vec<(usize, usize)>) -> Cover {
        spans.sort_unstable();
        let mut furthest = 0;
        let furthest_end = spans
            .iter()
            .map(|&(_, e)| {
                furthest = furthest.max(e);
                furthest
            })
            .collect();
        Cover { starts: spans.into_iter().map(|(s, _)| s).collect(), furthest_end }
    }

    fn covers(&self, start: usize, end: usize) -> bool {
        let n = self.starts.partition_point(|&s| s <= start);
        n > 0 && self.furthest_end[n - 1] >= end
    }
}

/// The exception hits of a text, by the rule they belong to.
struct Exceptions {
    /// (exception owner, its intervals), sorted by owner.
    by_owner: Vec<(u32, Cover)>,
}

impl Exceptions {
    fn new(found: &[PatternHit]) -> Exceptions {
        let mut spans: Vec<(u32, usize, usize)> = found.iter().filter(|h| h.owner & 1 == 1).map(|h| (h.owner, h.start, h.end)).collect();
        spans.sort_unstable();
        let mut by_owner: Vec<(u32, Cover)> = Vec::new();
        for group in spans.chunk_by(|a, b| a.0 == b.0) {
            by_owner.push((group[0].0, Cover::new(group.iter().map(|&(_, s, e)| (s, e)).collect())));
        }
        Exceptions { by_owner }
    }

    /// An exception of the same rule that covers the hit's key words (its last
    /// fragment) cancels it; other hits of the rule in the text stand.
    fn cancel(&self, hit: &PatternHit) -> bool {
        let exception = hit.owner | 1;
        self.by_owner
            .binary_search_by_key(&exception, |(o, _)| *o)
            .is_ok_and(|i| self.by_owner[i].1.covers(hit.core_start, hit.end))
    }
}

/// Words inside quotation marks or a book title are someone else's: an agent
/// reading back a message (1258 秘书台), quoting a complaint about a colleague
/// (客服说“不关我的事”) or naming a product (《你到底想怎样》) is not saying them.
/// Returns char ranges (end exclusive) strictly inside a closed pair.
pub fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    const PAIRS: [(char, char); 8] =
        [('“', '”'), ('「', '」'), ('『', '』'), ('《', '》'), ('‘', '’'), ('〈', '〉'), ('﹃', '﹄'), ('＂', '＂')];
    let kind = |close: char| PAIRS.iter().position(|&(_, cl)| cl == close).unwrap_or(0);
    let mut spans = Vec::new();
    let mut open: Vec<(char, usize)> = Vec::new();
    // How many openers of each kind are on the stack: a closer with none
    // open is skipped at once, so the stack is only ever walked down to an
    // opener that is there, and what is walked over is popped (linear time).
    let mut open_of_kind = [0usize; PAIRS.len()];
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
            open_of_kind[kind(close)] += 1;
        } else if PAIRS.iter().any(|&(_, cl)| cl == c) && open_of_kind[kind(c)] > 0 {
            if let Some(pos) = open.iter().rposition(|&(close, _)| close == c) {
                let (_, start) = open[pos];
                for &(close, _) in &open[pos..] {
                    open_of_kind[kind(close)] -= 1;
                }
                open.truncate(pos);
                spans.push((start + 1, i));
            }
        } else if c == '＂' {
            open.push(('＂', i));
            open_of_kind[kind('＂')] += 1;
        }
    }
    spans
}

fn resolve(found: &[PatternHit], exceptions: &Exceptions, quotes: &Cover) -> Vec<RuleHit> {
    let mut hits: Vec<RuleHit> = found
        .iter()
        .filter(|h| h.owner & 1 == 0 && !exceptions.cancel(h) && !quotes.covers(h.start, h.end))
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
