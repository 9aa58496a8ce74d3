//! Recognising what a customer says: cue phrases scored per scenario.
//!
//! Each scenario's cues (weight 1) and strong cues (weight 3) are found with
//! the same matcher as the forbidden phrases; a negative cue rules a scenario
//! out. Overlapping hits of one scenario's cues (开裂 and 裂了 in 开裂了)
//! count once. A strong cue of a `dominant` scenario (abusive) decides
//! whatever else scored. Otherwise the best score wins, ties go to the higher
//! priority. Nothing matched: a character n-gram model over the rulebook's
//! examples decides if it is sure and has enough evidence; else a question is
//! an `inquiry`, anything else `other`.

use serde::Serialize;

use crate::bayes::NaiveBayes;
use crate::matcher::{Matcher, Scratch};
use crate::pattern;
use crate::rulebook::Rulebook;

const WEIGHT_CUE: f64 = 1.0;
const WEIGHT_STRONG: f64 = 3.0;

/// The recognised scenario of one utterance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification<'r> {
    pub scenario: &'r str,
    pub confidence: f64,
    /// Original-text char spans of the cues that decided it.
    #[serde(skip)]
    pub evidence: Vec<(usize, usize)>,
}

/// When no cue matches, the n-gram model decides if it is at least this sure
/// and the text shares at least `BACKOFF_MIN_SUPPORT` distinct bigrams with
/// the winning scenario's examples; otherwise the text is left to the
/// question/statement fallback (a short acknowledgement such as 行吧, or a
/// plain statement, must not become a confident guess).
const BACKOFF_MIN_POSTERIOR: f64 = 0.7;
const BACKOFF_MIN_SUPPORT: usize = 2;

#[derive(Debug)]
pub struct Classifier {
    matcher: Matcher,
    /// Matcher owner (one per cue pattern) → its scenario and kind.
    cues: Vec<(usize, CueKind)>,
    backoff: NaiveBayes,
    inquiry: Option<usize>,
    other: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueKind {
    Cue,
    Strong,
    Negative,
}

impl CueKind {
    fn weight(self) -> f64 {
        match self {
            CueKind::Cue => WEIGHT_CUE,
            CueKind::Strong => WEIGHT_STRONG,
            CueKind::Negative => -100.0,
        }
    }
}

impl Classifier {
    pub fn new(book: &Rulebook) -> Result<Classifier, String> {
        let mut seqs = Vec::new();
        let mut cues = Vec::new();
        for (i, s) in book.scenarios.iter().enumerate() {
            let groups = [(CueKind::Cue, &s.cues), (CueKind::Strong, &s.strong_cues), (CueKind::Negative, &s.negative)];
            for (kind, patterns) in groups {
                for p in patterns {
                    let owner = cues.len() as u32;
                    cues.push((i, kind));
                    for seq in pattern::compile(p).map_err(|e| format!("{}: {e}", s.id))? {
                        seqs.push((owner, seq));
                    }
                }
            }
        }
        let examples = book.scenarios.iter().enumerate().flat_map(|(i, s)| s.examples.iter().map(move |e| (e.as_str(), i)));
        Ok(Classifier {
            matcher: Matcher::new(seqs.iter().map(|(o, s)| (*o, s)))?,
            cues,
            backoff: NaiveBayes::train(book.scenarios.len(), examples),
            inquiry: book.scenarios.iter().position(|s| s.id == "inquiry"),
            other: book.scenarios.iter().position(|s| s.id == "other"),
        })
    }

