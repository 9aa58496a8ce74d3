//! kefu-core: the service standards as an executable rulebook.
//!
//! Pure library: no I/O, no async. The CLI, the server and batch inspection
//! all go through [`Engine`].

pub mod bayes;
pub mod calendar;
pub mod desk;
pub mod eval;
pub mod inspect;
pub mod limits;
mod lines;
pub mod lint;
pub mod matcher;
pub mod normalize;
pub mod pattern;
pub mod reply;
pub mod rulebook;
pub mod scenario;

use calendar::HolidayCalendar;
use inspect::Inspector;
use lint::{Linter, Violation};
use matcher::Scratch;
use reply::{ReplyContext, ReplyError, Rendered};
use rulebook::{RuleError, Rulebook};
use scenario::{Classification, Classifier};

/// A rulebook compiled for use: linter, classifier, replies and calendar.
#[derive(Debug)]
pub struct Engine {
    pub rulebook: Rulebook,
    pub calendar: HolidayCalendar,
    linter: Linter,
    classifier: Classifier,
    inspector: Inspector,
}

impl Engine {
    /// Compiles a validated rulebook with a holiday calendar.
    pub fn new(rulebook: Rulebook, calendar: HolidayCalendar) -> Result<Engine, Vec<RuleError>> {
        let compile_error = |message: String| {
            vec![RuleError { file: "rulebook".into(), line: 1, rule: None, message }]
        };
        let linter = Linter::new(&rulebook).map_err(compile_error)?;
        let classifier = Classifier::new(&rulebook).map_err(compile_error)?;
        let inspector = Inspector::new(&rulebook).map_err(compile_error)?;
        Ok(Engine { rulebook, calendar, linter, classifier, inspector })
    }

    /// The default rulebook and calendar embedded in the binary.
    pub fn embedded() -> Result<Engine, Vec<RuleError>> {
        Engine::new(Rulebook::embedded()?, HolidayCalendar::embedded_default())
    }

    /// Violations in one agent utterance.
    pub fn lint(&self, text: &str) -> Vec<Violation<'_>> {
        self.lint_with(text, &mut Scratch::default())
    }

    /// As [`Engine::lint`], reusing buffers (one `Scratch` per thread).
    pub fn lint_with(&self, text: &str, scratch: &mut Scratch) -> Vec<Violation<'_>> {
        self.linter.check(&self.rulebook, text, scratch)
    }

    /// As [`Engine::lint_with`], building at most `max` violations (the first
    /// by position); the second value is how many there are in all, so that
    /// a caller can say what it left out.
    pub fn lint_capped(&self, text: &str, max: usize, scratch: &mut Scratch) -> (Vec<Violation<'_>>, usize) {
        self.linter.check_capped(&self.rulebook, text, max, scratch)
    }

    /// Whether an utterance has any violation, without building messages.
    pub fn has_violation(&self, text: &str, scratch: &mut Scratch) -> bool {
        self.linter.has_violation(text, scratch)
    }

    /// The scenario of one customer utterance.
    pub fn classify(&self, text: &str) -> Classification<'_> {
        self.classify_with(text, &mut Scratch::default())
    }

    pub fn classify_with(&self, text: &str, scratch: &mut Scratch) -> Classification<'_> {
        self.classifier.classify(&self.rulebook, text, scratch)
    }

    /// Which scenarios' cues matched, with scores (for rulebook authors).
    pub fn explain_classification(&self, text: &str) -> Vec<(&str, f64, Vec<(usize, usize)>)> {
        self.classifier.explain(&self.rulebook, text, &mut Scratch::default())
    }

    /// Renders a standard reply (`opening`, `closing`, a scenario id or a phrase id).
    pub fn reply(&self, id: &str, ctx: &ReplyContext) -> Result<Rendered, ReplyError> {
        reply::render(&self.rulebook, &self.calendar, id, ctx)
    }

    pub fn linter(&self) -> &Linter {
        &self.linter
    }
}

/// The message a panic was raised with, if it was a string. The shells use it
/// to turn a record whose inspection panicked into that record's error.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload.downcast_ref::<&str>().map(|s| (*s).to_string()).or_else(|| payload.downcast_ref::<String>().cloned())
}

/// An example of the rulebook that does not behave as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub file: String,
    pub line: usize,
    pub id: String,
    pub message: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: [{}] {}", self.file, self.line, self.id, self.message)
    }
}

impl Engine {
    /// Runs every example of the rulebook: each `bad` example must be hit by
    /// its own rule, each `good` example must be clean under the whole
    /// rulebook, each scenario example must classify as its scenario.
    pub fn run_examples(&self) -> Vec<ExampleFailure> {
        let book = &self.rulebook;
        let mut failures = Vec::new();
        let mut scratch = Scratch::default();
        for (rule, origin) in book.rules.iter().zip(&book.rule_origins) {
            let fail = |message: String| ExampleFailure {
                file: origin.file.clone(),
                line: origin.line,
                id: rule.id.clone(),
                message,
            };
            for bad in &rule.bad {
                if !self.lint_with(bad, &mut scratch).iter().any(|v| v.rule == rule.id) {
                    failures.push(fail(format!("bad 示例没有被本规则命中: {bad}")));
                }
            }
            for good in &rule.good {
                let found = self.lint_with(good, &mut scratch);
                if let Some(v) = found.first() {
                    failures.push(fail(format!("good 示例被 {} 命中（“{}”）: {good}", v.rule, v.matched)));
                }
            }
        }
        for (s, origin) in book.scenarios.iter().zip(&book.scenario_origins) {
            for example in &s.examples {
                let got = self.classify_with(example, &mut scratch);
                if got.scenario != s.id {
                    failures.push(ExampleFailure {
                        file: origin.file.clone(),
                        line: origin.line,
                        id: s.id.clone(),
                        message: format!("示例被识别为 {}: {example}", got.scenario),
                    });
                }
            }
        }
        for (cue, origin) in book.cues.iter().zip(&book.cue_origins) {
            let fail = |message: String| ExampleFailure { file: origin.file.clone(), line: origin.line, id: cue.id.clone(), message };
            for example in &cue.examples {
                if !self.inspector.finds(&cue.id, example) {
                    failures.push(fail(format!("examples 中的句子没有被命中: {example}")));
                }
            }
            for example in &cue.non_examples {
                if self.inspector.finds(&cue.id, example) {
                    failures.push(fail(format!("non_examples 中的句子被命中: {example}")));
                }
            }
        }
        for (p, origin) in book.phrases.iter().zip(&book.phrase_origins) {
            for text in std::iter::once(&p.text).chain(p.variants.iter().map(|v| &v.text)) {
                if let Some(v) = self.lint_with(text, &mut scratch).first() {
                    failures.push(ExampleFailure {
                        file: origin.file.clone(),
                        line: origin.line,
                        id: p.id.clone(),
                        message: format!("标准用语本身被 {} 命中（“{}”）: {text}", v.rule, v.matched),
                    });
                }
            }
        }
        failures
    }
}
