//! The rulebook: the service standards as data (`rulebook/README.md`).
//!
//! Loading takes `(path, text)` pairs so the core stays free of I/O; the CLI
//! reads a directory, the default comes embedded in the binary.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::lines::Lines;
use crate::pattern;

/// The rulebook format this build reads.
pub const FORMAT: u32 = 1;

/// The ten fixed forbidden-phrase categories, in the order of the documents.
pub const CATEGORY_IDS: [&str; 10] = [
    "command",
    "blame",
    "grumble",
    "lecture",
    "shirk",
    "impatient",
    "rude_address",
    "interrogate",
    "arrogant",
    "blunt_correction",
];

/// The fixed customer scenario ids.
pub const SCENARIO_IDS: [&str; 21] = [
    "greeting",
    "thanks",
    "praise",
    "apology",
    "cannot_hear",
    "not_understood",
    "complaint",
    "complaint_staff",
    "hard_to_reach",
    "abusive",
    "wants_manager",
    "suggestion",
    "urgent",
    "ask_agent_name",
    "personal_call",
    "harassment",
    "repair_request",
    "leave_message",
    "goodbye",
    "inquiry",
    "other",
];

include!(concat!(env!("OUT_DIR"), "/embedded_rulebook.rs"));

/// The default rulebook's files, as embedded at build time.
pub fn embedded_files() -> Vec<(String, String)> {
    EMBEDDED_RULEBOOK.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

/// A problem in a rulebook, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(rule) = &self.rule {
            write!(f, "[{rule}] ")?;
        }
        write!(f, "{}", self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: u32,
    pub version: String,
    pub name: String,
    /// Defaults for reply templates, overridable per call.
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub work_no: String,
    #[serde(default)]
    pub reply_hours: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub doc: String,
    pub source: String,
}

/// A forbidden phrase (服务忌语).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub severity: Severity,
    pub message: String,
    pub suggestion: String,
    pub source: String,
    #[serde(default)]
    pub doc: String,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub exceptions: Vec<String>,
    pub bad: Vec<String>,
    #[serde(default)]
    pub good: Vec<String>,
}

/// A customer scenario and how to recognise it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub priority: i32,
    /// A hit of one of its strong cues decides, whatever else scored (abusive).
    #[serde(default)]
    pub dominant: bool,
    /// A scenario that sets a procedure going (a complaint record, an
    /// escalation): taking an ordinary request for it costs more than
    /// missing it, so the semantic layer needs `scenario_alarm_threshold`
    /// to move a customer into it against the cues.
    #[serde(default)]
    pub alarm: bool,
    pub reply: String,
    pub source: String,
    #[serde(default)]
    pub cues: Vec<String>,
    #[serde(default)]
    pub strong_cues: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

/// Conditions under which a phrase variant applies; all given keys must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub festival: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekend_or_holiday: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainee: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub when: When,
    pub text: String,
}

/// A standard phrase (规范用语).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phrase {
    pub id: String,
    pub situation: String,
    pub source: String,
    pub text: String,
    #[serde(default, rename = "variant")]
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// An ordered procedure with timings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub id: String,
    pub name: String,
    pub source: String,
    #[serde(default)]
    pub doc: String,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// A number of the standards (three rings, two minutes…).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Number {
    pub value: toml::Value,
    pub unit: String,
    pub source: String,
    #[serde(default)]
    pub doc: String,
}

/// The fixed ids of the inspection checks (issue 3).
pub const CHECK_IDS: [&str; 17] = [
    "opening.greeting",
    "opening.late_answer_apology",
    "opening.time_of_day",
    "language.forbidden",
    "listen.no_interrupt",
    "confirm.restate",
    "wait.ask_before_hold",
    "wait.thanks_after_hold",
    "wait.long_hold_callback",
    "complaint.handling",
    "closing.anything_else",
    "closing.farewell",
    "closing.rating_invite",
    "closing.customer_hangs_up_first",
    "voice.speech_rate",
    "privacy.agent_name",
    "silent_call.procedure",
];

