//! kefu-core: the service standards as an executable rulebook.
//!
//! Pure library: no I/O, no async. The CLI, the server and batch inspection
//! all go through [`Engine`].

pub mod bayes;
pub mod calendar;
pub mod conversation;
pub mod custom_check;
pub mod desk;
pub mod eval;
pub mod inspect;
pub mod json_errors;
pub mod limits;
pub mod table_import;
mod lines;
pub mod lint;
pub mod matcher;
pub mod normalize;
pub mod pattern;
pub mod reply;
pub mod rulebook;
pub mod rulebook_edit;
pub mod scenario;
pub mod semantic;

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
    /// The semantic layer (the embedded models tied to this rulebook's
    /// categories and scenarios); `None` when switched off (`semantic = 0`).
    semantic: Option<semantic::SemanticLayer>,
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
        let semantic = semantic::embedded_models().and_then(|(agent, customer)| semantic::SemanticLayer::for_rulebook(&rulebook, agent, customer));
        Ok(Engine { rulebook, calendar, linter, classifier, inspector, semantic })
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
        self.lint_capped(text, usize::MAX, scratch).0
    }

    /// As [`Engine::lint_with`], building at most `max` violations (the first
    /// by position); the second value is how many there are in all, so that
    /// a caller can say what it left out.
    pub fn lint_capped(&self, text: &str, max: usize, scratch: &mut Scratch) -> (Vec<Violation<'_>>, usize) {
        let Some(layer) = self.semantic.as_ref().filter(|_| text.chars().nth(semantic::MAX_RAW_CHARS).is_none()) else {
            return self.linter.check_capped(&self.rulebook, text, max, scratch);
        };
        // A text the model may judge is short: all rule hits are built, the
        // layer vetoes and adds, and the first `max` by position are kept —
        // the same as the first `max` of the uncapped answer.
        let (mut found, _) = self.linter.check_capped(&self.rulebook, text, usize::MAX, scratch);
        semantic_pass(layer, &self.linter, &self.rulebook, text, &mut found, scratch);
        let total = found.len();
        found.truncate(max);
        (found, total)
    }

    /// The rules' violations alone, capped as [`Engine::lint_capped`]. The
    /// inspection's veto check uses these: a scorecard is zeroed only on a
    /// listed phrase, never on a model's judgement (its false alarms on real
    /// polite text are still ~1 %, see the README).
    pub fn lint_rules_capped(&self, text: &str, max: usize, scratch: &mut Scratch) -> (Vec<Violation<'_>>, usize) {
        self.linter.check_capped(&self.rulebook, text, max, scratch)
    }

    /// Whether an utterance has any violation, without building messages.
    pub fn has_violation(&self, text: &str, scratch: &mut Scratch) -> bool {
        match &self.semantic {
            None => self.linter.has_violation(text, scratch),
            Some(_) => self.lint_capped(text, 1, scratch).1 > 0,
        }
    }

    /// The semantic layer, when on.
    pub fn semantic(&self) -> Option<&semantic::SemanticLayer> {
        self.semantic.as_ref()
    }

    /// The engine with other models (e.g. a retrained pair read from files),
    /// tied to its rulebook like the embedded ones; `None` when they do not fit.
    pub fn with_models(mut self, agent: semantic::Model, customer: semantic::Model) -> Option<Engine> {
        self.semantic = Some(semantic::SemanticLayer::for_rulebook(&self.rulebook, std::sync::Arc::new(agent), std::sync::Arc::new(customer))?);
        Some(self)
    }

    /// Changes the semantic layer's thresholds (for measuring them).
    pub fn set_semantic_thresholds(&mut self, thresholds: semantic::Thresholds) {
        if let Some(layer) = &mut self.semantic {
            layer.thresholds = thresholds;
        }
    }

    /// The engine without its semantic layer: the rules alone (to measure
    /// what the layer adds, and for rulebooks that turn it off).
    pub fn without_semantic(mut self) -> Engine {
        self.semantic = None;
        self
    }

    /// The scenario of one customer utterance.
    pub fn classify(&self, text: &str) -> Classification<'_> {
        self.classify_with(text, &mut Scratch::default())
    }

    /// What the customer is doing decides, before what it is about: the
    /// cues find the content words, the semantic layer's act model (trained
    /// on whole utterances) overrules them when it is sure of another
    /// scenario (a thank-you that mentions a repair is a thank-you). The
    /// confidence is the model's calibrated probability of the answer;
    /// below `scenario_min_confidence` the answer is `other`, for the agent
    /// to choose.
    pub fn classify_with(&self, text: &str, scratch: &mut Scratch) -> Classification<'_> {
        let cue = self.classify_by_cues(text, scratch);
        let Some(layer) = &self.semantic else { return cue };
        let dist = layer.judge_customer(text);
        let Some(&(top, q)) = dist.first() else { return cue };
        let prob_of = |id: &str| dist.iter().find(|(i, _)| self.rulebook.scenarios[*i].id == id).map_or(0.0, |(_, p)| *p);
        // The model overrules the cues only where it is sure of another act
        // and finds the cues' scenario implausible: a strong cue (swearing)
        // keeps its scenario, and where the model finds the cues' scenario
        // plausible too, the rulebook's priorities decide.
        let p_cue = prob_of(cue.scenario);
        // Into an alarm scenario (a complaint, abuse…) the cues did not give,
        // the model must be surer: wrongly taking a request for a complaint
        // costs more than missing one (its complaints on real shop text are
        // its weakest judgement, see the README).
        let is_alarm = |id: &str| self.rulebook.scenarios.iter().any(|s| s.id == id && s.alarm);
        let needed = if is_alarm(&self.rulebook.scenarios[top].id) && !is_alarm(cue.scenario) { layer.thresholds.act.max(layer.thresholds.alarm) } else { layer.thresholds.act };
        let (scenario, confidence, evidence) = if self.rulebook.scenarios[top].id != cue.scenario && q >= needed && p_cue < IMPLAUSIBLE && (cue.confidence < 0.95 || f64::from(q) > cue.confidence) {
            (self.rulebook.scenarios[top].id.as_str(), q, Vec::new())
        } else {
            (cue.scenario, p_cue.max(q.min(cue.confidence as f32)), cue.evidence)
        };
        if confidence < layer.thresholds.min_confidence {
            if let Some(other) = self.rulebook.scenarios.iter().find(|s| s.id == "other") {
                return Classification { scenario: &other.id, confidence: f64::from(confidence), evidence: Vec::new() };
            }
        }
        Classification { scenario, confidence: (f64::from(confidence) * 100.0).round() / 100.0, evidence }
    }

    /// The scenario by the rulebook's cues alone. Inspection scores use it:
    /// which checks apply to a call is decided by explainable cues, like its
    /// veto by listed phrases (see [`Engine::lint_rules_capped`]).
    pub fn classify_by_cues(&self, text: &str, scratch: &mut Scratch) -> Classification<'_> {
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

