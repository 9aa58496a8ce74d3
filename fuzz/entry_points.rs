//! What each fuzz target does with its input, in one place: the cargo-fuzz
//! targets (`fuzz/fuzz_targets/*.rs`) and the regression test of the core
//! (`crates/kefu-core/tests/fuzz_regressions.rs`) both import this file with
//! `#[path]`, so a crash found by fuzzing is replayed by `cargo test` through
//! exactly the same code. It depends on `kefu-core`, `serde_json` and
//! `chrono` only — never on libFuzzer.
//!
//! Every function takes raw bytes, never panics on its own account, and
//! asserts the invariants of the entry point it drives: a failed assertion
//! is a finding, like any other panic.

#![allow(dead_code)]

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};
use kefu_core::calendar::{
    due_after_minutes, due_after_working_days, due_after_working_hours, greeting_festival,
    spring_festival, CalendarError, DayKind, Festival, HolidayCalendar, WorkingHours, SHANGHAI,
};
use kefu_core::desk::{self, DeskRules, Notice, RecordFacts, RecordKind};
use kefu_core::inspect::{Conversation, Scorecard};
use kefu_core::matcher::{Matcher, Scratch};
use kefu_core::normalize::{normalize_char, Norm};
use kefu_core::pattern;
use kefu_core::reply::{Channel, Line, ReplyContext, ReplyError};
use kefu_core::rulebook::{embedded_files, Rulebook, SCENARIO_IDS};
use kefu_core::Engine;

/// The fuzz targets by name (the names of `fuzz/fuzz_targets/*.rs`, of the
/// directories under `fuzz/corpus/` and `fuzz/regressions/`).
pub type Target = fn(&[u8]);

pub const TARGETS: &[(&str, Target)] = &[
    ("lint", lint),
    ("classify", classify),
    ("reply", reply),
    ("calendar_day_due", calendar_day_due),
    ("calendar_import", calendar_import),
    ("pattern_compile", pattern_compile),
    ("rulebook_load", rulebook_load),
    ("transcript_inspect", transcript_inspect),
];

/// The embedded engine, built once per process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::embedded().expect("the embedded rulebook loads"))
}

