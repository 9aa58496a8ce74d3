//! Conversation inspection (质检): every call and chat scored against the
//! procedural rules of the standards, with evidence for each failed check.
//!
//! What the agent must say is found with the same matcher as the forbidden
//! phrases, through the rulebook's cues (`rulebook/inspection/cues.toml`);
//! which checks exist, their points and veto marks come from
//! `rulebook/inspection/checks.toml`.

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike};
use serde::{Deserialize, Serialize};

use crate::calendar::SHANGHAI;
use crate::limits::{text_too_long, Limits, MAX_CALL_SECONDS, MAX_RINGS, STARTED_AT_YEARS};
use crate::matcher::{Matcher, Scratch};
use crate::normalize::{normalize_char, Norm};
use crate::pattern;
use crate::rulebook::{Check, Rulebook, CUE_IDS};
use crate::Engine;

/// Who speaks or acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Agent,
    Customer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Phone,
    Chat,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub work_no: String,
    #[serde(default)]
    pub name: String,
}

/// One turn; times are seconds from answering (chats have `start` only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Party,
    pub start: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Hold { start: f64, end: f64 },
    Hangup { at: f64, by: Party },
    /// Other event types are kept out of the checks but not an error.
    #[serde(other)]
    Other,
}

/// A transcript in the contract format of issue 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default)]
    pub agent: Agent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rings: Option<u32>,
    pub turns: Vec<Turn>,
    #[serde(default)]
    pub events: Vec<Event>,
    /// The centre's own fields of the conversation (business line, queue,
    /// customer level…), for choosing which custom checks apply.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub metadata: std::collections::BTreeMap<String, serde_json::Value>,
}

/// How `started_at` was read: the moment, and whether its offset was
/// assumed (a local time without one, taken as Asia/Shanghai).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartedAt {
    pub at: DateTime<FixedOffset>,
    pub assumed_offset: bool,
}

/// Local wall-clock forms that exports of call centres' systems use (no
/// offset): `2026-11-22 11:48:00`, `2026-11-22T11:48:00`, seconds and
/// fractions optional, `/` for `-` as Excel writes it.
const LOCAL_FORMATS: [&str; 8] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%dT%H:%M",
];

/// Reads a `started_at`: RFC 3339 (also with a space for the `T`), or a
/// local time without an offset, which is taken as Asia/Shanghai (+08:00)
/// and said so (`assumed_offset`). `None` for anything else.
pub fn parse_started_at(s: &str) -> Option<StartedAt> {
    let s = s.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Some(StartedAt { at, assumed_offset: false });
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.fZ"] {
        let parsed = if format.ends_with('Z') {
            chrono::NaiveDateTime::parse_from_str(s, format).ok().map(|t| t.and_utc().fixed_offset())
        } else {
            DateTime::parse_from_str(s, format).ok()
        };
        if let Some(at) = parsed {
            return Some(StartedAt { at, assumed_offset: false });
        }
    }
    LOCAL_FORMATS
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .and_then(|t| t.and_local_timezone(SHANGHAI).single())
        .map(|at| StartedAt { at, assumed_offset: true })
}

/// The note a scorecard carries when `started_at` had no offset.
pub fn assumed_offset_warning(original: &str) -> String {
    format!("started_at '{original}' 没有时区偏移，已按北京时间（Asia/Shanghai，+08:00）处理")
}

/// Why a transcript cannot be inspected: the field at fault, as a JSON path
/// (`turns[3].start`; empty when the record as a whole is wrong), and what
/// is wrong with it, in Chinese (the message names the field too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConversation {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for InvalidConversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidConversation {}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidConversation {
    InvalidConversation { field: field.into(), message: message.into() }
}

/// Identifiers (the conversation id, the agent's id, work number and name)
/// are at most this many characters.
pub const MAX_ID_CHARS: usize = 256;

/// A time of the transcript in seconds from answering: finite, not negative,
/// within a day.
fn check_seconds(field: &str, what: &str, value: f64) -> Result<(), InvalidConversation> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid(field, format!("{what}（{field}）无效：{value}，应为从接通起的秒数（不小于 0）")));
    }
    if value > MAX_CALL_SECONDS {
        return Err(invalid(field, format!("{what}（{field}）超出范围：{value} 秒，一次通话或会话不超过一天（{MAX_CALL_SECONDS} 秒）")));
    }
    Ok(())
}

impl Conversation {
    /// A transcript from JSON: the contract format, or wrapped as
    /// `{"conversation": {…}, …}` as in the labelled evaluation files;
    /// validated with the default [`Limits`].
    pub fn from_json(value: serde_json::Value) -> Result<Conversation, InvalidConversation> {
        Conversation::from_json_with(value, &Limits::default())
    }

