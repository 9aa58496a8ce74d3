//! Quality on labelled examples, with real thresholds. The shared dev sets
//! live in ../shared/eval (beside the repository, as in CI); the extra sets in
//! eval/ of this repository. eval/holdout/ is measured by `kefu eval` for the
//! README, never tuned against, and not asserted here.

use std::path::{Path, PathBuf};

use kefu_core::eval::{evaluate_lint, evaluate_scenarios, flag_rate, LintExample, ScenarioExample};
use kefu_core::Engine;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    std::env::var_os("KEFU_SHARED").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e} (the evaluation data must be present)", path.display()))
}

fn jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    read(path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1)))
        .collect()
}

fn engine() -> Engine {
    Engine::embedded().expect("default rulebook")
}

fn show<T: std::fmt::Debug>(misses: &[T]) -> String {
    misses.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn lint_on_shared_dev_set() {
    let r = evaluate_lint(&engine(), &jsonl::<LintExample>(&shared().join("eval/lint_dev.jsonl")));
    eprintln!("lint_dev: precision {:.4} recall {:.4} category recall {:.4}", r.precision, r.recall, r.category_recall);
    assert!(r.examples >= 60);
    assert!(r.recall >= 0.95 && r.precision >= 0.98, "{}", show(&r.misses));
    assert!(r.category_recall >= 0.85, "category recall {}", r.category_recall);
}

#[test]
fn lint_on_extra_set() {
    let r = evaluate_lint(&engine(), &jsonl::<LintExample>(&repo().join("eval/lint_extra.jsonl")));
    eprintln!("lint_extra: precision {:.4} recall {:.4} category recall {:.4}", r.precision, r.recall, r.category_recall);
    assert!(r.examples >= 300);
    assert!(r.recall >= 0.95 && r.precision >= 0.98, "{}", show(&r.misses));
}

#[test]
fn polite_turns_are_almost_never_flagged() {
    let text = read(&repo().join("eval/polite_turns.txt"));
    let lines = || text.lines().filter(|l| !l.trim().is_empty());
    // The rules alone (what the inspection's veto check uses): at most 0.1 %.
    let r = flag_rate(&engine().without_semantic(), lines());
    eprintln!("polite, rules: {} of {} flagged", r.flagged, r.utterances);
    assert!(r.utterances >= 1000);
    assert!(r.rate <= 0.001, "{:.3}% flagged:\n{}", r.rate * 100.0, show(&r.flagged_examples));
    // With the semantic layer (live assist and lint): at most 0.5 % — the
    // measured price of its recall, reported in the README; the goal is lower.
    let r = flag_rate(&engine(), lines());
    eprintln!("polite, rules + semantic: {} of {} flagged", r.flagged, r.utterances);
    assert!(r.rate <= 0.005, "{:.3}% flagged:\n{}", r.rate * 100.0, show(&r.flagged_examples));
}

/// Scenario accuracy on a labelled set: at least `min_examples` read, accuracy ≥ 0.90.
fn assert_scenarios(name: &str, path: &Path, min_examples: usize) {
    let r = evaluate_scenarios(&engine(), &jsonl::<ScenarioExample>(path));
    eprintln!("{name}: accuracy {:.4}", r.accuracy);
    assert!(r.examples >= min_examples);
    assert!(r.accuracy >= 0.90, "{}", show(&r.misses));
}

#[test]
fn scenarios_on_shared_dev_set() {
    assert_scenarios("scenario_dev", &shared().join("eval/scenario_dev.jsonl"), 40);
}

#[test]
fn scenarios_on_extra_set() {
    assert_scenarios("scenario_extra", &repo().join("eval/scenario_extra.jsonl"), 200);
}

#[test]
fn scenarios_on_extra2_set() {
    assert_scenarios("scenario_extra2", &repo().join("eval/scenario_extra2.jsonl"), 400);
}

#[test]
fn scenarios_on_extra3_set() {
    assert_scenarios("scenario_extra3", &repo().join("eval/scenario_extra3.jsonl"), 400);
}

#[test]
fn scenarios_on_extra4_set() {
    assert_scenarios("scenario_extra4", &repo().join("eval/scenario_extra4.jsonl"), 200);
}