/// Reads typed values off the front of the input; past its end every read
/// gives zeros, so any input decodes to something.
pub struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes(data)
    }

    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }

    pub fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    pub fn u16(&mut self) -> u16 {
        let mut b = [0u8; 2];
        b[..self.0.len().min(2)].copy_from_slice(self.take(2));
        u16::from_le_bytes(b)
    }

    pub fn u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        let got = self.take(4);
        b[..got.len()].copy_from_slice(got);
        u32::from_le_bytes(b)
    }

    pub fn i64(&mut self) -> i64 {
        let mut b = [0u8; 8];
        let got = self.take(8);
        b[..got.len()].copy_from_slice(got);
        i64::from_le_bytes(b)
    }

    /// A string of at most 255 bytes (lossy UTF-8), its length read first.
    pub fn short_str(&mut self) -> String {
        let n = usize::from(self.u8());
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    /// Everything left, as lossy UTF-8.
    pub fn rest_str(&mut self) -> String {
        let n = self.0.len();
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ---------------------------------------------------------------------------
// lint
// ---------------------------------------------------------------------------

/// Lints the input as one utterance (the first byte is a cap for `lint_capped`).
pub fn lint(data: &[u8]) {
    let mut b = Bytes::new(data);
    let cap = usize::from(b.u8());
    let text = b.rest_str();
    check_lint(engine(), &text, cap);
}

/// The invariants of linting one text: spans inside the text and ordered,
/// `matched` the text of the span, the fast path and the capped variant
/// agreeing with the full result, a reused scratch changing nothing.
pub fn check_lint(e: &Engine, text: &str, cap: usize) {
    let chars: Vec<char> = text.chars().collect();
    let all = e.lint(text);
    for v in &all {
        assert!(v.start < v.end && v.end <= chars.len(), "span {}..{} of {} chars", v.start, v.end, chars.len());
        let expected: String = chars[v.start..v.end].iter().collect();
        assert_eq!(v.matched, expected, "matched text of {}..{}", v.start, v.end);
        match v.rule.strip_suffix(".semantic") {
            // A hit of the semantic layer names its category.
            Some(category) => {
                assert_eq!(v.category, category);
                assert!(e.rulebook.categories.iter().any(|c| c.id == category), "a category of the rulebook");
                assert!(v.confidence.is_some_and(|c| (0.0..=1.0).contains(&c)));
            }
            None => {
                let rule = e.rulebook.rule(v.rule).expect("a violation names a rule of the rulebook");
                assert_eq!(v.category, rule.category);
            }
        }
    }
    assert!(all.windows(2).all(|w| w[0].start <= w[1].start), "violations ordered by start");
    let mut scratch = Scratch::default();
    assert_eq!(e.has_violation(text, &mut scratch), !all.is_empty(), "has_violation agrees with lint");
    for k in [cap, 0, 1, all.len()] {
        let (first, total) = e.lint_capped(text, k, &mut scratch);
        assert_eq!(total, all.len(), "lint_capped counts every violation");
        assert_eq!(first.as_slice(), &all[..k.min(all.len())], "lint_capped({k}) is the first {k} of lint");
    }
    // A scratch that has seen other texts gives the same answer.
    let _ = e.lint_with("这事儿不归我管，你找别的部门。不知道！", &mut scratch);
    assert_eq!(e.lint_with(text, &mut scratch), all, "a reused scratch changes nothing");
}

// ---------------------------------------------------------------------------
// classify
// ---------------------------------------------------------------------------

/// Classifies the input as one customer utterance.
pub fn classify(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_classify(engine(), &text);
}

pub fn check_classify(e: &Engine, text: &str) {
    let chars = text.chars().count();
    let c = e.classify(text);
    assert!(SCENARIO_IDS.contains(&c.scenario), "unknown scenario {}", c.scenario);
    assert!((0.0..=1.0).contains(&c.confidence), "confidence {}", c.confidence);
    assert!(c.evidence.iter().all(|&(s, end)| s < end && end <= chars), "evidence inside the text");
    let mut scratch = Scratch::default();
    let _ = e.classify_with("我家厨房的柜门掉下来了，你们能派人来修吗？", &mut scratch);
    assert_eq!(e.classify_with(text, &mut scratch), c, "a reused scratch changes nothing");
    for (scenario, score, spans) in e.explain_classification(text) {
        assert!(SCENARIO_IDS.contains(&scenario));
        assert!(score.is_finite());
        assert!(spans.iter().all(|&(s, end)| s < end && end <= chars));
    }
}

// ---------------------------------------------------------------------------
// reply
// ---------------------------------------------------------------------------

/// Every id a reply can be asked for in the embedded rulebook.
pub fn reply_ids(e: &Engine) -> Vec<String> {
    let mut ids: Vec<String> = e.rulebook.phrases.iter().map(|p| p.id.clone()).collect();
    ids.extend(e.rulebook.scenarios.iter().map(|s| s.id.clone()));
    ids
}

/// A moment from a number of seconds and an offset, anywhere in chrono's range.
pub fn moment(secs: i64, nanos: u32, offset_secs: i32) -> Option<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(offset_secs % 86_400)?;
    Some(DateTime::from_timestamp(secs, nanos % 1_000_000_000)?.with_timezone(&offset))
}

/// Seconds of 2023-01-01T00:00:00Z, and the span 2023–2027 covers.
const NEAR_2023: i64 = 1_672_531_200;
const FIVE_YEARS: i64 = 5 * 366 * 86_400;
/// Seconds of 1970-01-01 and of 2200-01-01 (UTC).
const YEAR_2200: i64 = 7_258_118_400;

/// A moment mostly near the covered years, sometimes anywhere.
fn any_moment(b: &mut Bytes) -> DateTime<FixedOffset> {
    let mode = b.u8();
    let raw = b.i64();
    let secs = match mode % 4 {
        0 => NEAR_2023 + raw.rem_euclid(FIVE_YEARS),
        1 => raw.rem_euclid(YEAR_2200),
        2 => raw,
        _ => NEAR_2023 + raw.rem_euclid(FIVE_YEARS) / 60 * 60,
    };
    let nanos = if mode & 0x10 != 0 { b.u32() } else { 0 };
    let offset = if mode & 0x20 != 0 { b.u32() as i32 } else { 8 * 3600 };
    moment(secs, nanos, offset).unwrap_or_else(|| moment(NEAR_2023, 0, 0).expect("2023 is a moment"))
}

/// Renders a reply for an id and a context decoded from the input.
pub fn reply(data: &[u8]) {
    let e = engine();
    let ids = reply_ids(e);
    let mut b = Bytes::new(data);
    let pick = usize::from(b.u16());
    let id = if pick < ids.len() { ids[pick].clone() } else if pick % 2 == 0 { ids[pick % ids.len()].clone() } else { b.short_str() };
    let at = any_moment(&mut b);
    let flags = b.u8();
    let opt = |b: &mut Bytes, bit: u8| if flags & bit != 0 { Some(b.short_str()) } else { None };
    let ctx = ReplyContext {
        at,
        line: if flags & 1 != 0 { Line::Vip } else { Line::Standard },
        channel: if flags & 2 != 0 { Channel::Chat } else { Channel::Phone },
        title: opt(&mut b, 4),
        surname: opt(&mut b, 8),
        company: opt(&mut b, 16),
        work_no: opt(&mut b, 32),
        hours: if flags & 64 != 0 { Some(b.u32()) } else { None },
        late: flags & 128 != 0,
        trainee: b.bool(),
    };
    check_reply(e, &id, &ctx);
}

pub fn check_reply(e: &Engine, id: &str, ctx: &ReplyContext) {
    let known = e.rulebook.phrase(id).is_some() || e.rulebook.scenario(id).is_some();
    match e.reply(id, ctx) {
        Ok(r) => {
            assert!(known, "rendered an unknown id {id:?}");
            assert!(e.rulebook.phrase(&r.phrase).is_some(), "rendered phrase {} exists", r.phrase);
            let user_braces = [&ctx.title, &ctx.surname, &ctx.company, &ctx.work_no]
                .iter()
                .any(|s| s.as_deref().is_some_and(|s| s.contains(['{', '}'])));
            if !user_braces {
                assert!(!r.text.contains('{') && !r.text.contains('}'), "every variable filled: {}", r.text);
            }
        }
        Err(ReplyError::UnknownPhrase(p)) => {
            assert!(!known, "{id} is a phrase or scenario but was called unknown");
            assert_eq!(p, id);
        }
        Err(ReplyError::Calendar(err)) => {
            assert!(known);
            let year = ctx.at.with_timezone(&SHANGHAI).year();
            assert!(!e.calendar.covers(year), "calendar error {err} in a covered year {year}");
        }
    }
}

// ---------------------------------------------------------------------------
// calendar: day and deadlines
// ---------------------------------------------------------------------------

/// Working hours from the input: the default, or 1–4 periods of its own
/// (which may be refused; then the default).
fn any_hours(b: &mut Bytes) -> WorkingHours {
    let n = b.u8();
    if n & 0x80 == 0 {
        return WorkingHours::default();
    }
    let periods = (0..usize::from(n % 4) + 1)
        .map(|_| {
            let t = |s: u32| NaiveTime::from_num_seconds_from_midnight_opt(s % 86_400, 0).unwrap_or(NaiveTime::MIN);
            (t(b.u32()), t(b.u32()))
        })
        .collect();
    WorkingHours::new(periods).unwrap_or_default()
}

fn any_date(b: &mut Bytes) -> NaiveDate {
    let mode = b.u8();
    let raw = b.u32();
    let date = match mode % 3 {
        0 => NaiveDate::from_ymd_opt(2023, 1, 1).and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(raw % 1830)))),
        1 => NaiveDate::from_num_days_from_ce_opt(raw as i32),
        _ => NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(raw % 84_000)))),
    };
    date.unwrap_or(NaiveDate::MIN)
}