/// The cues the inspection checks look for in agent turns.
pub const CUE_IDS: [&str; 20] = [
    "greeting",
    "work_number",
    "service_name",
    "late_apology",
    "time_greeting_morning",
    "time_greeting_noon",
    "time_greeting_afternoon",
    "time_greeting_evening",
    "interrupt_politely",
    "confirm",
    "wait_request",
    "thanks_for_waiting",
    "apology",
    "record",
    "promise_time",
    "anything_else",
    "thanks",
    "goodbye",
    "rating_invite",
    "redial_request",
];

/// An inspection check: its points on the scorecard and its parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: String,
    pub name: String,
    pub points: u32,
    /// 一票否决: failing it zeroes the score.
    #[serde(default)]
    pub veto: bool,
    /// Disabled checks are reported as n/a.
    #[serde(default = "yes")]
    pub enabled: bool,
    pub source: String,
    #[serde(default)]
    pub doc: String,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    /// A check written as data (`custom_check`): it fails when this logic
    /// over its conditions is true. Built-in checks have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logic: Option<String>,
    /// Which conversations it applies to.
    #[serde(default, skip_serializing_if = "CheckWhen::is_empty")]
    pub when: CheckWhen,
    #[serde(default, rename = "condition", skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionSpec>,
}

pub use crate::custom_check::{CheckWhen, ConditionSpec};

fn yes() -> bool {
    true
}

impl Check {
    /// A numeric parameter, or `default`.
    pub fn param(&self, key: &str, default: f64) -> f64 {
        match self.params.get(key) {
            Some(toml::Value::Integer(i)) => *i as f64,
            Some(toml::Value::Float(f)) => *f,
            _ => default,
        }
    }
}

/// Something the inspection looks for in what the agent says.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    pub id: String,
    pub name: String,
    pub source: String,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub non_examples: Vec<String>,
}

/// A scorecard (评分表): which checks it holds (all when `checks` is
/// empty), how it counts, and which conversations it is for. `[scorecard]`
/// is the default; `[[scorecard]]`s are chosen by `when` (channel, metadata
/// fields), the first that fits, or by id (`kefu inspect --scorecard`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub mode: crate::conversation::ScoreMode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    #[serde(default, skip_serializing_if = "CheckWhen::is_empty")]
    pub when: CheckWhen,
}

/// The old name of the scorecard type.
pub type Scorecard = ScorecardSpec;

/// `[scorecard]` (one table) or `[[scorecard]]` (several) in a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ScorecardDecl {
    Many(Vec<ScorecardSpec>),
    One(ScorecardSpec),
}

pub const ACTIONS: [&str; 8] = ["wait", "hangup", "transfer", "record", "callback", "confirm", "listen", "say"];
pub const VARIABLES: [&str; 7] =
    ["company", "work_no", "addressee", "hours", "time_greeting", "festival_greeting", "farewell_wish"];

/// One file as written: any mix of tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    rulebook: Option<Header>,
    #[serde(default)]
    category: Vec<Spanned<Category>>,
    #[serde(default)]
    rule: Vec<Spanned<Rule>>,
    #[serde(default)]
    scenario: Vec<Spanned<Scenario>>,
    #[serde(default)]
    phrase: Vec<Spanned<Phrase>>,
    #[serde(default)]
    procedure: Vec<Spanned<Procedure>>,
    #[serde(default)]
    numbers: BTreeMap<String, Spanned<Number>>,
    #[serde(default)]
    check: Vec<Spanned<Check>>,
    #[serde(default)]
    cue: Vec<Spanned<Cue>>,
    scorecard: Option<ScorecardDecl>,
}

/// Where an item was defined, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