    /// Every scenario that scored, with its score and the cue spans that
    /// counted (negative cues marked with a negative score), for rulebook authors.
    pub fn explain<'r>(&self, book: &'r Rulebook, text: &str, scratch: &mut Scratch) -> Vec<(&'r str, f64, Vec<(usize, usize)>)> {
        let mut out: Vec<(&'r str, f64, Vec<(usize, usize)>)> = Vec::new();
        for (s, kind, start, end) in self.counted_hits(text, scratch) {
            let Some(scenario) = book.scenarios.get(s) else { continue };
            let weight = kind.weight();
            match out.iter_mut().find(|(id, _, _)| *id == scenario.id) {
                Some(entry) => {
                    entry.1 += weight;
                    entry.2.push((start, end));
                }
                None => out.push((&scenario.id, weight, vec![(start, end)])),
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    /// The cue hits that count, as `(scenario, kind, start, end)`: of the
    /// overlapping hits of one cue pattern only the leftmost counts, so two
    /// alternatives of one pattern covering the same words (开裂 / 裂了 in
    /// 开裂了) do not add up; hits at different places, and hits of different
    /// patterns, still do.
    fn counted_hits(&self, text: &str, scratch: &mut Scratch) -> Vec<(usize, CueKind, usize, usize)> {
        let mut hits: Vec<(u32, usize, usize)> = self.matcher.find(text, scratch).iter().map(|h| (h.owner, h.start, h.end)).collect();
        hits.sort_unstable();
        hits.dedup();
        let mut out = Vec::with_capacity(hits.len());
        let mut last: Option<(u32, usize)> = None;
        for (owner, start, end) in hits {
            if matches!(last, Some((o, e)) if o == owner && start < e) {
                continue;
            }
            last = Some((owner, end));
            if let Some(&(s, kind)) = self.cues.get(owner as usize) {
                out.push((s, kind, start, end));
            }
        }
        out
    }

    pub fn classify<'r>(&self, book: &'r Rulebook, text: &str, scratch: &mut Scratch) -> Classification<'r> {
        let n = book.scenarios.len();
        let mut score = vec![0.0f64; n];
        let mut excluded = vec![false; n];
        let mut strong = vec![false; n];
        let mut evidence: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (s, kind, start, end) in self.counted_hits(text, scratch) {
            if s >= n {
                continue;
            }
            match kind {
                CueKind::Cue => score[s] += WEIGHT_CUE,
                CueKind::Strong => {
                    score[s] += WEIGHT_STRONG;
                    strong[s] = true;
                }
                CueKind::Negative => excluded[s] = true,
            }
            evidence[s].push((start, end));
        }
        // A dominant scenario with a strong cue (swearing) is handled first,
        // whatever else the customer says: only dominant ones compete then.
        let dominant = (0..n).any(|i| book.scenarios[i].dominant && strong[i] && !excluded[i]);
        // `other` has cues only to recognise acknowledgements and plain
        // statements (so the backoff leaves them alone): it never outscores a
        // scenario that scored.
        if let Some(o) = self.other {
            if (0..n).any(|i| i != o && !excluded[i] && score[i] > 0.0) {
                excluded[o] = true;
            }
        }
        let mut best: Option<usize> = None;
        let mut runner_up = 0.0f64;
        for i in 0..n {
            if excluded[i] || score[i] <= 0.0 || (dominant && !(book.scenarios[i].dominant && strong[i])) {
                continue;
            }
            match best {
                None => best = Some(i),
                Some(b) => {
                    let better = score[i] > score[b]
                        || (score[i] == score[b] && book.scenarios[i].priority > book.scenarios[b].priority);
                    if better {
                        runner_up = runner_up.max(score[b]);
                        best = Some(i);
                    } else {
                        runner_up = runner_up.max(score[i]);
                    }
                }
            }
        }
        match best {
            Some(b) => {
                let margin = (score[b] - runner_up) / (score[b] + 1.0);
                let confidence = (0.55 + 0.44 * margin + 0.04 * score[b].min(3.0)).min(0.99);
                Classification { scenario: &book.scenarios[b].id, confidence: round2(confidence), evidence: std::mem::take(&mut evidence[b]) }
            }
            None => {
                // No cue: the n-gram model trained on the rulebook's examples,
                // if it is sure enough; else question → inquiry, statement → other.
                let posterior = self.backoff.posterior(text);
                let best = posterior.iter().enumerate().filter(|(i, _)| !excluded[*i]).max_by(|a, b| a.1.total_cmp(b.1));
                match best {
                    Some((i, &p)) if p >= BACKOFF_MIN_POSTERIOR && self.backoff.support(text, i) >= BACKOFF_MIN_SUPPORT => {
                        Classification { scenario: &book.scenarios[i].id, confidence: round2(0.5 * p), evidence: Vec::new() }
                    }
                    _ if looks_like_question(text) => fallback(book, self.inquiry, "inquiry", 0.6),
                    _ => fallback(book, self.other, "other", 0.5),
                }
            }
        }
    }
}

fn fallback<'r>(book: &'r Rulebook, index: Option<usize>, id: &'static str, confidence: f64) -> Classification<'r> {
    let scenario = index.and_then(|i| book.scenarios.get(i)).map_or(id, |s| s.id.as_str());
    Classification { scenario, confidence, evidence: Vec::new() }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A question mark or a sentence-final question particle.
fn looks_like_question(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || "。.!！~～".contains(c));
    t.contains('?') || t.contains('？') || t.ends_with('吗') || t.ends_with('呢') || t.ends_with('么') || t.ends_with("嗎")
}