/// Day lookups and every deadline function for dates, moments and durations
/// decoded from the input, under the embedded calendar.
pub fn calendar_day_due(data: &[u8]) {
    let cal = &engine().calendar;
    let mut b = Bytes::new(data);
    let date = any_date(&mut b);
    check_day(cal, date);
    let from = any_moment(&mut b);
    let hours = any_hours(&mut b);
    let minutes = match b.u8() % 3 {
        0 => i64::from(b.u16()),
        1 => i64::from(b.u32() % 5_000_000),
        _ => b.i64(),
    };
    let days = match b.u8() % 3 {
        0 => u32::from(b.u8() % 40),
        1 => b.u32() % 2_000,
        _ => b.u32(),
    };
    check_due(cal, &hours, from, minutes, days);
    let until = any_moment(&mut b);
    let flags = b.u8();
    check_desk(cal, &hours, from, until, flags, b.u32(), date);
}

pub fn check_day(cal: &HolidayCalendar, date: NaiveDate) {
    if let Some(d) = spring_festival(date.year()) {
        assert!(d.year() == date.year() && d.month() <= 2, "春节 {d} of {}", date.year());
    }
    match cal.day(date) {
        Ok(info) => {
            assert!(cal.covers(date.year()));
            assert_eq!(info.date, date);
            let weekend = date.weekday().num_days_from_monday() >= 5;
            match info.kind {
                DayKind::Holiday => assert!(info.festival.is_some() && !info.makeup),
                DayKind::Workday if info.makeup => assert!(info.festival.is_some() && weekend, "make-up days are weekends"),
                DayKind::Workday => assert!(info.festival.is_none() && !weekend),
                DayKind::Rest => assert!(info.festival.is_none() && weekend && !info.makeup),
            }
            assert_eq!(cal.is_workday(date), Ok(info.kind == DayKind::Workday));
        }
        Err(CalendarError::YearNotCovered { year }) => assert!(year == date.year() && !cal.covers(year)),
        Err(other) => panic!("day() failed with {other}"),
    }
    match greeting_festival(cal, date) {
        Ok(Some(f)) => assert!(matches!(f, Festival::NewYear | Festival::SpringFestival | Festival::LabourDay | Festival::NationalDay)),
        Ok(None) => {}
        Err(CalendarError::YearNotCovered { year }) => assert!(!cal.covers(year)),
        Err(other) => panic!("greeting_festival failed with {other}"),
    }
}

