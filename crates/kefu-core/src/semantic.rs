//! The semantic layer: linear models over hashed character n-grams that say
//! what an utterance *means* — which forbidden meaning an agent's words carry
//! (one probability per category), what a customer is doing (a distribution
//! over scenarios) — where the rulebook's listed phrases do not reach.
//!
//! Why this shape: a logistic model over character 1–3-grams of the
//! normalised text is small (a few MB of weights, quantised to `i8`), fast
//! (one hash and one add per n-gram: microseconds for a sentence), needs no
//! runtime beyond this crate, and its evidence can be traced back to the
//! clause that carried it — which is how a model hit gets its span. The
//! weights are data: trained by `examples/train_semantic.rs` from the corpus
//! in `eval/corpus/` with a fixed seed, shipped as versioned files in
//! `rulebook/model/` and embedded in the binary. This module is pure: it
//! decodes model bytes and computes; it reads no file.

use serde::{Deserialize, Serialize};

use crate::normalize::{normalize_char, Norm};

/// The file's first bytes.
const MAGIC: &[u8; 8] = b"KEFUSEM1";

/// How the classes of a model relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Independent yes/no per class (an agent's words may carry several
    /// forbidden meanings, or none): a sigmoid per class.
    OneVsRest,
    /// Exactly one class (a customer does one thing): a softmax.
    Softmax,
}

/// What a model file says about itself (its JSON header).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelHeader {
    /// e.g. `agent-2026.12.1`.
    pub version: String,
    pub kind: ModelKind,
    /// Class ids in weight order (categories or scenarios).
    pub classes: Vec<String>,
    /// log2 of the number of feature buckets.
    pub bits: u32,
    /// Per class: weight = i8 × scale.
    pub scales: Vec<f32>,
    /// Per class bias.
    pub bias: Vec<f32>,
    /// Per class Platt calibration `p = σ(a·z + b)` of the raw score `z`
    /// (one-vs-rest), or a temperature in `a[0]` (softmax; `b` unused).
    pub calibration_a: Vec<f32>,
    pub calibration_b: Vec<f32>,
    /// Per class (one-vs-rest): the probability from which a class is
    /// reported, fitted on the dev source for a target precision; empty
    /// for none (the rulebook's `semantic_hit_threshold` applies).
    #[serde(default)]
    pub thresholds: Vec<f32>,
    /// How it was trained (sources, seed, epochs…), for the record.
    #[serde(default)]
    pub trained: serde_json::Value,
}

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub header: ModelHeader,
    /// `bucket * classes + class`.
    weights: Vec<i8>,
}

/// Why model bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("语义模型文件无效：{0}")]
pub struct ModelError(pub String);

/// A clause of a text: its span in original characters (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause {
    pub start: usize,
    pub end: usize,
}

/// Hashed features of a text with the clause each came from.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// (feature hash, clause index).
    pub hashes: Vec<(u64, u32)>,
    pub clauses: Vec<Clause>,
    /// Normalised characters in all.
    pub chars: usize,
}

/// Below this many characters an utterance is left to the rules: a short
/// one (没问题, 了解了) carries too little for the model to judge, and the
/// listed short phrases are the rules' strength.
pub const MIN_CHARS: usize = 6;
/// Above this many characters the text is not an utterance of the kind the
/// models learned from (a whole transcript pasted as one text): rules only.
pub const MAX_CHARS: usize = 400;

/// Texts of more raw characters than this are not featurised at all.
pub const MAX_RAW_CHARS: usize = 4 * MAX_CHARS;

/// Whether the models judge a text of this many normalised characters.
pub fn in_range(chars: usize) -> bool {
    (MIN_CHARS..=MAX_CHARS).contains(&chars)
}

/// The features of a text the models judge, `None` for one out of range; a
/// text far beyond it is not even featurised (no features of a 10 MB line).
pub fn judged_features(text: &str) -> Option<Features> {
    if text.chars().nth(MAX_RAW_CHARS).is_some() {
        return None;
    }
    Some(features(text)).filter(|f| in_range(f.chars))
}

