//! Recognising what a customer says: cue phrases scored per scenario.
//!
//! Each scenario's cues (weight 1) and strong cues (weight 3) are found with
//! the same matcher as the forbidden phrases; a negative cue rules a scenario
//! out. The best score wins, ties go to the higher priority. Nothing matched:
//! a question is an `inquiry`, anything else `other`.

use serde::Serialize;

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

#[derive(Debug)]
pub struct Classifier {
    matcher: Matcher,
    inquiry: Option<usize>,
    other: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CueKind {
    Cue = 0,
    Strong = 1,
    Negative = 2,
}

fn owner(scenario: usize, kind: CueKind) -> u32 {
    (scenario as u32) * 3 + kind as u32
}

impl Classifier {
    pub fn new(book: &Rulebook) -> Result<Classifier, String> {
        let mut seqs = Vec::new();
        for (i, s) in book.scenarios.iter().enumerate() {
            let groups = [(CueKind::Cue, &s.cues), (CueKind::Strong, &s.strong_cues), (CueKind::Negative, &s.negative)];
            for (kind, patterns) in groups {
                for p in patterns {
                    for seq in pattern::compile(p).map_err(|e| format!("{}: {e}", s.id))? {
                        seqs.push((owner(i, kind), seq));
                    }
                }
            }
        }
        Ok(Classifier {
            matcher: Matcher::new(seqs.iter().map(|(o, s)| (*o, s)))?,
            inquiry: book.scenarios.iter().position(|s| s.id == "inquiry"),
            other: book.scenarios.iter().position(|s| s.id == "other"),
        })
    }

    /// Every scenario that scored, with its score and the cue spans that
    /// counted (negative cues marked with a negative score), for rulebook authors.
    pub fn explain<'r>(&self, book: &'r Rulebook, text: &str, scratch: &mut Scratch) -> Vec<(&'r str, f64, Vec<(usize, usize)>)> {
        let mut out: Vec<(&'r str, f64, Vec<(usize, usize)>)> = Vec::new();
        let mut seen: Vec<(u32, usize, usize)> = Vec::new();
        for h in self.matcher.find(text, scratch) {
            if seen.contains(&(h.owner, h.start, h.end)) {
                continue;
            }
            seen.push((h.owner, h.start, h.end));
            let s = (h.owner / 3) as usize;
            let Some(scenario) = book.scenarios.get(s) else { continue };
            let weight = match h.owner % 3 {
                0 => WEIGHT_CUE,
                1 => WEIGHT_STRONG,
                _ => -100.0,
            };
            match out.iter_mut().find(|(id, _, _)| *id == scenario.id) {
                Some(entry) => {
                    entry.1 += weight;
                    entry.2.push((h.start, h.end));
                }
                None => out.push((&scenario.id, weight, vec![(h.start, h.end)])),
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    pub fn classify<'r>(&self, book: &'r Rulebook, text: &str, scratch: &mut Scratch) -> Classification<'r> {
        let n = book.scenarios.len();
        let mut score = vec![0.0f64; n];
        let mut excluded = vec![false; n];
        let mut evidence: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut seen: Vec<(u32, usize, usize)> = Vec::new();
        for h in self.matcher.find(text, scratch) {
            // The same cue matched twice through alternations counts once.
            if seen.contains(&(h.owner, h.start, h.end)) {
                continue;
            }
            seen.push((h.owner, h.start, h.end));
            let s = (h.owner / 3) as usize;
            match h.owner % 3 {
                0 => score[s] += WEIGHT_CUE,
                1 => score[s] += WEIGHT_STRONG,
                _ => excluded[s] = true,
            }
            evidence[s].push((h.start, h.end));
        }
        let mut best: Option<usize> = None;
        let mut runner_up = 0.0f64;
        for i in 0..n {
            if excluded[i] || score[i] <= 0.0 {
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
            None if looks_like_question(text) => fallback(book, self.inquiry, "inquiry", 0.6),
            None => fallback(book, self.other, "other", 0.5),
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