    /// As [`Conversation::from_json`], validated against `limits`.
    pub fn from_json_with(mut value: serde_json::Value, limits: &Limits) -> Result<Conversation, InvalidConversation> {
        if value.get("turns").is_none() {
            if let Some(inner) = value.get_mut("conversation").filter(|c| c.get("turns").is_some()) {
                value = inner.take();
            }
        }
        if !value.is_object() {
            return Err(invalid("", "应为一个 JSON 对象（一个会话）"));
        }
        let conv: Conversation = crate::json_errors::from_value(value).map_err(|e| invalid(e.field.as_deref().unwrap_or(""), format!("不符合会话格式：{}", e.message)))?;
        conv.validate_with(limits)?;
        Ok(conv)
    }

    /// What is wrong with a transcript that parsed but cannot be inspected
    /// (the default [`Limits`]).
    pub fn validate(&self) -> Result<(), InvalidConversation> {
        self.validate_with(&Limits::default())
    }

    /// What is wrong with a transcript that parsed but cannot be inspected:
    /// every time finite and within a day, `started_at` a real moment of
    /// 1970–2199, a plausible ring count, and no more turns, events or
    /// characters than `limits` allow.
    pub fn validate_with(&self, limits: &Limits) -> Result<(), InvalidConversation> {
        if self.id.trim().is_empty() {
            return Err(invalid("id", "id 为空"));
        }
        for (field, value) in [("id", &self.id), ("agent.id", &self.agent.id), ("agent.work_no", &self.agent.work_no), ("agent.name", &self.agent.name)] {
            if value.chars().nth(MAX_ID_CHARS).is_some() {
                return Err(invalid(field, format!("{field} 过长：超过 {MAX_ID_CHARS} 个字符")));
            }
        }
        if let Some(s) = &self.started_at {
            let at = parse_started_at(s)
                .ok_or_else(|| {
                    invalid(
                        "started_at",
                        format!("started_at '{s}' 不是有效的时间：应为 RFC 3339（如 2026-11-22T11:48:00+08:00），或不带时区的本地时间（如 2026-11-22 11:48:00，按北京时间处理）"),
                    )
                })?
                .at;
            if !STARTED_AT_YEARS.contains(&at.year()) {
                return Err(invalid(
                    "started_at",
                    format!("started_at '{s}' 超出范围：年份应在 {}–{} 之间", STARTED_AT_YEARS.start(), STARTED_AT_YEARS.end()),
                ));
            }
        }
        if let Some(rings) = self.rings {
            if rings > MAX_RINGS {
                return Err(invalid("rings", format!("rings（振铃次数）超出范围：{rings}，最多 {MAX_RINGS} 声")));
            }
        }
        if self.turns.len() > limits.max_turns {
            return Err(invalid("turns", format!("turns 过多：{} 个，一个会话最多 {} 个", self.turns.len(), limits.max_turns)));
        }
        if self.events.len() > limits.max_events {
            return Err(invalid("events", format!("events 过多：{} 个，一个会话最多 {} 个", self.events.len(), limits.max_events)));
        }
        for (i, t) in self.turns.iter().enumerate() {
            let what = format!("第 {} 个 turn 的 start", i + 1);
            check_seconds(&format!("turns[{i}].start"), &what, t.start)?;
            if let Some(end) = t.end {
                let field = format!("turns[{i}].end");
                check_seconds(&field, &format!("第 {} 个 turn 的 end", i + 1), end)?;
                if end < t.start {
                    return Err(invalid(field.clone(), format!("第 {} 个 turn 的 end（{field}）为 {end}，早于 start（{}）", i + 1, t.start)));
                }
            }
            let field = format!("turns[{i}].text");
            if let Some(message) = text_too_long(&field, &t.text, limits) {
                return Err(invalid(field, format!("第 {} 个 turn 的 {message}", i + 1)));
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            match e {
                Event::Hold { start, end } => {
                    let what = format!("第 {} 个事件（hold）", i + 1);
                    check_seconds(&format!("events[{i}].start"), &format!("{what}的 start"), *start)?;
                    check_seconds(&format!("events[{i}].end"), &format!("{what}的 end"), *end)?;
                    if end < start {
                        return Err(invalid(format!("events[{i}].end"), format!("{what}的时间无效（events[{i}].end）: {start}–{end}，结束早于开始")));
                    }
                }
                Event::Hangup { at, .. } => check_seconds(&format!("events[{i}].at"), &format!("第 {} 个事件（hangup）的 at", i + 1), *at)?,
                Event::Other => {}
            }
        }
        Ok(())
    }

    fn started(&self) -> Option<DateTime<FixedOffset>> {
        self.started_at.as_deref().and_then(parse_started_at).map(|s| s.at)
    }
}

/// `seconds` after `started`, or `None` where the calendar ends (never a panic).
fn moment(started: DateTime<FixedOffset>, seconds: f64) -> Option<DateTime<FixedOffset>> {
    if !seconds.is_finite() {
        return None;
    }
    // `as` saturates; try_milliseconds refuses what TimeDelta cannot hold.
    let delta = TimeDelta::try_milliseconds((seconds * 1000.0) as i64)?;
    started.checked_add_signed(delta)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    #[serde(rename = "pass")]
    Pass,
    #[serde(rename = "fail")]
    Fail,
    #[serde(rename = "n/a")]
    NotApplicable,
}

/// Where in the transcript a check failed. Offsets are chars of the turn's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub turn: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub note: String,
    /// The rulebook rule that matched (language.forbidden's evidence), so a
    /// reader can name it; the note says it in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub result: Outcome,
    pub points: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub veto: bool,
    pub evidence: Vec<Evidence>,
    /// More evidence than the limits let one check report: `evidence` holds
    /// the first items, `evidence_total` how many there were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_total: Option<usize>,
}