const START: char = '\u{2}';
const END: char = '\u{3}';
const QUESTION: char = '\u{4}';
const EXCLAIM: char = '\u{5}';

/// Characters that end a clause for the model: sentence and clause
/// punctuation and line breaks — not spaces, which chat text puts inside
/// words (不 归 我 管).
fn ends_clause(c: char) -> Option<char> {
    match c {
        '?' | '？' => Some(QUESTION),
        '!' | '！' => Some(EXCLAIM),
        '。' | '.' | '，' | ',' | '；' | ';' | '、' | '\n' | '\r' | '…' | '：' | ':' => Some(END),
        _ => None,
    }
}

/// The closing mark of an opening quotation mark.
fn closing_quote(c: char) -> Option<char> {
    match c {
        '“' => Some('”'),
        '「' => Some('」'),
        '『' => Some('』'),
        '‘' => Some('’'),
        '"' => Some('"'),
        _ => None,
    }
}

/// Where, in a clause, a negated attribution to the customer begins: after
/// 不是/不怪/并非/不在/没有 directly followed by 您 or 你 (这不是您的问题,
/// 不怪您). `None` when there is none.
fn negation_start(seq: &[char]) -> Option<usize> {
    const NEGATORS: [[char; 2]; 5] = [['不', '是'], ['不', '怪'], ['并', '非'], ['不', '在'], ['没', '有']];
    (0..seq.len().saturating_sub(2)).find_map(|i| {
        let pair = [seq[i], seq[i + 1]];
        (NEGATORS.contains(&pair) && matches!(seq[i + 2], '您' | '你')).then_some(i + 2)
    })
}