/// The instant `at` lies inside one of the working periods of a working day
/// (an end of a period counts: a deadline may land on 12:00).
fn in_working_time(cal: &HolidayCalendar, hours: &WorkingHours, at: DateTime<FixedOffset>) -> bool {
    let local = at.with_timezone(&SHANGHAI);
    let t = local.time();
    cal.is_workday(local.date_naive()) == Ok(true) && hours.periods().iter().any(|&(s, e)| s <= t && t <= e)
}

pub fn check_due(cal: &HolidayCalendar, hours: &WorkingHours, from: DateTime<FixedOffset>, minutes: i64, days: u32) {
    let wall = due_after_minutes(from, minutes);
    assert_eq!(wall.offset(), &SHANGHAI);
    if minutes >= 0 {
        assert!(wall >= from, "due_after_minutes({from}, {minutes}) = {wall} is earlier than the start");
    } else {
        assert!(wall <= from, "due_after_minutes({from}, {minutes}) = {wall} is later than the start");
    }
    match due_after_working_hours(cal, hours, from, minutes) {
        Ok(due) => {
            assert!(minutes >= 0);
            assert!(due >= from, "due_after_working_hours({from}, {minutes}) = {due} is earlier than the start");
            if minutes > 0 {
                assert!(in_working_time(cal, hours, due), "deadline {due} outside working time");
                // One minute less is never later.
                if let Ok(sooner) = due_after_working_hours(cal, hours, from, minutes - 1) {
                    assert!(sooner <= due, "{} minutes give {sooner}, {minutes} give {due}", minutes - 1);
                }
            } else {
                assert_eq!(due, from);
            }
        }
        Err(CalendarError::NegativeDuration { minutes: m }) => assert!(m == minutes && minutes < 0),
        Err(CalendarError::YearNotCovered { .. } | CalendarError::SearchLimit { .. }) => assert!(minutes > 0),
        Err(other) => panic!("due_after_working_hours failed with {other}"),
    }
    match due_after_working_days(cal, hours, from, days) {
        Ok(due) if days == 0 => assert_eq!(due, from),
        Ok(due) => {
            assert!(due > from, "due_after_working_days({from}, {days}) = {due} is not after the start");
            let local = due.with_timezone(&SHANGHAI);
            assert_eq!(local.time(), hours.close());
            assert_eq!(cal.is_workday(local.date_naive()), Ok(true));
            if days <= 400 {
                let receipt = from.with_timezone(&SHANGHAI).date_naive();
                let counted = receipt
                    .iter_days()
                    .skip(1)
                    .take_while(|d| *d <= local.date_naive())
                    .filter(|d| cal.is_workday(*d) == Ok(true))
                    .count();
                assert_eq!(counted, days as usize, "{days} working days after {receipt} end on {}", local.date_naive());
            }
        }
        Err(CalendarError::YearNotCovered { .. } | CalendarError::SearchLimit { .. }) => {}
        Err(other) => panic!("due_after_working_days failed with {other}"),
    }
}