/// The scorecard of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub id: String,
    pub score: u32,
    pub channel: Channel,
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// A veto check (一票否决) failed: the score is 0.
    pub vetoed: bool,
    pub checks: Vec<CheckResult>,
    /// What was assumed while reading the transcript, in Chinese (today: a
    /// `started_at` without an offset, taken as Asia/Shanghai).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Scorecard {
    pub fn failed(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.result == Outcome::Fail)
    }

    /// Recomputes score and veto after results changed (an appeal overturned a check).
    pub fn rescore(&mut self) {
        (self.score, self.vetoed) = score(&self.checks);
    }
}

/// Score = 100 × points of passed checks / points of applicable checks
/// (100 when nothing applies), and 0 when a veto check (一票否决) failed.
pub fn score(checks: &[CheckResult]) -> (u32, bool) {
    let applicable: u32 = checks.iter().filter(|c| c.result != Outcome::NotApplicable).map(|c| c.points).sum();
    let earned: u32 = checks.iter().filter(|c| c.result == Outcome::Pass).map(|c| c.points).sum();
    let vetoed = checks.iter().any(|c| c.veto && c.result == Outcome::Fail);
    let score = if vetoed {
        0
    } else if applicable == 0 {
        100
    } else {
        ((f64::from(earned) * 100.0) / f64::from(applicable)).round() as u32
    };
    (score, vetoed)
}

/// The cues compiled into one matcher.
#[derive(Debug)]
pub struct Inspector {
    matcher: Matcher,
    /// The checks written as data, by check id.
    custom: std::collections::HashMap<String, crate::custom_check::CustomCheck>,
    /// One automaton of every custom check's keywords, one RegexSet of their regular expressions.
    custom_keywords: Option<Matcher>,
    custom_regexes: Option<regex::RegexSet>,
}

/// Cue hits of one turn: for each cue (by its index in `CUE_IDS`), the first span.
#[derive(Debug, Clone, Default)]
struct TurnCues {
    spans: Vec<Option<(usize, usize)>>,
}

impl TurnCues {
    fn has(&self, cue: Cue) -> bool {
        self.spans.get(cue as usize).is_some_and(Option::is_some)
    }
}

/// The cues, in the order of `CUE_IDS`.
#[derive(Debug, Clone, Copy)]
enum Cue {
    Greeting,
    WorkNumber,
    ServiceName,
    LateApology,
    MorningGreeting,
    NoonGreeting,
    AfternoonGreeting,
    EveningGreeting,
    InterruptPolitely,
    Confirm,
    WaitRequest,
    ThanksForWaiting,
    Apology,
    Record,
    PromiseTime,
    AnythingElse,
    Thanks,
    Goodbye,
    RatingInvite,
    RedialRequest,
}

