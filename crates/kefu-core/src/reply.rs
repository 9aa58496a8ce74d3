//! Standard replies rendered for the moment: variables, time of day in
//! Asia/Shanghai, festival greetings and weekend/holiday farewells.

use chrono::{DateTime, FixedOffset, Timelike};
use serde::Serialize;

use crate::calendar::{greeting_festival, CalendarError, DayKind, Festival, HolidayCalendar, SHANGHAI};
use crate::rulebook::{Phrase, Rulebook, When};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Line {
    Standard,
    Vip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Phone,
    Chat,
}

impl Line {
    pub fn as_str(self) -> &'static str {
        match self {
            Line::Standard => "standard",
            Line::Vip => "vip",
        }
    }
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Chat => "chat",
        }
    }
}

/// Everything a reply may depend on.
#[derive(Debug, Clone)]
pub struct ReplyContext {
    pub at: DateTime<FixedOffset>,
    pub line: Line,
    pub channel: Channel,
    /// 先生 or 女士.
    pub title: Option<String>,
    pub surname: Option<String>,
    pub company: Option<String>,
    pub work_no: Option<String>,
    pub hours: Option<u32>,
    /// Answered after more than three rings.
    pub late: bool,
    pub trainee: bool,
}

impl ReplyContext {
    pub fn new(at: DateTime<FixedOffset>) -> ReplyContext {
        ReplyContext {
            at,
            line: Line::Standard,
            channel: Channel::Phone,
            title: None,
            surname: None,
            company: None,
            work_no: None,
            hours: None,
            late: false,
            trainee: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("未知的场景或标准用语 '{0}'")]
    UnknownPhrase(String),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// The rendered text and which phrase (and variant) produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub phrase: String,
    pub text: String,
    pub source: String,
}

/// Facts about the day, computed only when a template or condition needs them
/// (so a reply that does not depend on the date works in any year).
struct Day<'c> {
    cal: &'c HolidayCalendar,
    at: DateTime<FixedOffset>,
    kind: Option<DayKind>,
    festival: Option<Option<Festival>>,
}

impl Day<'_> {
    fn kind(&mut self) -> Result<DayKind, CalendarError> {
        if let Some(k) = self.kind {
            return Ok(k);
        }
        let k = self.cal.day(self.at.date_naive())?.kind;
        self.kind = Some(k);
        Ok(k)
    }

    fn festival(&mut self) -> Result<Option<Festival>, CalendarError> {
        if let Some(f) = self.festival {
            return Ok(f);
        }
        let f = greeting_festival(self.cal, self.at.date_naive())?;
        self.festival = Some(f);
        Ok(f)
    }
}

/// Renders the phrase `id` (`opening`, `closing` or `reply.<scenario>` — a
/// scenario id is accepted too and mapped to its reply phrase).
pub fn render(book: &Rulebook, cal: &HolidayCalendar, id: &str, ctx: &ReplyContext) -> Result<Rendered, ReplyError> {
    let phrase = resolve_phrase(book, id).ok_or_else(|| ReplyError::UnknownPhrase(id.to_string()))?;
    let at = ctx.at.with_timezone(&SHANGHAI);
    let mut day = Day { cal, at, kind: None, festival: None };
    let mut text = &phrase.text;
    for v in &phrase.variants {
        if holds(&v.when, ctx, &mut day)? {
            text = &v.text;
            break;
        }
    }
    let out = fill(text, book, ctx, &mut day)?;
    Ok(Rendered { phrase: phrase.id.clone(), text: out, source: phrase.source.clone() })
}

fn resolve_phrase<'r>(book: &'r Rulebook, id: &str) -> Option<&'r Phrase> {
    book.phrase(id).or_else(|| book.scenario(id).and_then(|s| book.phrase(&s.reply)))
}

fn holds(when: &When, ctx: &ReplyContext, day: &mut Day) -> Result<bool, CalendarError> {
    if when.line.as_deref().is_some_and(|l| l != ctx.line.as_str()) {
        return Ok(false);
    }
    if when.channel.as_deref().is_some_and(|c| c != ctx.channel.as_str()) {
        return Ok(false);
    }
    if when.late.is_some_and(|l| l != ctx.late) || when.trainee.is_some_and(|t| t != ctx.trainee) {
        return Ok(false);
    }
    if let Some(f) = when.festival {
        if day.festival()?.is_some() != f {
            return Ok(false);
        }
    }
    if let Some(w) = when.weekend_or_holiday {
        if (day.kind()? != DayKind::Workday) != w {
            return Ok(false);
        }
    }
    Ok(true)
}

fn fill(template: &str, book: &Rulebook, ctx: &ReplyContext, day: &mut Day) -> Result<String, CalendarError> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let value = match &after[..close] {
            "company" => ctx.company.clone().unwrap_or_else(|| book.header.company.clone()),
            "work_no" => ctx.work_no.clone().unwrap_or_else(|| book.header.work_no.clone()),
            "addressee" => addressee(ctx),
            "hours" => ctx.hours.or(book.header.reply_hours).unwrap_or(24).to_string(),
            "time_greeting" => time_greeting(day.at).to_string(),
            "festival_greeting" => festival_greeting(day.festival()?).to_string(),
            "farewell_wish" => farewell_wish(day.kind()?).to_string(),
            other => format!("{{{other}}}"),
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// 王先生, 先生, or nothing.
fn addressee(ctx: &ReplyContext) -> String {
    match (&ctx.surname, &ctx.title) {
        (Some(s), Some(t)) => format!("{s}{t}"),
        (None, Some(t)) => t.clone(),
        (Some(s), None) => format!("{s}先生/女士"),
        (None, None) => String::new(),
    }
}

/// 04 §三 1(4): 早上好 from 00:00 to 12:00, otherwise 您好.
pub fn time_greeting(at: DateTime<FixedOffset>) -> &'static str {
    let local = at.with_timezone(&SHANGHAI);
    if local.hour() < 12 {
        "早上好"
    } else {
        "您好"
    }
}

/// 01 §一: 新年好 on 元旦 and 春节, 节日好 on the other greeting festivals.
pub fn festival_greeting(f: Option<Festival>) -> &'static str {
    match f {
        Some(Festival::NewYear | Festival::SpringFestival) => "新年好",
        Some(_) => "节日好",
        None => "您好",
    }
}

/// 04 §三 1(8): 祝您周末/节日愉快 before 再见 on weekends and holidays.
pub fn farewell_wish(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "祝您节日愉快，",
        DayKind::Rest => "祝您周末愉快，",
        DayKind::Workday => "",
    }
}