/// A loaded, validated rulebook.
#[derive(Debug, Clone)]
pub struct Rulebook {
    pub header: Header,
    pub categories: Vec<Category>,
    pub rules: Vec<Rule>,
    pub scenarios: Vec<Scenario>,
    pub phrases: Vec<Phrase>,
    pub procedures: Vec<Procedure>,
    pub numbers: BTreeMap<String, Number>,
    pub checks: Vec<Check>,
    pub cues: Vec<Cue>,
    pub scorecard: Scorecard,
    /// The scorecards besides the default, in file order, and where each is.
    pub scorecards: Vec<ScorecardSpec>,
    pub scorecard_origins: Vec<Origin>,
    /// Parallel to `rules`, `scenarios`, `phrases`, `checks`, `cues`.
    pub check_origins: Vec<Origin>,
    pub cue_origins: Vec<Origin>,
    pub rule_origins: Vec<Origin>,
    pub scenario_origins: Vec<Origin>,
    pub phrase_origins: Vec<Origin>,
}

fn line_of(text: &str, byte: usize) -> usize {
    Lines::of(text).line(byte)
}

/// Is this file part of the rulebook proper (not the holiday calendar, not docs)?
pub fn is_rulebook_file(path: &str) -> bool {
    path.ends_with(".toml") && !path.starts_with("calendar/") && !path.contains("/calendar/")
}

impl Rulebook {
    /// A scorecard by its id (the default's too).
    pub fn scorecard_by_id(&self, id: &str) -> Option<&ScorecardSpec> {
        std::iter::once(&self.scorecard).chain(&self.scorecards).find(|c| c.id == id)
    }

    /// The default rulebook embedded in the binary.
    pub fn embedded() -> Result<Rulebook, Vec<RuleError>> {
        Rulebook::from_files(&embedded_files())
    }