impl Inspector {
    pub fn new(book: &Rulebook) -> Result<Inspector, String> {
        let mut seqs = Vec::new();
        for cue in &book.cues {
            let Some(index) = CUE_IDS.iter().position(|c| *c == cue.id) else { continue };
            for p in &cue.patterns {
                for seq in pattern::compile(p).map_err(|e| format!("{}: {e}", cue.id))? {
                    seqs.push((index as u32, seq));
                }
            }
        }
        let mut custom = std::collections::HashMap::new();
        let (mut next, mut keyword_seqs, mut regex_sources) = (0u32, Vec::new(), Vec::new());
        for check in book.checks.iter().filter(|c| c.logic.is_some()) {
            let mut compiled = crate::custom_check::CustomCheck::compile(check).map_err(|e| format!("{}: {}", check.id, e.join("；")))?;
            keyword_seqs.extend(compiled.keyword_sequences(&mut next));
            compiled.regex_sources(&mut regex_sources);
            custom.insert(check.id.clone(), compiled);
        }
        let custom_keywords = if keyword_seqs.is_empty() { None } else { Some(Matcher::new(keyword_seqs.iter().map(|(o, s)| (*o, s)))?) };
        let custom_regexes = if regex_sources.is_empty() {
            None
        } else {
            Some(regex::RegexSetBuilder::new(&regex_sources).size_limit(1 << 24).build().map_err(|e| format!("自定义检查项的正则表达式合在一起太大：{}", e.to_string().lines().last().unwrap_or("")))?)
        };
        Ok(Inspector { matcher: Matcher::new(seqs.iter().map(|(o, s)| (*o, s)))?, custom, custom_keywords, custom_regexes })
    }

    fn cues(&self, text: &str, scratch: &mut Scratch) -> TurnCues {
        let mut spans = vec![None; CUE_IDS.len()];
        for h in self.matcher.find(text, scratch) {
            let slot = &mut spans[h.owner as usize];
            if slot.is_none() {
                *slot = Some((h.start, h.end));
            }
        }
        TurnCues { spans }
    }

    /// Whether the cue `id` is found in `text` (for the rulebook's own examples).
    pub fn finds(&self, id: &str, text: &str) -> bool {
        let Some(index) = CUE_IDS.iter().position(|c| *c == id) else { return false };
        self.matcher.find(text, &mut Scratch::default()).iter().any(|h| h.owner as usize == index)
    }
}

const COMPLAINT_SCENARIOS: [&str; 2] = ["complaint", "complaint_staff"];
const REPORT_SCENARIOS: [&str; 4] = ["repair_request", "complaint", "complaint_staff", "leave_message"];

/// Everything the checks look at, computed once per conversation.
struct Prepared<'a> {
    conv: &'a Conversation,
    cues: Vec<TurnCues>,
    scenarios: Vec<&'a str>,
    agent_turns: Vec<usize>,
    customer_turns: Vec<usize>,
    silent: bool,
}

