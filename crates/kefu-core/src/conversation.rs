//! The conversation model and the scorecard: what a transcript is (the
//! contract of `kefu inspect`), how it is read and validated, and what an
//! inspection answers. Types only, with their validation — no checks —, so
//! that the inspector and the checks written as data share them without
//! depending on each other.

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::calendar::SHANGHAI;
use crate::limits::{text_too_long, Limits, MAX_CALL_SECONDS, MAX_RINGS, STARTED_AT_YEARS};

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

    pub(crate) fn started(&self) -> Option<DateTime<FixedOffset>> {
        self.started_at.as_deref().and_then(parse_started_at).map(|s| s.at)
    }
}

/// `seconds` after `started`, or `None` where the calendar ends (never a panic).
pub(crate) fn moment(started: DateTime<FixedOffset>, seconds: f64) -> Option<DateTime<FixedOffset>> {
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
    /// The scorecard (评分表) that scored it, when the rulebook has several.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scorecard: String,
    /// How the score is counted: `percent` (default) or `deduction`.
    #[serde(default, skip_serializing_if = "ScoreMode::is_percent")]
    pub mode: ScoreMode,
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
        (self.score, self.vetoed) = score_by(self.mode, &self.checks);
    }
}

/// How a scorecard counts: `percent` — 100 × points of passed checks /
/// points of applicable checks; `deduction` — 100 minus the points of every
/// failed check, not below 0. Either way 0 when a veto check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreMode {
    #[default]
    Percent,
    Deduction,
}

impl ScoreMode {
    pub fn is_percent(&self) -> bool {
        *self == ScoreMode::Percent
    }
}

/// The score of the checks under a scorecard's mode.
pub fn score_by(mode: ScoreMode, checks: &[CheckResult]) -> (u32, bool) {
    match mode {
        ScoreMode::Percent => score(checks),
        ScoreMode::Deduction => {
            let vetoed = checks.iter().any(|c| c.veto && c.result == Outcome::Fail);
            let lost: u32 = checks.iter().filter(|c| c.result == Outcome::Fail).map(|c| c.points).sum();
            (if vetoed { 0 } else { 100u32.saturating_sub(lost) }, vetoed)
        }
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