    /// Parses and validates a rulebook from `(relative path, text)` pairs.
    /// Returns every problem found, not just the first.
    pub fn from_files(files: &[(String, String)]) -> Result<Rulebook, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut header: Option<(Header, Origin)> = None;
        let mut book = Rulebook {
            header: Header { format: FORMAT, version: String::new(), name: String::new(), company: String::new(), work_no: String::new(), reply_hours: None },
            categories: Vec::new(),
            rules: Vec::new(),
            scenarios: Vec::new(),
            phrases: Vec::new(),
            procedures: Vec::new(),
            numbers: BTreeMap::new(),
            checks: Vec::new(),
            cues: Vec::new(),
            scorecard: Scorecard::default(),
            scorecards: Vec::new(),
            scorecard_origins: Vec::new(),
            check_origins: Vec::new(),
            cue_origins: Vec::new(),
            rule_origins: Vec::new(),
            scenario_origins: Vec::new(),
            phrase_origins: Vec::new(),
        };
        let mut category_origins = Vec::new();
        let mut procedure_origins = Vec::new();
        for (path, text) in files.iter().filter(|(p, _)| is_rulebook_file(p)) {
            let doc: FileDoc = match toml::from_str(text) {
                Ok(doc) => doc,
                Err(e) => {
                    let line = e.span().map_or(1, |s| line_of(text, s.start));
                    errors.push(RuleError {
                        file: path.clone(),
                        line,
                        rule: None,
                        message: format!("TOML 无法解析: {}", e.message()),
                    });
                    continue;
                }
            };
            let lines = Lines::of(text);
            let origin = |span: std::ops::Range<usize>| Origin { file: path.clone(), line: lines.line(span.start) };
            if let Some(h) = doc.rulebook {
                if let Some((_, first)) = &header {
                    errors.push(RuleError {
                        file: path.clone(),
                        line: 1,
                        rule: None,
                        message: format!("[rulebook] 表重复（已在 {}:{} 定义）", first.file, first.line),
                    });
                } else {
                    header = Some((h, Origin { file: path.clone(), line: 1 }));
                }
            }
            for c in doc.category {
                category_origins.push(origin(c.span()));
                book.categories.push(c.into_inner());
            }
            for r in doc.rule {
                book.rule_origins.push(origin(r.span()));
                book.rules.push(r.into_inner());
            }
            for s in doc.scenario {
                book.scenario_origins.push(origin(s.span()));
                book.scenarios.push(s.into_inner());
            }
            for p in doc.phrase {
                book.phrase_origins.push(origin(p.span()));
                book.phrases.push(p.into_inner());
            }
            for p in doc.procedure {
                procedure_origins.push(origin(p.span()));
                book.procedures.push(p.into_inner());
            }
            for (id, n) in doc.numbers {
                book.numbers.insert(id, n.into_inner());
            }
            for c in doc.check {
                book.check_origins.push(origin(c.span()));
                book.checks.push(c.into_inner());
            }
            for c in doc.cue {
                book.cue_origins.push(origin(c.span()));
                book.cues.push(c.into_inner());
            }
            match doc.scorecard {
                Some(ScorecardDecl::One(card)) => book.scorecard = card,
                Some(ScorecardDecl::Many(cards)) => {
                    // (an untagged table keeps no span: the n-th [[scorecard]] header's line)
                    let headers: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with("[[scorecard]]")).map(|(i, _)| i + 1).collect();
                    for (n, card) in cards.into_iter().enumerate() {
                        book.scorecard_origins.push(Origin { file: path.clone(), line: headers.get(n).copied().unwrap_or(1) });
                        book.scorecards.push(card);
                    }
                }
                None => {}
            }
        }
        match header {
            Some((h, o)) => {
                if h.format != FORMAT {
                    errors.push(RuleError {
                        file: o.file,
                        line: o.line,
                        rule: None,
                        message: format!("不支持的规则库格式 {}（本程序读取格式 {FORMAT}）", h.format),
                    });
                }
                book.header = h;
            }
            None => errors.push(RuleError {
                file: "rulebook.toml".into(),
                line: 1,
                rule: None,
                message: "缺少 [rulebook] 表（format、version、name）".into(),
            }),
        }
        book.validate(&category_origins, &procedure_origins, &mut errors);
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(errors)
        }
    }

    fn validate(&self, category_origins: &[Origin], procedure_origins: &[Origin], errors: &mut Vec<RuleError>) {
        let err = |o: &Origin, id: &str, message: String| RuleError {
            file: o.file.clone(),
            line: o.line,
            rule: Some(id.to_string()),
            message,
        };
        // Categories: exactly the fixed ten.
        let mut seen = HashSet::new();
        for (c, o) in self.categories.iter().zip(category_origins) {
            if !CATEGORY_IDS.contains(&c.id.as_str()) {
                errors.push(err(o, &c.id, format!("未知的类别 id（固定为 {}）", CATEGORY_IDS.join(", "))));
            }
            if !seen.insert(c.id.as_str()) {
                errors.push(err(o, &c.id, "类别 id 重复".into()));
            }
        }
        for id in CATEGORY_IDS {
            if !seen.contains(id) {
                errors.push(RuleError {
                    file: "rulebook.toml".into(),
                    line: 1,
                    rule: Some(id.into()),
                    message: "缺少固定类别的 [[category]] 定义".into(),
                });
            }
        }
        // Rules.
        let mut rule_ids = HashSet::new();
        for (r, o) in self.rules.iter().zip(&self.rule_origins) {
            if !rule_ids.insert(r.id.as_str()) {
                errors.push(err(o, &r.id, "规则 id 重复".into()));
            }
            if !r.id.starts_with(&format!("{}.", r.category)) {
                errors.push(err(o, &r.id, format!("规则 id 应以类别开头: {}.…", r.category)));
            }
            if !CATEGORY_IDS.contains(&r.category.as_str()) {
                errors.push(err(o, &r.id, format!("未知的类别 '{}'", r.category)));
            }
            for (field, value) in [("message", &r.message), ("suggestion", &r.suggestion), ("source", &r.source)] {
                if value.trim().is_empty() {
                    errors.push(err(o, &r.id, format!("{field} 不能为空")));
                }
            }
            if r.patterns.is_empty() {
                errors.push(err(o, &r.id, "至少需要一个 pattern".into()));
            }
            if r.bad.is_empty() {
                errors.push(err(o, &r.id, "至少需要一个 bad 示例".into()));
            }
            for p in r.patterns.iter().chain(&r.exceptions) {
                if let Err(e) = pattern::compile(p) {
                    errors.push(err(o, &r.id, format!("模式错误: {e}")));
                }
            }
        }
        // Phrases.
        let mut phrase_ids = HashSet::new();
        for (p, o) in self.phrases.iter().zip(&self.phrase_origins) {
            if !phrase_ids.insert(p.id.as_str()) {
                errors.push(err(o, &p.id, "标准用语 id 重复".into()));
            }
            for text in std::iter::once(&p.text).chain(p.variants.iter().map(|v| &v.text)) {
                if let Err(e) = check_template(text) {
                    errors.push(err(o, &p.id, e));
                }
            }
            for v in &p.variants {
                if let Some(line) = &v.when.line {
                    if line != "standard" && line != "vip" {
                        errors.push(err(o, &p.id, format!("when.line 只能是 standard 或 vip，而不是 '{line}'")));
                    }
                }
                if let Some(ch) = &v.when.channel {
                    if ch != "phone" && ch != "chat" {
                        errors.push(err(o, &p.id, format!("when.channel 只能是 phone 或 chat，而不是 '{ch}'")));
                    }
                }
            }
        }
        // Scenarios: exactly the fixed ids, replies that exist.
        let mut scenario_ids = HashSet::new();
        for (s, o) in self.scenarios.iter().zip(&self.scenario_origins) {
            if !SCENARIO_IDS.contains(&s.id.as_str()) {
                errors.push(err(o, &s.id, format!("未知的场景 id（固定为 {}）", SCENARIO_IDS.join(", "))));
            }
            if !scenario_ids.insert(s.id.as_str()) {
                errors.push(err(o, &s.id, "场景 id 重复".into()));
            }
            if !phrase_ids.contains(s.reply.as_str()) {
                errors.push(err(o, &s.id, format!("reply 引用了不存在的标准用语 '{}'", s.reply)));
            }
            for p in s.cues.iter().chain(&s.strong_cues).chain(&s.negative) {
                if let Err(e) = pattern::compile(p) {
                    errors.push(err(o, &s.id, format!("模式错误: {e}")));
                }
            }
        }
        for id in SCENARIO_IDS {
            if !scenario_ids.contains(id) {
                errors.push(RuleError {
                    file: "scenarios.toml".into(),
                    line: 1,
                    rule: Some(id.into()),
                    message: "缺少固定场景的 [[scenario]] 定义".into(),
                });
            }
        }
        for must in ["opening", "closing"] {
            if !phrase_ids.contains(must) {
                errors.push(RuleError {
                    file: "phrases".into(),
                    line: 1,
                    rule: Some(must.into()),
                    message: format!("缺少标准用语 '{must}'（kefu reply --scenario {must} 需要它）"),
                });
            }
        }
        // Inspection: the fixed checks and cues, each once, patterns that
        // compile; checks written as data (with a logic) compile too.
        let mut check_ids = HashSet::new();
        for (c, o) in self.checks.iter().zip(&self.check_origins) {
            if c.logic.is_some() || !c.conditions.is_empty() {
                if CHECK_IDS.contains(&c.id.as_str()) {
                    errors.push(err(o, &c.id, "自定义检查项不能用内置检查项的 id".into()));
                } else if let Err(problems) = crate::custom_check::CustomCheck::compile(c.logic.as_deref(), &c.when, &c.conditions, &SCENARIO_IDS) {
                    errors.extend(problems.into_iter().map(|p| err(o, &c.id, p)));
                }
            } else if !CHECK_IDS.contains(&c.id.as_str()) {
                errors.push(err(o, &c.id, format!("未知的检查项 id（内置的为 {}；自定义检查项须有 logic 和 [[check.condition]]）", CHECK_IDS.join(", "))));
            }
            if !check_ids.insert(c.id.as_str()) {
                errors.push(err(o, &c.id, "检查项 id 重复".into()));
            }
        }
        for id in CHECK_IDS {
            if !check_ids.contains(id) {
                errors.push(RuleError {
                    file: "inspection/checks.toml".into(),
                    line: 1,
                    rule: Some(id.into()),
                    message: "缺少固定检查项的 [[check]] 定义".into(),
                });
            }
        }
        // Scorecards: ids once, checks that exist, a channel that exists.
        let mut card_ids: HashSet<&str> = HashSet::from([self.scorecard.id.as_str()]);
        for (c, o) in self.scorecards.iter().zip(&self.scorecard_origins) {
            if !card_ids.insert(c.id.as_str()) {
                errors.push(err(o, &c.id, "评分表 id 重复".into()));
            }
            for id in &c.checks {
                if !check_ids.contains(id.as_str()) {
                    errors.push(err(o, &c.id, format!("评分表列出了不存在的检查项 {id}")));
                }
            }
            if let Err(e) = c.when.compile() {
                errors.push(err(o, &c.id, e));
            }
        }
        let mut cue_ids = HashSet::new();
        for (c, o) in self.cues.iter().zip(&self.cue_origins) {
            if !CUE_IDS.contains(&c.id.as_str()) {
                errors.push(err(o, &c.id, format!("未知的 cue id（固定为 {}）", CUE_IDS.join(", "))));
            }
            if !cue_ids.insert(c.id.as_str()) {
                errors.push(err(o, &c.id, "cue id 重复".into()));
            }
            for p in &c.patterns {
                if let Err(e) = pattern::compile(p) {
                    errors.push(err(o, &c.id, format!("模式错误: {e}")));
                }
            }
        }
        for id in CUE_IDS {
            if !cue_ids.contains(id) {
                errors.push(RuleError {
                    file: "inspection/cues.toml".into(),
                    line: 1,
                    rule: Some(id.into()),
                    message: "缺少 [[cue]] 定义".into(),
                });
            }
        }
        // Procedures.
        for (p, o) in self.procedures.iter().zip(procedure_origins) {
            if p.steps.is_empty() {
                errors.push(err(o, &p.id, "流程至少需要一步".into()));
            }
            for (i, step) in p.steps.iter().enumerate() {
                if let Some(say) = &step.say {
                    if !phrase_ids.contains(say.as_str()) {
                        errors.push(err(o, &p.id, format!("第 {} 步引用了不存在的标准用语 '{say}'", i + 1)));
                    }
                }
                if let Some(action) = &step.action {
                    if !ACTIONS.contains(&action.as_str()) {
                        errors.push(err(o, &p.id, format!("第 {} 步的 action '{action}' 未知", i + 1)));
                    }
                }
                if step.say.is_none() && step.action.is_none() {
                    errors.push(err(o, &p.id, format!("第 {} 步既没有 say 也没有 action", i + 1)));
                }
                if let Some([lo, hi]) = step.wait_seconds {
                    if !(lo >= 0.0 && lo <= hi) {
                        errors.push(err(o, &p.id, format!("第 {} 步的 wait_seconds 应为 [最小, 最大]", i + 1)));
                    }
                }
            }
        }
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn phrase(&self, id: &str) -> Option<&Phrase> {
        self.phrases.iter().find(|p| p.id == id)
    }

    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// A number of the standards as f64, if present and numeric.
    pub fn number(&self, id: &str) -> Option<f64> {
        match &self.numbers.get(id)?.value {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Checks that a template's `{variables}` are known and braces balance.
pub fn check_template(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| format!("模板中的 '{{' 没有闭合: {text}"))?;
        let name = &after[..close];
        if !VARIABLES.contains(&name) {
            return Err(format!("模板变量 {{{name}}} 未知（可用: {}）", VARIABLES.join(", ")));
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("模板中有多余的 '}}': {text}"));
    }
    Ok(())
}