/// language.forbidden: every forbidden phrase in the agent's turns (`linted`,
/// per turn at most `max_hits_per_turn` and how many there were), at most
/// `max_hits_per_conversation` reported, with the total count of hits.
fn forbidden_language(p: &Prepared, limits: &Limits, linted: &[(Vec<crate::lint::Violation<'_>>, usize)]) -> (Outcome, Vec<Evidence>, usize) {
    let mut evidence = Vec::new();
    let mut total = 0;
    for &i in &p.agent_turns {
        let Some((violations, found)) = linted.get(i) else { continue };
        let room = limits.max_hits_per_turn.min(limits.max_hits_per_conversation.saturating_sub(evidence.len()));
        total += found;
        evidence.extend(violations.iter().take(room).map(|v| Evidence {
            turn: i,
            start: v.start,
            end: v.end,
            text: v.matched.clone(),
            note: format!("{} 建议：{}", v.message, v.suggestion),
            rule: Some(v.rule.to_string()),
        }));
    }
    let result = if total == 0 { Outcome::Pass } else { Outcome::Fail };
    (result, evidence, total)
}

/// A check written as data: n/a outside its `when`, failed when its logic holds.
fn run_custom(custom: &crate::custom_check::CustomCheck, p: &Prepared, forbidden: &dyn Fn(usize) -> Vec<(String, usize, usize)>, shared: &crate::custom_check::Shared) -> (Outcome, Vec<Evidence>, usize) {
    if !custom.applies(p.conv) {
        return (Outcome::NotApplicable, Vec::new(), 0);
    }
    let facts = crate::custom_check::Facts { conv: p.conv, scenarios: &p.scenarios, forbidden, shared };
    match custom.run(&facts) {
        None => (Outcome::Pass, Vec::new(), 0),
        Some(evidence) => {
            let total = evidence.len();
            (Outcome::Fail, evidence, total)
        }
    }
}

fn whole(conv: &Conversation, turn: usize, note: impl Into<String>) -> Evidence {
    let text = conv.turns.get(turn).map_or(String::new(), |t| t.text.clone());
    Evidence { turn, start: 0, end: text.chars().count(), text, note: note.into(), rule: None }
}

fn span(conv: &Conversation, turn: usize, (start, end): (usize, usize), note: impl Into<String>) -> Evidence {
    let text: String = conv.turns.get(turn).map_or(String::new(), |t| t.text.chars().skip(start).take(end.saturating_sub(start)).collect());
    Evidence { turn, start, end, text, note: note.into(), rule: None }
}

impl Engine {
    /// Inspects one (validated) conversation, reporting evidence within the
    /// default [`Limits`].
    pub fn inspect(&self, conv: &Conversation) -> Scorecard {
        self.inspect_with(conv, &Limits::default())
    }

    /// Inspects one (validated) conversation; each check reports at most
    /// `limits.max_hits_per_conversation` evidence items (and language.forbidden
    /// at most `max_hits_per_turn` per turn), saying when it left some out.
    pub fn inspect_with(&self, conv: &Conversation, limits: &Limits) -> Scorecard {
        let mut scratch = Scratch::default();
        let agent_turns: Vec<usize> =
            conv.turns.iter().enumerate().filter(|(_, t)| t.speaker == Party::Agent).map(|(i, _)| i).collect();
        let customer_turns: Vec<usize> = conv
            .turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.speaker == Party::Customer && !t.text.trim().is_empty())
            .map(|(i, _)| i)
            .collect();
        let cues = conv
            .turns
            .iter()
            .map(|t| if t.speaker == Party::Agent { self.inspector.cues(&t.text, &mut scratch) } else { TurnCues::default() })
            .collect();
        let scenarios = conv
            .turns
            .iter()
            .map(|t| if t.speaker == Party::Customer { self.classify_by_cues(&t.text, &mut scratch).scenario } else { "" })
            .collect();
        let silent = conv.channel == Channel::Phone && customer_turns.is_empty();
        let p = Prepared { conv, cues, scenarios, agent_turns, customer_turns, silent };

        // Each agent turn's forbidden phrases (at most max_hits_per_turn, and
        // how many there were), linted once per conversation on first use:
        // by language.forbidden and by every custom check that asks.
        let linted: std::cell::OnceCell<Vec<(Vec<crate::lint::Violation<'_>>, usize)>> = std::cell::OnceCell::new();
        let lint_agent_turns = || {
            linted.get_or_init(|| {
                let mut scratch = Scratch::default();
                conv.turns.iter().map(|t| if t.speaker == Party::Agent { self.lint_rules_capped(&t.text, limits.max_hits_per_turn, &mut scratch) } else { (Vec::new(), 0) }).collect()
            })
        };
        let forbidden = |turn: usize| -> Vec<(String, usize, usize)> {
            lint_agent_turns().get(turn).map(|(v, _)| v.iter().map(|v| (v.category.to_string(), v.start, v.end)).collect()).unwrap_or_default()
        };
        let shared = crate::custom_check::Shared::new(conv, self.inspector.custom_keywords.as_ref(), self.inspector.custom_regexes.as_ref());
        let mut checks = Vec::with_capacity(self.rulebook.checks.len());
        for check in &self.rulebook.checks {
            let (result, mut evidence, total) = if !check.enabled {
                (Outcome::NotApplicable, Vec::new(), 0)
            } else if check.id == "language.forbidden" {
                forbidden_language(&p, limits, lint_agent_turns())
            } else if let Some(custom) = self.inspector.custom.get(&check.id) {
                run_custom(custom, &p, &forbidden, &shared)
            } else {
                let (result, evidence) = self.run_check(check, &p);
                let total = evidence.len();
                (result, evidence, total)
            };
            evidence.truncate(limits.max_hits_per_conversation);
            let truncated = total > evidence.len();
            checks.push(CheckResult {
                id: check.id.clone(),
                result,
                points: check.points,
                veto: check.veto,
                evidence,
                truncated,
                evidence_total: truncated.then_some(total),
            });
        }
        let (score, vetoed) = score(&checks);
        // The scorecard's started_at is RFC 3339, with the offset that was assumed if any.
        let started = conv.started_at.as_deref().map(|s| (s, parse_started_at(s)));
        let mut warnings = Vec::new();
        let started_at = started.map(|(original, parsed)| match parsed {
            Some(p) if p.assumed_offset => {
                warnings.push(assumed_offset_warning(original));
                p.at.to_rfc3339()
            }
            _ => original.to_string(),
        });
        Scorecard {
            id: conv.id.clone(),
            score,
            channel: conv.channel,
            agent: if conv.agent.id.is_empty() { conv.agent.work_no.clone() } else { conv.agent.id.clone() },
            started_at,
            vetoed,
            checks,
            warnings,
        }
    }

    /// language.forbidden: every forbidden phrase in the agent's turns, at most
    /// `max_hits_per_turn` per turn and `max_hits_per_conversation` in all
    /// reported, with the total count of hits.
    fn run_check(&self, check: &Check, p: &Prepared) -> (Outcome, Vec<Evidence>) {
        let conv = p.conv;
        let phone = conv.channel == Channel::Phone;
        let na = (Outcome::NotApplicable, Vec::new());
        let verdict = |evidence: Vec<Evidence>| if evidence.is_empty() { (Outcome::Pass, evidence) } else { (Outcome::Fail, evidence) };
        match check.id.as_str() {
            "opening.greeting" => {
                let Some(&first) = p.agent_turns.first() else { return na };
                if p.silent {
                    return na;
                }
                let cues = &p.cues[first];
                let mut missing = Vec::new();
                // Answered after more than three rings, the agent "先说'对不起，让您久等'"
                // (02 §电话接听规范 2; 03's own late openings have no 您好): that apology opens the call.
                let rings_limit = self.rulebook.number("rings_before_apology").unwrap_or(3.0);
                let late = phone && conv.rings.is_some_and(|r| f64::from(r) > rings_limit);
                if !(cues.has(Cue::Greeting) || late && cues.has(Cue::LateApology)) {
                    missing.push("问候语");
                }
                if phone {
                    let says_number = cues.has(Cue::WorkNumber)
                        || (!conv.agent.work_no.is_empty() && conv.turns[first].text.contains(&conv.agent.work_no));
                    if !says_number {
                        missing.push("工号");
                    }
                } else if !cues.has(Cue::ServiceName) {
                    missing.push("服务名称");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, first, format!("开场白缺少{}", missing.join("、")))])
                }
            }
            "opening.late_answer_apology" => {
                let limit = check.param("rings", 3.0);
                match (phone, conv.rings, p.agent_turns.first()) {
                    (true, Some(r), Some(&first)) if f64::from(r) > limit => {
                        if p.cues[first].has(Cue::LateApology) {
                            (Outcome::Pass, Vec::new())
                        } else {
                            verdict(vec![whole(conv, first, format!("铃响 {r} 声才接听，开场未致歉（对不起，让您久等了）"))])
                        }
                    }
                    _ => na,
                }
            }
            "opening.time_of_day" => {
                let Some(started) = conv.started() else { return na };
                let mut used = false;
                let mut evidence = Vec::new();
                for &i in &p.agent_turns {
                    let Some(at) = moment(started, conv.turns[i].start) else { continue };
                    let hour = at.with_timezone(&SHANGHAI).hour();
                    let checks: [(Cue, &str, fn(u32) -> bool); 4] = [
                        (Cue::MorningGreeting, "早上好只用于 0:00–12:00", |h| h < 12),
                        (Cue::NoonGreeting, "中午好用于 11:00–14:00", |h| (11..14).contains(&h)),
                        (Cue::AfternoonGreeting, "下午好用于 12:00–19:00", |h| (12..19).contains(&h)),
                        (Cue::EveningGreeting, "晚上好用于 17:00 以后", |h| !(5..17).contains(&h)),
                    ];
                    for (cue, rule, fits) in checks {
                        if let Some(s) = p.cues[i].spans[cue as usize] {
                            used = true;
                            if !fits(hour) {
                                evidence.push(span(conv, i, s, format!("当地时间 {:02}:{:02}，{rule}", hour, at.with_timezone(&SHANGHAI).minute())));
                            }
                        }
                    }
                }
                if used {
                    verdict(evidence)
                } else {
                    na
                }
            }
            "listen.no_interrupt" => {
                if !phone || p.customer_turns.is_empty() {
                    return na;
                }
                let tolerance = check.param("tolerance_seconds", 0.5);
                let mut evidence = Vec::new();
                for &a in &p.agent_turns {
                    let start = conv.turns[a].start;
                    let cut = p.customer_turns.iter().find(|&&c| {
                        let t = &conv.turns[c];
                        t.end.is_some_and(|end| t.start < start && start < end - tolerance)
                    });
                    if let Some(&c) = cut {
                        if !p.cues[a].has(Cue::InterruptPolitely) {
                            let end = conv.turns[c].end.unwrap_or(start);
                            evidence.push(whole(conv, a, format!("客户（第 {} 句）尚未说完（{:.1} 秒结束），坐席在 {:.1} 秒开口且未说“打断一下”", c + 1, end, start)));
                        }
                    }
                }
                verdict(evidence)
            }
            "confirm.restate" => {
                let Some(&report) = p.customer_turns.iter().find(|&&c| REPORT_SCENARIOS.contains(&p.scenarios[c])) else { return na };
                let confirmed = p.agent_turns.iter().any(|&a| a > report && p.cues[a].has(Cue::Confirm));
                if confirmed {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, report, format!("客户{}后，坐席未复述或核对关键信息", scenario_name(p.scenarios[report])))])
                }
            }
            "wait.ask_before_hold" | "wait.thanks_after_hold" | "wait.long_hold_callback" => {
                let holds: Vec<(f64, f64)> = conv
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Hold { start, end } => Some((*start, *end)),
                        _ => None,
                    })
                    .collect();
                if holds.is_empty() {
                    return na;
                }
                let mut evidence = Vec::new();
                for (start, end) in holds {
                    let before = p.agent_turns.iter().rev().find(|&&a| conv.turns[a].start <= start).copied();
                    let after = p.agent_turns.iter().find(|&&a| conv.turns[a].start >= end - 0.5).copied();
                    match check.id.as_str() {
                        "wait.ask_before_hold" => match before {
                            Some(a) if p.cues[a].has(Cue::WaitRequest) => {}
                            Some(a) => evidence.push(whole(conv, a, format!("{start:.1} 秒开始保持前，坐席未请客户稍等"))),
                            None => evidence.push(Evidence { turn: 0, start: 0, end: 0, text: String::new(), note: format!("{start:.1} 秒开始保持前，坐席没有说话"), rule: None }),
                        },
                        "wait.thanks_after_hold" => match after {
                            Some(a) if p.cues[a].has(Cue::ThanksForWaiting) => {}
                            Some(a) => evidence.push(whole(conv, a, format!("{end:.1} 秒结束保持后，坐席未感谢等待或致歉"))),
                            None => {}
                        },
                        _ => {
                            let max = check.param("max_seconds", 120.0);
                            if end - start > max {
                                let turn = before.unwrap_or(0);
                                evidence.push(Evidence {
                                    turn,
                                    start: 0,
                                    end: 0,
                                    text: String::new(),
                                    note: format!("保持 {:.0} 秒（{start:.1}–{end:.1} 秒），超过 {max:.0} 秒应改为记录联系方式、处理后回电", end - start),
                                    rule: None,
                                });
                            }
                        }
                    }
                }
                verdict(evidence)
            }
            "complaint.handling" => {
                let Some(&complaint) = p.customer_turns.iter().find(|&&c| COMPLAINT_SCENARIOS.contains(&p.scenarios[c])) else { return na };
                let later: Vec<usize> = p.agent_turns.iter().copied().filter(|&a| a > complaint).collect();
                let said = |cue: Cue| later.iter().any(|&a| p.cues[a].has(cue));
                let mut missing = Vec::new();
                if !said(Cue::Apology) {
                    missing.push("致歉");
                }
                if !said(Cue::Record) {
                    missing.push("说明已记录");
                }
                if !said(Cue::PromiseTime) {
                    missing.push("承诺答复时间");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, complaint, format!("客户投诉后，坐席未{}", missing.join("、")))])
                }
            }
            "closing.anything_else" => {
                if p.silent || p.agent_turns.is_empty() {
                    return na;
                }
                if p.agent_turns.iter().any(|&a| p.cues[a].has(Cue::AnythingElse)) {
                    (Outcome::Pass, Vec::new())
                } else {
                    let last = *p.agent_turns.last().unwrap_or(&0);
                    verdict(vec![whole(conv, last, "结束前未询问客户是否还有其他需要")])
                }
            }
            "closing.farewell" => {
                if p.silent || p.agent_turns.is_empty() {
                    return na;
                }
                let closing: Vec<usize> = p.agent_turns.iter().rev().take(2).copied().collect();
                let thanks = closing.iter().any(|&a| p.cues[a].has(Cue::Thanks));
                let goodbye = closing.iter().any(|&a| p.cues[a].has(Cue::Goodbye));
                let mut missing = Vec::new();
                if !thanks {
                    missing.push("致谢");
                }
                if !goodbye {
                    missing.push("道别");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, closing[0], format!("结束语缺少{}", missing.join("和")))])
                }
            }
            "closing.rating_invite" => {
                if phone || p.agent_turns.is_empty() {
                    return na;
                }
                if p.agent_turns.iter().any(|&a| p.cues[a].has(Cue::RatingInvite)) {
                    (Outcome::Pass, Vec::new())
                } else {
                    let last = *p.agent_turns.last().unwrap_or(&0);
                    verdict(vec![whole(conv, last, "在线会话结束前未邀请客户评价")])
                }
            }
            "closing.customer_hangs_up_first" => {
                if !phone || p.silent {
                    return na;
                }
                let hangup = conv.events.iter().find_map(|e| match e {
                    Event::Hangup { at, by } => Some((*at, *by)),
                    _ => None,
                });
                match hangup {
                    None => na,
                    Some((_, Party::Customer)) => (Outcome::Pass, Vec::new()),
                    Some((at, Party::Agent)) => {
                        let last = *p.agent_turns.last().unwrap_or(&0);
                        verdict(vec![Evidence { turn: last, start: 0, end: 0, text: String::new(), note: format!("坐席在 {at:.1} 秒先挂断电话，应等客户先挂机"), rule: None }])
                    }
                }
            }
            "voice.speech_rate" => {
                if !phone {
                    return na;
                }
                let (mut chars, mut seconds) = (0usize, 0.0f64);
                for &a in &p.agent_turns {
                    let t = &conv.turns[a];
                    if let Some(end) = t.end {
                        chars += t.text.chars().filter(|&c| matches!(normalize_char(c), Norm::Keep(_))).count();
                        seconds += end - t.start;
                    }
                }
                if seconds < 3.0 {
                    return na;
                }
                let rate = chars as f64 * 60.0 / seconds;
                let target = check.param("chars_per_minute", 120.0);
                let tolerance = check.param("tolerance", 0.2);
                let (low, high) = (target * (1.0 - tolerance), target * (1.0 + tolerance));
                if (low..=high).contains(&rate) {
                    (Outcome::Pass, Vec::new())
                } else {
                    let turn = *p.agent_turns.first().unwrap_or(&0);
                    let how = if rate > high { "过快" } else { "过慢" };
                    verdict(vec![Evidence {
                        turn,
                        start: 0,
                        end: 0,
                        text: String::new(),
                        note: format!("语速{how}：{rate:.0} 字/分钟（{chars} 字，{seconds:.1} 秒），标准 {low:.0}–{high:.0}"),
                        rule: None,
                    }])
                }
            }
            "privacy.agent_name" => {
                let name = conv.agent.name.trim();
                if name.chars().count() < 2 {
                    return na;
                }
                let surname: String = name.chars().take(1).collect();
                let nickname = format!("小{surname}");
                let given: String = name.chars().skip(1).collect();
                let mut evidence = Vec::new();
                for &a in &p.agent_turns {
                    let text = &conv.turns[a].text;
                    let found = find_chars(text, name)
                        .map(|s| (s, "说出了本人姓名"))
                        .or_else(|| (given.chars().count() >= 2).then(|| find_chars(text, &given)).flatten().map(|s| (s, "说出了本人名字")))
                        .or_else(|| {
                            text.contains("我是").then(|| find_chars(text, &nickname)).flatten().map(|s| (s, "以“小+姓”自称"))
                        });
                    if let Some((s, note)) = found {
                        evidence.push(span(conv, a, s, format!("{note}：对外只报工号")));
                    }
                }
                verdict(evidence)
            }
            "silent_call.procedure" => {
                if !p.silent {
                    return na;
                }
                let pause = check.param("min_pause_seconds", 2.0);
                let turns = &p.agent_turns;
                let greeted = turns.first().is_some_and(|&a| p.cues[a].has(Cue::Greeting));
                let reprompted = turns.windows(2).any(|w| {
                    let prev = &conv.turns[w[0]];
                    let next = &conv.turns[w[1]];
                    next.start - prev.end.unwrap_or(prev.start) >= pause
                });
                let redial = turns.iter().position(|&a| p.cues[a].has(Cue::RedialRequest));
                let mut missing = Vec::new();
                if !greeted {
                    missing.push("问候");
                }
                if !reprompted {
                    missing.push("停顿后再次提示");
                }
                if redial.is_none() {
                    missing.push("请客户换电话再拨");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    let turn = turns.last().copied().unwrap_or(0);
                    verdict(vec![whole(conv, turn, format!("无声电话未按流程处理：缺少{}", missing.join("、")))])
                }
            }
            _ => na,
        }
    }
}

fn scenario_name(id: &str) -> &'static str {
    match id {
        "repair_request" => "报修",
        "leave_message" => "留言",
        _ => "投诉",
    }
}

/// Char span of `needle` in `text`.
fn find_chars(text: &str, needle: &str) -> Option<(usize, usize)> {
    let byte = text.find(needle)?;
    let start = text[..byte].chars().count();
    Some((start, start + needle.chars().count()))
}