/// Below this model probability the cues' scenario counts as implausible.
const IMPLAUSIBLE: f32 = 0.2;

/// The semantic layer's part in linting: a rule hit whose category the model
/// is sure the utterance does not carry is dropped (the veto, when its
/// threshold is set: an agent correcting itself, a dish named 木耳), and each
/// category the model finds that no rule hit reports is added as a
/// `<category>.semantic` violation spanning the clause that carried the
/// evidence.
fn semantic_pass<'e>(layer: &'e semantic::SemanticLayer, linter: &Linter, book: &Rulebook, text: &str, found: &mut Vec<Violation<'e>>, scratch: &mut Scratch) {
    let (p, features) = layer.judge_agent(text);
    if p.is_empty() {
        return;
    }
    if layer.thresholds.veto > 0.0 && !found.is_empty() {
        let class_of = |category: &str| layer.rules.iter().position(|r| r.as_ref().is_some_and(|r| r.category == category));
        found.retain(|v| class_of(v.category).and_then(|c| p.get(c)).is_none_or(|&pc| pc >= layer.thresholds.veto));
    }
    let mut added = false;
    let mut innocent: Option<Vec<lint::RuleHit>> = None;
    for (class, &pc) in p.iter().enumerate() {
        let Some(rule) = layer.rules.get(class).and_then(Option::as_ref) else { continue };
        if pc < layer.hit_threshold(class) || found.iter().any(|v| v.category == rule.category) {
            continue;
        }
        let Some(span) = layer.agent.evidence(&features, class) else { continue };
        // The rulebook's exceptions bind the model: where the rulebook says
        // these words are an innocent use of the category's vocabulary
        // (您不知道型号也没关系 is no 我不知道), the model does not say otherwise.
        let exceptions = innocent.get_or_insert_with(|| linter.exception_hits(text, scratch));
        if exceptions.iter().any(|h| h.start < span.end && span.start < h.end && book.rules.get(h.rule).is_some_and(|r| r.category == rule.category)) {
            continue;
        }
        let matched: String = text.chars().skip(span.start).take(span.end - span.start).collect();
        found.push(Violation {
            rule: &rule.id,
            category: &rule.category,
            severity: &rule.severity,
            start: span.start,
            end: span.end,
            matched,
            message: &rule.message,
            suggestion: &rule.suggestion,
            source: &rule.source,
            confidence: Some((f64::from(pc) * 1000.0).round() / 1000.0),
        });
        added = true;
    }
    if added {
        found.sort_by_key(|v| (v.start, v.end));
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
                if !self.lint_rules_capped(bad, usize::MAX, &mut scratch).0.iter().any(|v| v.rule == rule.id) {
                    failures.push(fail(format!("bad 示例没有被本规则命中: {bad}")));
                }
            }
            for good in &rule.good {
                let found = self.lint_rules_capped(good, usize::MAX, &mut scratch).0;
                if let Some(v) = found.first() {
                    failures.push(fail(format!("good 示例被 {} 命中（“{}”）: {good}", v.rule, v.matched)));
                }
            }
        }
        for (s, origin) in book.scenarios.iter().zip(&book.scenario_origins) {
            for example in &s.examples {
                // The cues are what a rulebook author edits: their examples test them.
                let got = self.classify_by_cues(example, &mut scratch);
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