/// The service desk's deadlines and attendance rules.
pub fn check_desk(cal: &HolidayCalendar, hours: &WorkingHours, at: DateTime<FixedOffset>, other: DateTime<FixedOffset>, flags: u8, n: u32, date: NaiveDate) {
    let rules = DeskRules {
        repair_forward_minutes: i64::from(n % 600),
        complaint_forward_minutes: i64::from(n % 97),
        walkin_reply_working_days: n % 11,
        warn_at_fraction: [0.75, 0.0, 1.0, -1.0, 2.0, f64::NAN][usize::from(flags >> 5) % 6],
    };
    for kind in [RecordKind::Repair, RecordKind::Complaint, RecordKind::WalkinComplaint, RecordKind::CallLog, RecordKind::Task] {
        let facts = RecordFacts {
            urgent: flags & 1 != 0,
            promised_reply_hours: (flags & 2 != 0).then_some(n % 1000),
            task_due: (flags & 4 != 0).then_some(other),
            // A call log filed later than the day it records is due at that day's close.
            log_date: (flags & 16 != 0).then(|| other.with_timezone(&SHANGHAI).date_naive()),
        };
        let Ok(obs) = desk::obligations(kind, at, &facts, &rules, cal, hours) else { continue };
        for o in obs {
            // An assigner's own due date may lie anywhere; every other
            // deadline is computed from the receipt.
            if (kind == RecordKind::Task && facts.task_due.is_some()) || (kind == RecordKind::CallLog && facts.log_date.is_some()) {
                continue;
            }
            assert!(o.due >= at, "{kind:?}: due {} before receipt {at}", o.due);
            assert!(at <= o.warn_at && o.warn_at <= o.due, "{kind:?}: warning {} outside {at}..{}", o.warn_at, o.due);
        }
    }
    if let Ok(close) = desk::close_of_working_day(cal, hours, at) {
        assert!(close > at, "close of working day {close} not after {at}");
    }
    let _ = desk::end_of_day(hours, at);
    let (start, end) = if at <= other { (at, other) } else { (other, at) };
    if let Ok(h) = desk::overtime_hours(cal, hours, start, end, flags & 8 != 0) {
        let span_hours = (end - start).num_hours();
        assert!(i64::from(h) <= span_hours, "{h} hours of overtime in {span_hours} hours");
        if flags & 8 == 0 {
            assert_eq!(h, 0);
        }
    }
    let clock_in = NaiveTime::from_num_seconds_from_midnight_opt(n % 86_400, 0);
    let notice = Notice { notified: flags & 16 != 0, approved: flags & 32 != 0 };
    let _ = desk::day_status(cal, date, clock_in.filter(|_| flags & 64 != 0), notice);
    let later = |d: u32| date.checked_add_days(chrono::Days::new(u64::from(d % 40))).unwrap_or(date);
    let _ = desk::check_makeup_leave(cal, date, later(n), later(n >> 8));
    let _ = desk::makeup_expires(date);
    let _ = other.with_timezone(&SHANGHAI).hour();
}