/// Mixed into the hash of an n-gram inside a negated attribution.
const NEGATED: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a over the n-gram's characters and its length.
fn hash(gram: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ gram.len() as u64;
    for &c in gram {
        for b in (c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The features of `text`: per clause, the character 1-, 2- and 3-grams of
/// its normalised characters (traditional→simplified, width, case; noise
/// skipped; a run of one character kept at most twice) between clause-start
/// and clause-end markers, the end marker saying whether the clause was a
/// question or an exclamation.
pub fn features(text: &str) -> Features {
    let mut out = Features::default();
    let mut chars: Vec<char> = Vec::new();
    let mut clause_start: Option<usize> = None;
    let mut last_kept = 0usize;
    let flush = |chars: &mut Vec<char>, marker: char, span: Option<(usize, usize)>, out: &mut Features| {
        if let Some((start, end)) = span {
            if !chars.is_empty() {
                let index = out.clauses.len() as u32;
                out.clauses.push(Clause { start, end });
                let mut seq = Vec::with_capacity(chars.len() + 2);
                seq.push(START);
                seq.extend_from_slice(chars);
                seq.push(marker);
                let negated = negation_start(&seq);
                for i in 0..seq.len() {
                    // What follows "不是您…" (not your fault) is said of the
                    // customer in the negative: other features than the same
                    // words said outright.
                    let salt = if negated.is_some_and(|n| i >= n) { NEGATED } else { 0 };
                    if seq[i] != START && seq[i] != marker {
                        out.hashes.push((hash(&seq[i..=i]) ^ salt, index));
                    }
                    if i + 1 < seq.len() {
                        out.hashes.push((hash(&seq[i..i + 2]) ^ salt, index));
                    }
                    if i + 2 < seq.len() {
                        out.hashes.push((hash(&seq[i..i + 3]) ^ salt, index));
                    }
                }
            }
        }
        chars.clear();
    };
    // Words in quotation marks are someone else's (the customer's, a
    // product's name): they carry no meaning of the agent's own.
    let mut quoted: Option<char> = None;
    for (i, c) in text.chars().enumerate() {
        if let Some(close) = quoted {
            if c == close {
                quoted = None;
            }
            continue;
        }
        if let Some(close) = closing_quote(c) {
            quoted = Some(close);
            continue;
        }
        if let Some(marker) = ends_clause(c) {
            flush(&mut chars, marker, clause_start.map(|s| (s, last_kept + 1)), &mut out);
            clause_start = None;
            continue;
        }
        if let Norm::Keep(k) = normalize_char(c) {
            let n = chars.len();
            if n >= 2 && chars[n - 1] == k && chars[n - 2] == k {
                last_kept = i;
                continue;
            }
            chars.push(k);
            out.chars += 1;
            clause_start.get_or_insert(i);
            last_kept = i;
        }
    }
    flush(&mut chars, END, clause_start.map(|s| (s, last_kept + 1)), &mut out);
    out
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl Model {
    /// Decodes a model file: magic, header length (u32 LE), JSON header,
    /// then `classes << bits` signed bytes of weights.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let err = |m: &str| ModelError(m.to_string());
        let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| err("开头不是 KEFUSEM1"))?;
        let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(|| err("缺少头部长度"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(err("头部被截断"));
        }
        let (head, weights) = rest.split_at(len);
        let header: ModelHeader = serde_json::from_slice(head).map_err(|e| ModelError(format!("头部不是有效的 JSON：{e}")))?;
        let classes = header.classes.len();
        if classes == 0 || !(8..=24).contains(&header.bits) {
            return Err(err("类别为空或特征位数不在 8–24 之间"));
        }
        for (name, v) in [("scales", &header.scales), ("bias", &header.bias), ("calibration_a", &header.calibration_a), ("calibration_b", &header.calibration_b)] {
            if v.len() != classes || v.iter().any(|x| !x.is_finite()) {
                return Err(ModelError(format!("{name} 应为 {classes} 个有限数")));
            }
        }
        if weights.len() != classes << header.bits {
            return Err(ModelError(format!("权重应为 {} 字节，实际 {}", classes << header.bits, weights.len())));
        }
        Ok(Model { weights: weights.iter().map(|&b| b as i8).collect(), header })
    }

    /// The file bytes of this model.
    pub fn to_bytes(&self) -> Vec<u8> {
        let head = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + head.len() + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(head.len() as u32).to_le_bytes());
        out.extend_from_slice(&head);
        out.extend(self.weights.iter().map(|&w| w as u8));
        out
    }

    /// A model from trained float weights (`bucket * classes + class`),
    /// quantised to `i8` with one scale per class.
    pub fn quantise(header: ModelHeader, weights: &[f32]) -> Model {
        let classes = header.classes.len();
        let mut header = header;
        let mut scales = vec![0f32; classes];
        for (i, w) in weights.iter().enumerate() {
            let c = i % classes;
            scales[c] = scales[c].max(w.abs());
        }
        for s in &mut scales {
            *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
        }
        let q = weights.iter().enumerate().map(|(i, w)| (w / scales[i % classes]).round().clamp(-127.0, 127.0) as i8).collect();
        header.scales = scales;
        Model { header, weights: q }
    }

    pub fn classes(&self) -> &[String] {
        &self.header.classes
    }

    fn bucket(&self, h: u64) -> usize {
        (h >> (64 - self.header.bits)) as usize
    }

    /// The raw score of every class for these features: the bias plus the
    /// weights' sum scaled by 1/√n, as in training (so that a long text
    /// does not outweigh a short one by its length alone).
    pub fn raw(&self, f: &Features) -> Vec<f32> {
        let k = self.header.classes.len();
        let mut sum = vec![0f32; k];
        for &(h, _) in &f.hashes {
            let base = self.bucket(h) * k;
            for (c, s) in sum.iter_mut().enumerate() {
                *s += f32::from(self.weights[base + c]) * self.header.scales[c];
            }
        }
        let x = 1.0 / (f.hashes.len().max(1) as f32).sqrt();
        self.header.bias.iter().zip(sum).map(|(b, s)| b + s * x).collect()
    }

    /// Calibrated probabilities: per class (one-vs-rest) or a distribution (softmax).
    pub fn probabilities(&self, f: &Features) -> Vec<f32> {
        let z = self.raw(f);
        let (a, b) = (&self.header.calibration_a, &self.header.calibration_b);
        match self.header.kind {
            ModelKind::OneVsRest => z.iter().enumerate().map(|(c, &zc)| sigmoid(a[c] * zc + b[c])).collect(),
            ModelKind::Softmax => {
                let t = if a[0] > 0.0 { a[0] } else { 1.0 };
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = z.iter().map(|&zc| ((zc - max) * t).exp()).collect();
                let sum: f32 = e.iter().sum();
                e.iter().map(|x| x / sum.max(f32::MIN_POSITIVE)).collect()
            }
        }
    }

    /// The clause that carries most of the evidence for `class`: its span
    /// in original characters.
    pub fn evidence(&self, f: &Features, class: usize) -> Option<Clause> {
        let k = self.header.classes.len();
        if class >= k || f.clauses.is_empty() {
            return None;
        }
        let mut per_clause = vec![0f32; f.clauses.len()];
        for &(h, clause) in &f.hashes {
            let w = f32::from(self.weights[self.bucket(h) * k + class]) * self.header.scales[class];
            if let Some(s) = per_clause.get_mut(clause as usize) {
                *s += w;
            }
        }
        let best = per_clause.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i)?;
        f.clauses.get(best).copied()
    }
}

// ---------------------------------------------------------------------------
// Training (pure computation: the examples in, float weights out)
// ---------------------------------------------------------------------------

/// Settings of a training run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainConfig {
    pub bits: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 penalty per example step.
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { bits: 17, epochs: 8, learning_rate: 0.2, l2: 1e-6, seed: 20_261_203 }
    }
}

