//! Quality measured on labelled examples: precision/recall of lint,
//! accuracy of scenario recognition. The records use the formats of
//! `../shared/eval/` (parsing them is the caller's job).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::matcher::Scratch;
use crate::Engine;

/// One labelled agent utterance (`lint_dev.jsonl`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LintExample {
    pub text: String,
    pub violation: bool,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// One labelled customer utterance (`scenario_dev.jsonl`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScenarioExample {
    pub text: String,
    pub scenario: String,
}

/// A wrong answer, kept for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub text: String,
    pub expected: String,
    pub got: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LintReport {
    pub examples: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub accuracy: f64,
    /// Of the expected categories of true positives, the share that was reported.
    pub category_recall: f64,
    /// Per labelled category: (examples, flagged at all) and the recall.
    pub by_category: BTreeMap<String, CategoryRecall>,
    pub misses: Vec<Miss>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CategoryRecall {
    pub examples: usize,
    pub flagged: usize,
    pub recall: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ScenarioReport {
    pub examples: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// expected → (got → count), errors only.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Per expected scenario: examples, correct, accuracy (recall).
    pub by_scenario: BTreeMap<String, CategoryRecall>,
    /// Expected calibration error of `confidence` over 10 bins.
    pub calibration_error: f64,
    /// Per bin (0–0.1, …, 0.9–1.0): examples, mean confidence, accuracy.
    pub reliability: Vec<(usize, f64, f64)>,
    pub misses: Vec<Miss>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagRateReport {
    pub utterances: usize,
    pub flagged: usize,
    pub rate: f64,
    pub flagged_examples: Vec<Miss>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

pub fn evaluate_lint(engine: &Engine, examples: &[LintExample]) -> LintReport {
    let mut r = LintReport { examples: examples.len(), ..Default::default() };
    let mut scratch = Scratch::default();
    let (mut cat_expected, mut cat_found) = (0usize, 0usize);
    for ex in examples {
        let found = engine.lint_with(&ex.text, &mut scratch);
        let flagged = !found.is_empty();
        if ex.violation {
            for c in &ex.categories {
                let row = r.by_category.entry(c.clone()).or_default();
                row.examples += 1;
                row.flagged += usize::from(flagged);
            }
        }
        let got = || found.iter().map(|v| format!("{}({})", v.rule, v.matched)).collect::<Vec<_>>().join(", ");
        match (ex.violation, flagged) {
            (true, true) => {
                r.true_positives += 1;
                for c in &ex.categories {
                    cat_expected += 1;
                    if found.iter().any(|v| v.category == c) {
                        cat_found += 1;
                    }
                }
            }
            (false, true) => {
                r.false_positives += 1;
                r.misses.push(Miss { text: ex.text.clone(), expected: "clean".into(), got: got() });
            }
            (true, false) => {
                r.false_negatives += 1;
                r.misses.push(Miss { text: ex.text.clone(), expected: ex.categories.join(","), got: "clean".into() });
            }
            (false, false) => r.true_negatives += 1,
        }
    }
    r.precision = ratio(r.true_positives, r.true_positives + r.false_positives);
    r.recall = ratio(r.true_positives, r.true_positives + r.false_negatives);
    r.accuracy = ratio(r.true_positives + r.true_negatives, r.examples);
    r.category_recall = ratio(cat_found, cat_expected);
    for row in r.by_category.values_mut() {
        row.recall = ratio(row.flagged, row.examples);
    }
    r
}

pub fn evaluate_scenarios(engine: &Engine, examples: &[ScenarioExample]) -> ScenarioReport {
    let mut r = ScenarioReport { examples: examples.len(), ..Default::default() };
    let mut scratch = Scratch::default();
    let (mut confidence, mut right) = (Vec::new(), Vec::new());
    for ex in examples {
        let got = engine.classify_with(&ex.text, &mut scratch);
        let row = r.by_scenario.entry(ex.scenario.clone()).or_default();
        row.examples += 1;
        confidence.push(got.confidence as f32);
        right.push(got.scenario == ex.scenario);
        if got.scenario == ex.scenario {
            row.flagged += 1;
            r.correct += 1;
        } else {
            *r.confusion.entry(ex.scenario.clone()).or_default().entry(got.scenario.to_string()).or_default() += 1;
            r.misses.push(Miss { text: ex.text.clone(), expected: ex.scenario.clone(), got: got.scenario.to_string() });
        }
    }
    r.accuracy = ratio(r.correct, r.examples);
    for row in r.by_scenario.values_mut() {
        row.recall = ratio(row.flagged, row.examples);
    }
    (r.calibration_error, r.reliability) = crate::semantic::calibration(&confidence, &right, 10);
    r
}

/// How many ordinary (polite) utterances get flagged at all.
pub fn flag_rate<'a>(engine: &Engine, utterances: impl IntoIterator<Item = &'a str>) -> FlagRateReport {
    let mut r = FlagRateReport::default();
    let mut scratch = Scratch::default();
    for text in utterances {
        r.utterances += 1;
        let found = engine.lint_with(text, &mut scratch);
        if !found.is_empty() {
            r.flagged += 1;
            let got = found.iter().map(|v| format!("{}({})", v.rule, v.matched)).collect::<Vec<_>>().join(", ");
            r.flagged_examples.push(Miss { text: text.to_string(), expected: "clean".into(), got });
        }
    }
    r.rate = if r.utterances == 0 { 0.0 } else { r.flagged as f64 / r.utterances as f64 };
    r
}