// ---------------------------------------------------------------------------
// calendar: import
// ---------------------------------------------------------------------------

const CALENDAR_NAMES: [&str; 6] = ["calendar/2026.toml", "calendar/2025.toml", "2024.toml", "holidays.toml", "calendar/1900.toml", "calendar/99999999999999999999999.toml"];

/// Imports holiday files decoded from the input: one file of its own text,
/// or an embedded file with its text replaced, alone or beside the others.
pub fn calendar_import(data: &[u8]) {
    let mut b = Bytes::new(data);
    let mode = b.u8();
    let text = b.rest_str();
    let embedded: Vec<(String, String)> =
        kefu_core::calendar::EMBEDDED_SOURCES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let files: Vec<(String, String)> = match mode % 4 {
        0 => vec![(CALENDAR_NAMES[usize::from(mode >> 2) % CALENDAR_NAMES.len()].to_string(), text)],
        1 => {
            let mut files = embedded;
            let i = usize::from(mode >> 2) % files.len();
            files[i].1 = text;
            files
        }
        2 => {
            let mut files = embedded;
            files.push((CALENDAR_NAMES[usize::from(mode >> 2) % CALENDAR_NAMES.len()].to_string(), text));
            files
        }
        _ => {
            // Two files of the input's own, split at the first NUL.
            let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
            vec![("calendar/a.toml".to_string(), a.to_string()), ("calendar/b.toml".to_string(), b.to_string())]
        }
    };
    check_calendar_import(&files);
}

pub fn check_calendar_import(files: &[(String, String)]) {
    let result = HolidayCalendar::from_sources(files);
    match &result {
        Ok(cal) => {
            for h in cal.holidays() {
                assert!(h.from <= h.to);
                for d in h.from.iter_days().take_while(|d| *d <= h.to) {
                    if cal.covers(d.year()) {
                        let info = cal.day(d).expect("a covered year");
                        assert_eq!(info.kind, DayKind::Holiday, "{d} of {} is a holiday", h.name);
                        assert_eq!(info.festival, Some(h.festival));
                    }
                }
                for &d in &h.makeup_workdays {
                    if cal.covers(d.year()) {
                        let info = cal.day(d).expect("a covered year");
                        assert!(info.kind == DayKind::Workday && info.makeup, "{d} is a make-up workday");
                    }
                }
            }
            for y in cal.years() {
                assert!(cal.source(y).is_some_and(|s| !s.trim().is_empty()));
            }
        }
        Err(CalendarError::Parse { file, line, .. }) => {
            let text = &files.iter().find(|(n, _)| n == file).expect("the error names an input file").1;
            assert!(*line >= 1 && *line <= text.matches('\n').count() + 1, "line {line} of {file}");
        }
        Err(CalendarError::Invalid { file, .. }) => assert!(files.iter().any(|(n, _)| n == file)),
        Err(other) => panic!("from_sources failed with {other}"),
    }
    // Whether the files validate, and what they say, does not depend on their order.
    let reversed: Vec<(String, String)> = files.iter().rev().cloned().collect();
    let again = HolidayCalendar::from_sources(&reversed);
    match (&result, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the calendar does not depend on the order of its files"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("order of the files changes validity: {:?} vs {:?}", a.as_ref().err(), b.as_ref().err()),
    }
}

// ---------------------------------------------------------------------------
// pattern compiling
// ---------------------------------------------------------------------------