/// A labelled example: its features and its classes (one-vs-rest: any
/// number, none for a clean utterance; softmax: exactly one).
pub struct Example {
    pub features: Features,
    pub labels: Vec<usize>,
}

/// A small deterministic generator (xorshift64*), so that a seed gives the
/// same weights on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Trains float weights by stochastic gradient descent on the log loss,
/// averaged over the last epoch's steps (averaging steadies a linear model
/// trained by SGD). Returns (weights, bias).
pub fn train(kind: ModelKind, classes: usize, examples: &[Example], config: &TrainConfig) -> (Vec<f32>, Vec<f32>) {
    let buckets = 1usize << config.bits;
    let mut w = vec![0f32; buckets * classes];
    let mut b = vec![0f32; classes];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng(config.seed.max(1));
    let bucket = |h: u64| (h >> (64 - config.bits)) as usize;
    let mut sum_w = vec![0f32; 0];
    let mut sum_b = vec![0f32; classes];
    let mut steps = 0f32;
    for epoch in 0..config.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let lr = config.learning_rate / (1.0 + epoch as f32 * 0.5);
        let last = epoch + 1 == config.epochs;
        if last {
            sum_w = w.clone();
            sum_b.clone_from(&b);
            steps = 1.0;
        }
        for &i in &order {
            let ex = &examples[i];
            let n = ex.features.hashes.len().max(1) as f32;
            // Features scaled by 1/√n so that long texts do not shout.
            let x = 1.0 / n.sqrt();
            let mut z = b.clone();
            for &(h, _) in &ex.features.hashes {
                let base = bucket(h) * classes;
                for (c, zc) in z.iter_mut().enumerate() {
                    *zc += w[base + c] * x;
                }
            }
            let grad: Vec<f32> = match kind {
                ModelKind::OneVsRest => z.iter().enumerate().map(|(c, &zc)| sigmoid(zc) - f32::from(u8::from(ex.labels.contains(&c)))).collect(),
                ModelKind::Softmax => {
                    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let e: Vec<f32> = z.iter().map(|&zc| (zc - max).exp()).collect();
                    let sum: f32 = e.iter().sum();
                    e.iter().enumerate().map(|(c, &ec)| ec / sum - f32::from(u8::from(ex.labels.first() == Some(&c)))).collect()
                }
            };
            for &(h, _) in &ex.features.hashes {
                let base = bucket(h) * classes;
                for c in 0..classes {
                    let wi = &mut w[base + c];
                    *wi -= lr * (grad[c] * x + config.l2 * *wi);
                }
            }
            for c in 0..classes {
                b[c] -= lr * grad[c];
            }
            if last {
                // Running average of the last epoch (lazy: only the touched weights).
                steps += 1.0;
                for &(h, _) in &ex.features.hashes {
                    let base = bucket(h) * classes;
                    for c in 0..classes {
                        sum_w[base + c] += (w[base + c] - sum_w[base + c]) / steps;
                    }
                }
                for c in 0..classes {
                    sum_b[c] += (b[c] - sum_b[c]) / steps;
                }
            }
        }
    }
    if sum_w.is_empty() {
        (w, b)
    } else {
        (sum_w, sum_b)
    }
}

