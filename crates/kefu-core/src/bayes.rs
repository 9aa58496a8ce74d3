//! A character n-gram naive Bayes model over the rulebook's own scenario
//! examples: the backoff of scenario recognition for utterances no cue
//! covers. It is trained when the rulebook loads (a few hundred examples,
//! milliseconds), so it is data like the cues: editing the examples retrains it.

use std::collections::HashMap;

use crate::normalize::normalize_str;

/// Laplace smoothing.
const ALPHA: f64 = 0.5;

#[derive(Debug, Default)]
pub struct NaiveBayes {
    classes: usize,
    /// Feature → count per class.
    counts: HashMap<u64, Vec<u32>>,
    /// Total feature count per class.
    totals: Vec<u64>,
    /// Examples per class.
    docs: Vec<u32>,
    vocabulary: usize,
}

const BIGRAM: u64 = 1 << 63;
const START: char = '\u{2}';
const END: char = '\u{3}';

/// Unigrams and bigrams of the normalised text, with start/end markers so
/// that sentence-final particles (吗, 了) count as such.
fn features(text: &str) -> Vec<u64> {
    let chars: Vec<char> = std::iter::once(START).chain(normalize_str(text).chars()).chain(std::iter::once(END)).collect();
    let mut out = Vec::with_capacity(chars.len() * 2);
    for (i, &c) in chars.iter().enumerate() {
        if c != START && c != END {
            out.push(u64::from(c as u32));
        }
        if let Some(&next) = chars.get(i + 1) {
            out.push(bigram(c, next));
        }
    }
    out
}

fn bigram(a: char, b: char) -> u64 {
    BIGRAM | (u64::from(a as u32) << 21) | u64::from(b as u32)
}

/// The bigrams inside the text (not those with the start/end markers).
fn inner_bigrams(text: &str) -> Vec<u64> {
    let chars: Vec<char> = normalize_str(text).chars().collect();
    let mut out: Vec<u64> = chars.windows(2).map(|w| bigram(w[0], w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl NaiveBayes {
    /// Trains on `(text, class)` pairs; classes are `0..classes`.
    pub fn train<'a>(classes: usize, examples: impl IntoIterator<Item = (&'a str, usize)>) -> NaiveBayes {
        let mut m = NaiveBayes { classes, totals: vec![0; classes], docs: vec![0; classes], ..Default::default() };
        for (text, class) in examples {
            if class >= classes {
                continue;
            }
            m.docs[class] += 1;
            for f in features(text) {
                m.counts.entry(f).or_insert_with(|| vec![0; classes])[class] += 1;
                m.totals[class] += 1;
            }
        }
        m.vocabulary = m.counts.len().max(1);
        m
    }

    /// How many distinct bigrams inside the text occur in the training
    /// examples of `class`: the evidence behind a posterior. A posterior that
    /// rests on one shared bigram (明白 in 我还是不明白) or only on the prior
    /// and single characters says little about a short acknowledgement or a
    /// plain statement.
    pub fn support(&self, text: &str, class: usize) -> usize {
        inner_bigrams(text).iter().filter(|f| self.counts.get(f).is_some_and(|c| c.get(class).is_some_and(|&n| n > 0))).count()
    }

    /// Posterior probabilities per class (classes without examples get 0).
    pub fn posterior(&self, text: &str) -> Vec<f64> {
        let total_docs: u32 = self.docs.iter().sum();
        if total_docs == 0 {
            return vec![0.0; self.classes];
        }
        let feats = features(text);
        let mut log: Vec<f64> = (0..self.classes)
            .map(|c| {
                if self.docs[c] == 0 {
                    return f64::NEG_INFINITY;
                }
                let denom = self.totals[c] as f64 + ALPHA * self.vocabulary as f64;
                let mut lp = (f64::from(self.docs[c]) / f64::from(total_docs)).ln();
                for f in &feats {
                    // Features never seen in training carry no evidence either way.
                    if let Some(counts) = self.counts.get(f) {
                        lp += ((f64::from(counts[c]) + ALPHA) / denom).ln();
                    }
                }
                lp
            })
            .collect();
        let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for v in &mut log {
            *v = if v.is_finite() { (*v - max).exp() } else { 0.0 };
            sum += *v;
        }
        if sum > 0.0 {
            for v in &mut log {
                *v /= sum;
            }
        }
        log
    }
}

#[cfg(test)]
mod tests {
    use super::NaiveBayes;

    #[test]
    fn learns_from_examples() {
        let m = NaiveBayes::train(2, [("谢谢你", 0), ("非常感谢", 0), ("冰箱坏了来修", 1), ("空调不制冷派人修", 1)]);
        let p = m.posterior("洗衣机坏了");
        assert!(p[1] > p[0], "{p:?}");
        let p = m.posterior("谢谢");
        assert!(p[0] > 0.8, "{p:?}");
    }

    #[test]
    fn support_counts_shared_inner_bigrams() {
        let m = NaiveBayes::train(2, [("谢谢你", 0), ("非常感谢", 0), ("冰箱坏了来修", 1), ("空调不制冷派人修", 1)]);
        assert_eq!(m.support("洗衣机坏了来修", 1), 3); // 坏了 了来 来修
        assert_eq!(m.support("洗衣机坏了来修", 0), 0);
        assert_eq!(m.support("修", 1), 0);
    }
}