/// Compiles the input as a pattern; a pattern that compiles is built into a
/// matcher, which must find it in a text made of its own fragments.
pub fn pattern_compile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_pattern(&text, &text);
}

pub fn check_pattern(pattern_text: &str, haystack: &str) {
    let Ok(seqs) = pattern::compile(pattern_text) else { return };
    assert!(!seqs.is_empty(), "a compiled pattern has a sequence");
    for s in &seqs {
        assert!(!s.segments.is_empty());
        assert_eq!(s.gaps.len(), s.segments.len() - 1, "one gap between two segments");
        for segment in &s.segments {
            assert!(!segment.is_empty(), "a segment has a fragment");
            for f in segment {
                assert!(!f.is_empty(), "no empty fragment");
                // Normalised: nothing in it that normalisation skips or changes.
                assert!(f.chars().all(|c| normalize_char(c) == Norm::Keep(c)), "fragment {f:?} is not normalised");
            }
        }
    }
    let Ok(matcher) = Matcher::new(seqs.iter().enumerate().map(|(i, s)| (i as u32, s))) else { return };
    let mut scratch = Scratch::default();
    for text in [haystack.to_string(), pattern_text.to_string()] {
        let chars = text.chars().count();
        for h in matcher.find(&text, &mut scratch) {
            assert!(h.start <= h.core_start && h.core_start < h.end && h.end <= chars, "hit {h:?} in {chars} chars");
        }
    }
    // Each sequence's first fragments side by side is a match of that
    // sequence, with a space wherever two equal characters meet (a fragment
    // holds a run only where its pattern had a boundary: 谢，谢 → 谢谢).
    for (i, s) in seqs.iter().enumerate() {
        if s.one_clause {
            continue;
        }
        let mut text = String::new();
        for seg in &s.segments {
            text.push(' ');
            for c in seg[0].chars() {
                if text.ends_with(c) {
                    text.push(' ');
                }
                text.push(c);
            }
        }
        let found = matcher.find(&text, &mut scratch);
        assert!(found.iter().any(|h| h.owner == i as u32), "sequence {i} {s:?} not found in {text:?}");
    }
}

// ---------------------------------------------------------------------------
// rulebook loading
// ---------------------------------------------------------------------------

/// The smallest rulebook that loads: the header, the fixed categories,
/// scenarios, checks and cues, the phrases `opening` and `closing`, no rule.
/// Beside it, an input file's rules, phrases or procedures load in
/// milliseconds, where the embedded rulebook takes about a second under the
/// fuzzer's instrumentation.
pub fn skeleton_rulebook() -> String {
    let mut t = String::from("[rulebook]\nformat = 1\nversion = \"0\"\nname = \"skeleton\"\ncompany = \"旭日\"\nwork_no = \"0731\"\n");
    for id in kefu_core::rulebook::CATEGORY_IDS {
        t.push_str(&format!("\n[[category]]\nid = \"{id}\"\nname = \"{id}\"\ndoc = \"d\"\nsource = \"s\"\n"));
    }
    for id in SCENARIO_IDS {
        t.push_str(&format!("\n[[scenario]]\nid = \"{id}\"\nname = \"{id}\"\nreply = \"opening\"\nsource = \"s\"\n"));
    }
    for (id, text) in [("opening", "{time_greeting}，{company}，工号{work_no}"), ("closing", "{farewell_wish}再见")] {
        t.push_str(&format!("\n[[phrase]]\nid = \"{id}\"\nsituation = \"s\"\nsource = \"s\"\ntext = \"{text}\"\n"));
    }
    for id in kefu_core::rulebook::CHECK_IDS {
        t.push_str(&format!("\n[[check]]\nid = \"{id}\"\nname = \"{id}\"\npoints = 1\nsource = \"s\"\n"));
    }
    for id in kefu_core::rulebook::CUE_IDS {
        t.push_str(&format!("\n[[cue]]\nid = \"{id}\"\nname = \"{id}\"\nsource = \"s\"\npatterns = [\"您好\"]\n"));
    }
    t
}