/// Fits Platt scaling `σ(a·z + b)` to raw scores and 0/1 outcomes by Newton's
/// method on the log loss (a few dozen iterations), with the usual prior
/// correction of the targets.
pub fn fit_platt(scores: &[f32], outcomes: &[bool]) -> (f32, f32) {
    let pos = outcomes.iter().filter(|&&o| o).count() as f64;
    let neg = outcomes.len() as f64 - pos;
    let hi = (pos + 1.0) / (pos + 2.0);
    let lo = 1.0 / (neg + 2.0);
    let (mut a, mut b) = (1.0f64, 0.0f64);
    for _ in 0..100 {
        let (mut g_a, mut g_b, mut h_aa, mut h_ab, mut h_bb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (&z, &o) in scores.iter().zip(outcomes) {
            let z = f64::from(z);
            let t = if o { hi } else { lo };
            let p = 1.0 / (1.0 + (-(a * z + b)).exp());
            let d = p - t;
            let w = (p * (1.0 - p)).max(1e-12);
            g_a += d * z;
            g_b += d;
            h_aa += w * z * z;
            h_ab += w * z;
            h_bb += w;
        }
        let det = h_aa * h_bb - h_ab * h_ab;
        if det.abs() < 1e-12 {
            break;
        }
        let da = (h_bb * g_a - h_ab * g_b) / det;
        let db = (h_aa * g_b - h_ab * g_a) / det;
        a -= da;
        b -= db;
        if da.abs() < 1e-7 && db.abs() < 1e-7 {
            break;
        }
    }
    (a as f32, b as f32)
}

/// Expected calibration error over `bins` equal-width bins of confidence,
/// and the table (per bin: count, mean confidence, accuracy).
pub fn calibration(confidence: &[f32], correct: &[bool], bins: usize) -> (f64, Vec<(usize, f64, f64)>) {
    let bins = bins.max(1);
    let mut table = vec![(0usize, 0f64, 0f64); bins];
    for (&p, &ok) in confidence.iter().zip(correct) {
        let i = ((f64::from(p) * bins as f64) as usize).min(bins - 1);
        table[i].0 += 1;
        table[i].1 += f64::from(p);
        table[i].2 += f64::from(u8::from(ok));
    }
    let n = confidence.len().max(1) as f64;
    let mut ece = 0.0;
    for row in &mut table {
        if row.0 > 0 {
            row.1 /= row.0 as f64;
            row.2 /= row.0 as f64;
            ece += row.0 as f64 / n * (row.1 - row.2).abs();
        }
    }
    (ece, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_spans_in_original_characters() {
        let f = features("您好，這事兒 不 歸 我 管！");
        assert_eq!(f.clauses.len(), 2);
        let chars: Vec<char> = "您好，這事兒 不 歸 我 管！".chars().collect();
        let second: String = chars[f.clauses[1].start..f.clauses[1].end].iter().collect();
        assert_eq!(second, "這事兒 不 歸 我 管");
        // Traditional characters and inserted symbols give the same features as plain text.
        let plain = features("这事儿不归我管！");
        let noisy = features("這*事*兒 不 歸 我 管！");
        let set = |f: &Features| f.hashes.iter().map(|h| h.0).collect::<std::collections::BTreeSet<_>>();
        assert_eq!(set(&plain), set(&noisy));
    }

    #[test]
    fn quoted_words_are_not_the_agents() {
        let quoted = features("您说的“不对劲”是指哪里");
        let plain = features("您说的是指哪里");
        let set = |f: &Features| f.hashes.iter().map(|h| h.0).collect::<std::collections::BTreeSet<_>>();
        assert_eq!(set(&quoted), set(&plain));
        // An unclosed quote hides the rest, never panics.
        assert!(features("他说“好").hashes.len() < features("他说好").hashes.len());
    }

    #[test]
    fn no_features_no_clauses_and_no_panic_on_odd_text() {
        for t in ["", "，，，", "😊😊", "\u{200b}", "?", "a"] {
            let f = features(t);
            assert_eq!(f.hashes.is_empty(), f.clauses.is_empty(), "{t:?}");
        }
    }

    #[test]
    fn a_model_survives_its_file_and_bad_files_are_refused() {
        let header = ModelHeader {
            version: "test".into(),
            kind: ModelKind::OneVsRest,
            classes: vec!["a".into(), "b".into()],
            bits: 8,
            scales: vec![1.0; 2],
            bias: vec![0.0; 2],
            calibration_a: vec![1.0; 2],
            calibration_b: vec![0.0; 2],
            thresholds: Vec::new(),
            trained: serde_json::Value::Null,
        };
        let weights: Vec<f32> = (0..512).map(|i| (i as f32 - 256.0) / 100.0).collect();
        let model = Model::quantise(header, &weights);
        let bytes = model.to_bytes();
        assert_eq!(Model::from_bytes(&bytes), Ok(model.clone()));
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Model::from_bytes(b"KEFUSEM1\xff\xff\xff\xff").is_err());
        assert!(Model::from_bytes(b"nonsense").is_err());
        let p = model.probabilities(&features("你好"));
        assert!(p.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn training_separates_two_meanings() {
        let ex = |t: &str, l: Vec<usize>| Example { features: features(t), labels: l };
        let data = vec![ex("这不归我管", vec![0]), ex("你找别的部门去", vec![0]), ex("好的我马上为您处理", vec![]), ex("请您稍等我帮您查一下", vec![])];
        let config = TrainConfig { bits: 12, epochs: 30, ..TrainConfig::default() };
        let (w, b) = train(ModelKind::OneVsRest, 1, &data, &config);
        let header = ModelHeader { version: "t".into(), kind: ModelKind::OneVsRest, classes: vec!["shirk".into()], bits: 12, scales: vec![1.0], bias: b, calibration_a: vec![1.0], calibration_b: vec![0.0], thresholds: Vec::new(), trained: serde_json::Value::Null };
        let m = Model::quantise(header, &w);
        let p = |t: &str| m.probabilities(&features(t))[0];
        assert!(p("这个不归我管") > p("我马上为您查一下"));
    }

    #[test]
    fn platt_and_ece() {
        let scores: Vec<f32> = (0..200).map(|i| i as f32 / 20.0 - 5.0).collect();
        let outcomes: Vec<bool> = scores.iter().map(|&s| s > 0.0).collect();
        let (a, _) = fit_platt(&scores, &outcomes);
        assert!(a > 0.0);
        let (ece, table) = calibration(&[0.95, 0.95, 0.05, 0.05], &[true, true, false, false], 10);
        assert!(ece < 0.06 && table.len() == 10);
    }
}

// ---------------------------------------------------------------------------
// The layer the engine uses: the models tied to a rulebook's ids
// ---------------------------------------------------------------------------

/// The shipped models (trained by `examples/train_semantic.rs`).
pub const EMBEDDED_AGENT: &[u8] = include_bytes!("../../../rulebook/model/agent.kefusem");
pub const EMBEDDED_CUSTOMER: &[u8] = include_bytes!("../../../rulebook/model/customer.kefusem");

/// What a model hit reports, per category: a rule of its own
/// (`<category>.semantic`) with the category's message and source and the
/// suggestion and severity of the category's first rule.
#[derive(Debug, Clone)]
pub struct SemanticRule {
    pub id: String,
    pub category: String,
    pub severity: String,
    pub message: String,
    pub suggestion: String,
    pub source: String,
}

/// The decision thresholds (rulebook numbers, with these defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// `semantic_hit_threshold`: a category's probability from which the
    /// model reports a violation the rules did not find — when the rulebook
    /// sets it; otherwise each category's threshold fitted with the model.
    pub hit: f32,
    /// Whether `hit` was set (by the rulebook or a caller) and overrides
    /// the model's per-category thresholds.
    pub hit_set: bool,
    /// `semantic_veto_threshold`: a rule hit whose category the model gives
    /// less than this probability is taken for a false alarm and dropped
    /// (0 disables).
    pub veto: f32,
    /// `scenario_model_threshold`: the model's probability from which its
    /// scenario is taken over the cues'.
    pub act: f32,
    /// `scenario_min_confidence`: below this, classify says `other` (the
    /// agent chooses) rather than offering a wrong standard reply.
    pub min_confidence: f32,
    /// `scenario_alarm_threshold`: the model's probability from which it
    /// moves a customer into an `alarm` scenario (complaint, abuse…) that
    /// the cues did not give.
    pub alarm: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { hit: 0.5, hit_set: false, veto: 0.0, act: 0.6, min_confidence: 0.0, alarm: 0.9 }
    }
}

/// The models with the rulebook's ids: each agent class mapped to a rule of
/// its category (`None` where the rulebook has no such category), each
/// customer class to a scenario index.
#[derive(Debug, Clone)]
pub struct SemanticLayer {
    pub agent: std::sync::Arc<Model>,
    pub customer: std::sync::Arc<Model>,
    pub rules: Vec<Option<SemanticRule>>,
    pub scenarios: Vec<Option<usize>>,
    pub thresholds: Thresholds,
}

/// The embedded models, decoded once per process.
pub fn embedded_models() -> Option<(std::sync::Arc<Model>, std::sync::Arc<Model>)> {
    static MODELS: std::sync::OnceLock<Option<(std::sync::Arc<Model>, std::sync::Arc<Model>)>> = std::sync::OnceLock::new();
    MODELS
        .get_or_init(|| {
            let agent = Model::from_bytes(EMBEDDED_AGENT).ok()?;
            let customer = Model::from_bytes(EMBEDDED_CUSTOMER).ok()?;
            Some((std::sync::Arc::new(agent), std::sync::Arc::new(customer)))
        })
        .clone()
}

impl SemanticLayer {
    /// The layer for a rulebook, or `None` when the models cannot be used
    /// with it (wrong kinds) or `semantic = 0` in its numbers turns it off.
    pub fn for_rulebook(book: &crate::rulebook::Rulebook, agent: std::sync::Arc<Model>, customer: std::sync::Arc<Model>) -> Option<SemanticLayer> {
        if agent.header.kind != ModelKind::OneVsRest || customer.header.kind != ModelKind::Softmax || book.number("semantic") == Some(0.0) {
            return None;
        }
        let rules = agent
            .classes()
            .iter()
            .map(|c| {
                let category = book.categories.iter().find(|k| &k.id == c)?;
                let first = book.rules.iter().find(|r| &r.category == c)?;
                Some(SemanticRule {
                    id: format!("{c}.semantic"),
                    category: c.clone(),
                    severity: first.severity.as_str().to_string(),
                    message: format!("{}：{}", category.name, category.doc),
                    suggestion: first.suggestion.clone(),
                    source: category.source.clone(),
                })
            })
            .collect();
        let scenarios = customer.classes().iter().map(|s| book.scenarios.iter().position(|k| &k.id == s)).collect();
        let d = Thresholds::default();
        let num = |id: &str, default: f32| book.number(id).map_or(default, |v| v as f32);
        let thresholds = Thresholds {
            hit: num("semantic_hit_threshold", d.hit),
            hit_set: book.number("semantic_hit_threshold").is_some(),
            veto: num("semantic_veto_threshold", d.veto),
            act: num("scenario_model_threshold", d.act),
            min_confidence: num("scenario_min_confidence", d.min_confidence),
            alarm: num("scenario_alarm_threshold", d.alarm),
        };
        Some(SemanticLayer { agent, customer, rules, scenarios, thresholds })
    }

    /// The threshold in force for an agent class.
    pub fn hit_threshold(&self, class: usize) -> f32 {
        match self.agent.header.thresholds.get(class) {
            Some(&t) if !self.thresholds.hit_set => t,
            _ => self.thresholds.hit,
        }
    }

    /// The agent model's judgement of a text: per class probability, and the
    /// features (for spans); no probabilities for a text out of the models'
    /// range (see [`in_range`]).
    pub fn judge_agent(&self, text: &str) -> (Vec<f32>, Features) {
        match judged_features(text) {
            Some(f) => (self.agent.probabilities(&f), f),
            None => (Vec::new(), Features::default()),
        }
    }

    /// The customer model's distribution over the rulebook's scenarios
    /// (index, probability), best first; empty for a text out of the models'
    /// range (see [`in_range`]).
    pub fn judge_customer(&self, text: &str) -> Vec<(usize, f32)> {
        let Some(f) = judged_features(text) else { return Vec::new() };
        let p = self.customer.probabilities(&f);
        let mut out: Vec<(usize, f32)> = p.iter().enumerate().filter_map(|(c, &q)| Some((self.scenarios.get(c).copied().flatten()?, q))).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }
}

// ---------------------------------------------------------------------------
// Explanations: the labelled examples nearest to a text
// ---------------------------------------------------------------------------

/// Labelled examples indexed by their feature sets, to show why the model
/// said what it said: the examples of a category most like a text.
#[derive(Debug, Default)]
pub struct ExampleIndex {
    examples: Vec<(String, Vec<String>, String)>,
    sets: Vec<Vec<u64>>,
}

fn feature_set(text: &str) -> Vec<u64> {
    let mut set: Vec<u64> = features(text).hashes.into_iter().map(|(h, _)| h).collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// |A ∩ B| / |A ∪ B| of two sorted sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

impl ExampleIndex {
    /// Indexes `(text, categories, source)` examples.
    pub fn new(examples: Vec<(String, Vec<String>, String)>) -> ExampleIndex {
        let sets = examples.iter().map(|(t, _, _)| feature_set(t)).collect();
        ExampleIndex { examples, sets }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The `k` examples labelled `category` nearest to `text` (character
    /// n-gram overlap), most similar first: (text, source, similarity).
    pub fn nearest(&self, text: &str, category: &str, k: usize) -> Vec<(&str, &str, f64)> {
        let query = feature_set(text);
        let mut scored: Vec<(usize, f64)> = self
            .examples
            .iter()
            .enumerate()
            .filter(|(_, (_, cats, _))| cats.iter().any(|c| c == category))
            .map(|(i, _)| (i, jaccard(&query, &self.sets[i])))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.into_iter().take(k).map(|(i, s)| (self.examples[i].0.as_str(), self.examples[i].2.as_str(), (s * 1000.0).round() / 1000.0)).collect()
    }
}

#[cfg(test)]
mod explain_tests {
    use super::*;

    #[test]
    fn the_nearest_example_of_the_category_comes_first() {
        let index = ExampleIndex::new(vec![
            ("这个不归我管，你找别人".into(), vec!["shirk".into()], "a".into()),
            ("您可真厉害".into(), vec!["arrogant".into()], "a".into()),
            ("我们这边管不了，您去找物业".into(), vec!["shirk".into()], "b".into()),
        ]);
        let near = index.nearest("这事不归我管", "shirk", 2);
        assert_eq!(near.len(), 2);
        assert_eq!(near[0].0, "这个不归我管，你找别人");
        assert!(near[0].2 >= near[1].2);
        assert!(index.nearest("这事不归我管", "blame", 3).is_empty());
        assert_eq!(jaccard(&[], &[]), 0.0);
    }
}