/// Loads a rulebook made of the input and others: mostly the input beside
/// the skeleton rulebook (fast, and what it defines can load), else the
/// input alone under an embedded file's name, or one embedded file replaced
/// by the input among all the others. A rulebook that loads is compiled
/// into an engine whose examples are run.
pub fn rulebook_load(data: &[u8]) {
    let mut b = Bytes::new(data);
    let pick = usize::from(b.u8());
    let mode = b.u8();
    let text = b.rest_str();
    let mut files = embedded_files();
    let i = pick % files.len();
    let files = match mode % 8 {
        0..=3 => vec![("skeleton.toml".to_string(), skeleton_rulebook()), (files[i].0.clone(), text)],
        4..=6 => vec![(files[i].0.clone(), text)],
        _ => {
            files[i].1 = text;
            files
        }
    };
    check_rulebook(&files);
}

pub fn check_rulebook(files: &[(String, String)]) {
    match Rulebook::from_files(files) {
        Ok(book) => {
            if let Ok(e) = Engine::new(book, HolidayCalendar::embedded_default()) {
                let _ = e.run_examples();
                let _ = e.lint("这事儿不归我管，你找别的部门。");
                let _ = e.classify("我要投诉你们的师傅");
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "an Err has errors");
            for err in &errors {
                assert!(err.line >= 1, "line {} in {err}", err.line);
                if let Some((_, text)) = files.iter().find(|(n, _)| *n == err.file) {
                    assert!(err.line <= text.matches('\n').count() + 1, "line {} past the end of {}", err.line, err.file);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// transcript decoding and inspection
// ---------------------------------------------------------------------------

/// Decodes the input as JSON into a conversation, validates and inspects it;
/// a conversation that decodes but does not validate is inspected as well
/// (the engine must not panic on it either).
pub fn transcript_inspect(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    check_transcript(engine(), value);
}

pub fn check_transcript(e: &Engine, value: serde_json::Value) {
    if let Ok(conv) = Conversation::from_json(value.clone()) {
        assert!(conv.validate().is_ok());
        let card = e.inspect(&conv);
        check_scorecard(e, &conv, &card);
        // What it serialises to reads back as the same conversation.
        let back = serde_json::to_value(&conv).expect("a conversation serialises");
        let again = Conversation::from_json(back).expect("a serialised conversation reads back");
        assert_eq!(again, conv);
    }
    let unwrapped = match value.get("conversation") {
        Some(inner) if value.get("turns").is_none() => inner.clone(),
        _ => value,
    };
    if let Ok(conv) = serde_json::from_value::<Conversation>(unwrapped) {
        let card = e.inspect(&conv);
        check_scorecard(e, &conv, &card);
    }
}

/// A scorecard has one result per check of the rulebook, in order, a score
/// of at most 100 (0 when vetoed), and evidence that quotes its turn.
pub fn check_scorecard(e: &Engine, conv: &Conversation, card: &Scorecard) {
    assert_eq!(card.checks.len(), e.rulebook.checks.len());
    assert!(card.checks.iter().zip(&e.rulebook.checks).all(|(r, c)| r.id == c.id));
    assert!(card.score <= 100, "score {}", card.score);
    if card.vetoed {
        assert_eq!(card.score, 0);
    }
    assert_eq!(card.id, conv.id);
    for check in &card.checks {
        assert_eq!(check.truncated, check.evidence_total.is_some());
        if let Some(total) = check.evidence_total {
            assert!(total > check.evidence.len());
        }
        for ev in &check.evidence {
            assert!(ev.start <= ev.end);
            if ev.text.is_empty() {
                continue;
            }
            let turn = conv.turns.get(ev.turn).expect("evidence with text names a turn");
            let quoted: String = turn.text.chars().skip(ev.start).take(ev.end - ev.start).collect();
            assert_eq!(ev.text, quoted, "{}: evidence quotes turn {} at {}..{}", check.id, ev.turn, ev.start, ev.end);
        }
    }
}
