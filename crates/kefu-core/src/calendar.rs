//! The PRC statutory holiday calendar (法定节假日与调休) and deadline arithmetic.
//!
//! * [`HolidayCalendar`] holds the State Council's yearly holiday schedules
//!   (国务院办公厅关于部分节假日安排的通知), one TOML file per year, see
//!   `rulebook/calendar/README.md`. A date of a year without a file is never
//!   guessed: it is [`CalendarError::YearNotCovered`].
//! * [`ProvisionalCalendar`] answers a year without a schedule
//!   *provisionally* — weekends and the statutory festival days of
//!   《全国年节及纪念日放假办法》, without 调休 — and remembers which years
//!   it guessed, so that a deadline computed with it can be marked 暂定 and
//!   recomputed once the year's schedule is imported.
//! * [`spring_festival`] computes 农历正月初一 from the lunisolar calendar.
//! * [`greeting_festival`] says whether a festival greeting (节日好 / 新年好)
//!   applies on a date.
//! * [`due_after_minutes`], [`due_after_working_hours`] and
//!   [`due_after_working_days`] compute response deadlines in China Standard
//!   Time ([`SHANGHAI`]).
//!
//! Everything here is pure: no file or network I/O, no clock, no panics on
//! user-controlled input. The files are passed in as text
//! ([`HolidayCalendar::from_sources`]) or come embedded in the binary
//! ([`HolidayCalendar::embedded_default`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use chinese_lunisolar_calendar::LunisolarDate;
use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Weekday,
};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::lines::Lines;

/// China Standard Time, UTC+08:00.
///
/// China has had no daylight saving time since 1991, so a fixed offset is
/// exact for every date this module handles.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"), // evaluated at compile time
};

/// The holiday files embedded in the binary: `(file name, TOML text)`, in
/// year order. These are the files under `rulebook/calendar/`.
pub const EMBEDDED_SOURCES: &[(&str, &str)] = &[
    (
        "calendar/2024.toml",
        include_str!("../../../rulebook/calendar/2024.toml"),
    ),
    (
        "calendar/2025.toml",
        include_str!("../../../rulebook/calendar/2025.toml"),
    ),
    (
        "calendar/2026.toml",
        include_str!("../../../rulebook/calendar/2026.toml"),
    ),
];

/// How far (in calendar days) a deadline search may walk before giving up
/// with [`CalendarError::SearchLimit`]: five years.
pub const MAX_SEARCH_DAYS: u32 = 5 * 366;

/// What kind of day a date is under the statutory calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A working day: Monday to Friday outside holidays, or a make-up
    /// workday (调休上班) on a Saturday or Sunday. Serialised as `"workday"`.
    Workday,
    /// An ordinary weekend day. Serialised as `"rest"`.
    Rest,
    /// A day of a statutory holiday period (放假), whatever its weekday.
    /// Serialised as `"holiday"`.
    Holiday,
}

/// The statutory festivals of the State Council's yearly notice.
///
/// Serialised as the snake_case [`Festival::id`], e.g. `"spring_festival"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Festival {
    /// 元旦 (`new_year`)
    NewYear,
    /// 春节 (`spring_festival`)
    SpringFestival,
    /// 清明节 (`qingming`)
    Qingming,
    /// 劳动节 (`labour_day`)
    LabourDay,
    /// 端午节 (`dragon_boat`)
    DragonBoat,
    /// 中秋节 (`mid_autumn`)
    MidAutumn,
    /// 国庆节 (`national_day`)
    NationalDay,
    /// 国庆节·中秋节 (`mid_autumn_national_day`): one merged holiday when
    /// 中秋 falls in the National Day week, e.g. 2025.
    MidAutumnNationalDay,
}

impl Festival {
    /// Every festival, in the order of the State Council's notice.
    pub const ALL: [Festival; 8] = [
        Festival::NewYear,
        Festival::SpringFestival,
        Festival::Qingming,
        Festival::LabourDay,
        Festival::DragonBoat,
        Festival::MidAutumn,
        Festival::NationalDay,
        Festival::MidAutumnNationalDay,
    ];

    /// The stable snake_case id used in the TOML files, e.g. `"labour_day"`.
    pub fn id(self) -> &'static str {
        match self {
            Festival::NewYear => "new_year",
            Festival::SpringFestival => "spring_festival",
            Festival::Qingming => "qingming",
            Festival::LabourDay => "labour_day",
            Festival::DragonBoat => "dragon_boat",
            Festival::MidAutumn => "mid_autumn",
            Festival::NationalDay => "national_day",
            Festival::MidAutumnNationalDay => "mid_autumn_national_day",
        }
    }

    /// The Chinese name, e.g. `"劳动节"`.
    pub fn name(self) -> &'static str {
        match self {
            Festival::NewYear => "元旦",
            Festival::SpringFestival => "春节",
            Festival::Qingming => "清明节",
            Festival::LabourDay => "劳动节",
            Festival::DragonBoat => "端午节",
            Festival::MidAutumn => "中秋节",
            Festival::NationalDay => "国庆节",
            Festival::MidAutumnNationalDay => "国庆节·中秋节",
        }
    }

    /// The festival with this [`Festival::id`], if any.
    pub fn from_id(id: &str) -> Option<Festival> {
        Festival::ALL.into_iter().find(|f| f.id() == id)
    }
}

impl fmt::Display for Festival {
    /// Writes the Chinese name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One date under the statutory calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayInfo {
    /// The date.
    pub date: NaiveDate,
    /// Workday, ordinary rest day or holiday.
    pub kind: DayKind,
    /// For a [`DayKind::Holiday`], the festival whose holiday it is; for a
    /// make-up workday (`makeup == true`), the festival whose 调休 it pays
    /// back; otherwise `None`.
    pub festival: Option<Festival>,
    /// `true` for a make-up workday (调休上班): a Saturday or Sunday that is
    /// a [`DayKind::Workday`].
    pub makeup: bool,
}

/// Errors of the holiday calendar and of the deadline computations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The calendar has no file for this year; nothing about it is guessed.
    #[error(
        "没有 {year} 年的节假日数据：请导入国务院公布的 {year} 年节假日安排 (rulebook/calendar/{year}.toml)"
    )]
    YearNotCovered {
        /// The year that is missing.
        year: i32,
    },
    /// A holiday file is not valid TOML or does not have the expected
    /// shape (unknown key, wrong type, unknown festival id, …).
    #[error("{file} 第 {line} 行：{message}")]
    Parse {
        /// The file name as passed to [`HolidayCalendar::from_sources`].
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A holiday file parses but its content is wrong (bad date, `from`
    /// after `to`, a make-up workday that is not a weekend, overlapping
    /// days, duplicate year, …). `message` starts with the line number
    /// (`第 N 行：`) when the problem has a place in the file.
    #[error("{file}：{message}")]
    Invalid {
        /// The file name as passed to [`HolidayCalendar::from_sources`].
        file: String,
        /// What is wrong.
        message: String,
    },
    /// [`WorkingHours::new`] was given unusable periods.
    #[error("工作时间设置无效：{message}")]
    WorkingHours {
        /// What is wrong.
        message: String,
    },
    /// A negative duration was asked of a working-time computation.
    #[error("工作时长不能为负数：{minutes} 分钟")]
    NegativeDuration {
        /// The duration asked for.
        minutes: i64,
    },
    /// A deadline search walked [`MAX_SEARCH_DAYS`] days without finding
    /// enough working time.
    #[error(
        "从 {from} 起 {days} 天内凑不够所需的工作时间，已停止计算（请检查工作时间与节假日数据）"
    )]
    SearchLimit {
        /// The day the search started.
        from: NaiveDate,
        /// How many days were searched.
        days: u32,
    },
}

/// One statutory holiday period of a year's schedule, as read from its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    /// The year of the file (the schedule) it comes from.
    pub year: i32,
    /// Which festival.
    pub festival: Festival,
    /// The name as written in the file, e.g. `"春节"`.
    pub name: String,
    /// First day off.
    pub from: NaiveDate,
    /// Last day off (inclusive).
    pub to: NaiveDate,
    /// Saturdays/Sundays that are worked to make up for it (调休上班).
    pub makeup_workdays: Vec<NaiveDate>,
    /// Optional remark from the file.
    pub note: Option<String>,
}

/// What the calendar knows about a special date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Special {
    festival: Festival,
    makeup: bool,
}

/// The statutory holiday calendar: the State Council's schedules for a set
/// of years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    /// year → the `source` line of its file.
    sources: BTreeMap<i32, String>,
    /// Every holiday day and make-up workday of every file.
    special: BTreeMap<NaiveDate, Special>,
    /// The holiday periods, in date order.
    holidays: Vec<Holiday>,
}

// ---------------------------------------------------------------------------
// File format
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    year: Spanned<i64>,
    source: Spanned<String>,
    #[serde(default)]
    holiday: Vec<Spanned<RawHoliday>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    festival: Spanned<Festival>,
    name: Spanned<String>,
    from: Spanned<toml::Value>,
    to: Spanned<toml::Value>,
    #[serde(default)]
    makeup_workdays: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    note: Option<String>,
}

/// The earliest and latest `year` a file may state.
const YEAR_RANGE: std::ops::RangeInclusive<i64> = 1900..=9999;

/// Context for the errors of one file.
struct FileCtx<'a> {
    name: &'a str,
    text: &'a str,
    lines: Lines,
}

impl FileCtx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }
}

impl FileCtx<'_> {
    fn invalid(&self, span: Range<usize>, message: impl fmt::Display) -> CalendarError {
        CalendarError::Invalid {
            file: self.name.to_string(),
            message: format!("第 {} 行：{}", self.line_of(span.start), message),
        }
    }

    fn parse_error(&self, err: &toml::de::Error) -> CalendarError {
        let line = err
            .span()
            .map(|span| self.line_of(span.start))
            .unwrap_or(1);
        CalendarError::Parse {
            file: self.name.to_string(),
            line,
            message: err.message().trim().to_string(),
        }
    }

    /// A date written as `"2026-01-01"` (or as a bare TOML date).
    fn date(&self, value: &Spanned<toml::Value>, key: &str) -> Result<NaiveDate, CalendarError> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            other => {
                return Err(self.invalid(
                    value.span(),
                    format!(
                        "{key} 应是 \"YYYY-MM-DD\" 格式的日期，实际是 {}",
                        other.type_str()
                    ),
                ))
            }
        };
        let well_formed = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) if well_formed => Ok(date),
            _ => Err(self.invalid(
                value.span(),
                format!(
                    "{key} = \"{text}\" 不是有效日期，应写成 \"YYYY-MM-DD\"，例如 \"2026-10-01\""
                ),
            )),
        }
    }
}

/// The year a file name such as `calendar/2026.toml` announces, if any.
fn year_of_file_name(name: &str) -> Option<i64> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.strip_suffix(".toml").unwrap_or(base);
    if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
        stem.parse().ok()
    } else {
        None
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn weekday_zh(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// Where a special date was declared, for overlap messages.
struct Declared<'a> {
    file: &'a str,
    line: usize,
    festival: Festival,
    makeup: bool,
}

impl HolidayCalendar {
    /// Builds a calendar from holiday files: `(file name, TOML text)` pairs,
    /// one file per year (see `rulebook/calendar/README.md`).
    ///
    /// Validates that every file parses (unknown keys are rejected), that
    /// the year is stated once across all files and matches a numeric file
    /// name (`2026.toml` must say `year = 2026`), that every date is a real
    /// `YYYY-MM-DD` date of the stated year (only 元旦 and its make-up days
    /// may reach back into December of the previous year), that `from <=
    /// to`, that every make-up workday is a Saturday or Sunday, that a
    /// festival appears at most once per file (and `mid_autumn_national_day`
    /// not together with `mid_autumn` or `national_day`), and that no date
    /// is declared twice (holiday days do not overlap each other or make-up
    /// days, across all files). Errors carry the file name and line.
    ///
    /// An empty list gives an empty calendar, under which every date is
    /// [`CalendarError::YearNotCovered`].
    pub fn from_sources<N: AsRef<str>, T: AsRef<str>>(
        files: &[(N, T)],
    ) -> Result<Self, CalendarError> {
        let mut sources: BTreeMap<i32, String> = BTreeMap::new();
        let mut year_files: BTreeMap<i32, &str> = BTreeMap::new();
        let mut declared: BTreeMap<NaiveDate, Declared<'_>> = BTreeMap::new();
        let mut holidays = Vec::new();

        for (name, text) in files {
            let ctx = FileCtx {
                name: name.as_ref(),
                text: text.as_ref(),
                lines: Lines::of(text.as_ref()),
            };
            let raw: RawFile = toml::from_str(ctx.text).map_err(|e| ctx.parse_error(&e))?;

            // year
            let year_span = raw.year.span();
            let year_raw = *raw.year.get_ref();
            if !YEAR_RANGE.contains(&year_raw) {
                return Err(ctx.invalid(
                    year_span,
                    format!(
                        "year = {year_raw} 不在 {}..={} 之内",
                        YEAR_RANGE.start(),
                        YEAR_RANGE.end()
                    ),
                ));
            }
            let year = year_raw as i32; // in 1900..=9999
            if let Some(named) = year_of_file_name(ctx.name) {
                if named != year_raw {
                    return Err(ctx.invalid(
                        year_span,
                        format!("文件名表示 {named} 年，但 year = {year}；请让两者一致"),
                    ));
                }
            }
            if let Some(other) = year_files.get(&year) {
                return Err(ctx.invalid(
                    year_span,
                    format!("{year} 年的节假日安排重复：{other} 已经给出了 {year} 年"),
                ));
            }
            year_files.insert(year, ctx.name);

            // source
            let source = raw.source.get_ref().trim();
            if source.is_empty() {
                return Err(ctx.invalid(
                    raw.source.span(),
                    "source 不能为空：请写明依据的通知，例如“国务院办公厅关于2026年部分节假日安排的通知”",
                ));
            }
            sources.insert(year, source.to_string());

            // holidays
            let mut seen_festivals: BTreeMap<Festival, usize> = BTreeMap::new();
            for spanned in &raw.holiday {
                let h = spanned.get_ref();
                let festival = *h.festival.get_ref();
                let line = ctx.line_of(spanned.span().start);

                if let Some(prev_line) = seen_festivals.get(&festival) {
                    return Err(ctx.invalid(
                        h.festival.span(),
                        format!(
                            "{}（{}）在本文件中重复出现，第 {prev_line} 行已经有了",
                            festival.name(),
                            festival.id()
                        ),
                    ));
                }
                let clash = match festival {
                    Festival::MidAutumnNationalDay => [Festival::MidAutumn, Festival::NationalDay]
                        .into_iter()
                        .find(|f| seen_festivals.contains_key(f)),
                    Festival::MidAutumn | Festival::NationalDay => seen_festivals
                        .contains_key(&Festival::MidAutumnNationalDay)
                        .then_some(Festival::MidAutumnNationalDay),
                    _ => None,
                };
                if let Some(other) = clash {
                    return Err(ctx.invalid(
                        h.festival.span(),
                        format!(
                            "{}（{}）与 {}（{}）不能写在同一年：合并放假时只写 mid_autumn_national_day",
                            festival.name(),
                            festival.id(),
                            other.name(),
                            other.id()
                        ),
                    ));
                }
                seen_festivals.insert(festival, line);

                let name = h.name.get_ref().trim();
                if name.is_empty() {
                    return Err(ctx.invalid(h.name.span(), "name 不能为空"));
                }

                let from = ctx.date(&h.from, "from")?;
                let to = ctx.date(&h.to, "to")?;
                let in_file_year = |d: NaiveDate| {
                    d.year() == year
                        || (festival == Festival::NewYear
                            && d.year() == year - 1
                            && d.month() == 12)
                };
                for (date, value, key) in [(from, &h.from, "from"), (to, &h.to, "to")] {
                    if !in_file_year(date) {
                        return Err(ctx.invalid(
                            value.span(),
                            format!("{key} = {date} 不在 {year} 年内（本文件是 {year} 年的安排）"),
                        ));
                    }
                }
                if from > to {
                    return Err(ctx.invalid(
                        h.to.span(),
                        format!("假期结束日 to = {to} 早于开始日 from = {from}"),
                    ));
                }

                let mut makeups = Vec::with_capacity(h.makeup_workdays.len());
                for value in &h.makeup_workdays {
                    let date = ctx.date(value, "makeup_workdays")?;
                    if !in_file_year(date) {
                        return Err(ctx.invalid(
                            value.span(),
                            format!(
                                "调休上班日 {date} 不在 {year} 年内（本文件是 {year} 年的安排）"
                            ),
                        ));
                    }
                    if !is_weekend(date) {
                        return Err(ctx.invalid(
                            value.span(),
                            format!(
                                "调休上班日 {date} 是{}，本来就是工作日；调休上班日只能是星期六或星期日",
                                weekday_zh(date)
                            ),
                        ));
                    }
                    makeups.push((date, ctx.line_of(value.span().start)));
                }

                // Record every day, rejecting any date declared twice.
                let mut days: Vec<(NaiveDate, usize, bool)> = from
                    .iter_days()
                    .take_while(|d| *d <= to)
                    .map(|d| (d, line, false))
                    .collect();
                days.extend(makeups.iter().map(|&(d, l)| (d, l, true)));
                for (date, at_line, makeup) in days {
                    if let Some(prev) = declared.get(&date) {
                        let what = |m: bool| if m { "调休上班日" } else { "假期" };
                        return Err(CalendarError::Invalid {
                            file: ctx.name.to_string(),
                            message: format!(
                                "第 {at_line} 行：{date} 作为{}的{}与 {} 第 {} 行{}的{}重叠",
                                festival.name(),
                                what(makeup),
                                prev.file,
                                prev.line,
                                prev.festival.name(),
                                what(prev.makeup)
                            ),
                        });
                    }
                    declared.insert(
                        date,
                        Declared {
                            file: ctx.name,
                            line: at_line,
                            festival,
                            makeup,
                        },
                    );
                }

                let mut makeup_workdays: Vec<NaiveDate> = makeups.iter().map(|&(d, _)| d).collect();
                makeup_workdays.sort();
                holidays.push(Holiday {
                    year,
                    festival,
                    name: name.to_string(),
                    from,
                    to,
                    makeup_workdays,
                    note: h
                        .note
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                });
            }
        }

        holidays.sort_by_key(|h| (h.from, h.to));
        let special = declared
            .into_iter()
            .map(|(date, d)| {
                (
                    date,
                    Special {
                        festival: d.festival,
                        makeup: d.makeup,
                    },
                )
            })
            .collect();
        Ok(HolidayCalendar {
            sources,
            special,
            holidays,
        })
    }

    /// The calendar of the files embedded in the binary
    /// ([`EMBEDDED_SOURCES`], i.e. `rulebook/calendar/*.toml`), or the error
    /// if they do not validate.
    pub fn try_embedded_default() -> Result<Self, CalendarError> {
        Self::from_sources(EMBEDDED_SOURCES)
    }

    /// The calendar of the files embedded in the binary. Never panics: should
    /// the embedded files not validate (the test suite proves they do), the
    /// calendar is empty and every date is [`CalendarError::YearNotCovered`].
    pub fn embedded_default() -> Self {
        Self::try_embedded_default().unwrap_or_default()
    }

    /// The years covered, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.sources.keys().copied().collect()
    }

    /// Whether `year` has a schedule.
    pub fn covers(&self, year: i32) -> bool {
        self.sources.contains_key(&year)
    }

    /// The `source` line of a year's file (the notice it transcribes).
    pub fn source(&self, year: i32) -> Option<&str> {
        self.sources.get(&year).map(String::as_str)
    }

    /// All holiday periods, ordered by first day.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// What kind of day `date` is. A date of a year without a schedule is
    /// [`CalendarError::YearNotCovered`], never a guess.
    pub fn day(&self, date: NaiveDate) -> Result<DayInfo, CalendarError> {
        let year = date.year();
        if !self.covers(year) {
            return Err(CalendarError::YearNotCovered { year });
        }
        Ok(match self.special.get(&date) {
            Some(s) if s.makeup => DayInfo {
                date,
                kind: DayKind::Workday,
                festival: Some(s.festival),
                makeup: true,
            },
            Some(s) => DayInfo {
                date,
                kind: DayKind::Holiday,
                festival: Some(s.festival),
                makeup: false,
            },
            None => DayInfo {
                date,
                kind: if is_weekend(date) {
                    DayKind::Rest
                } else {
                    DayKind::Workday
                },
                festival: None,
                makeup: false,
            },
        })
    }

    /// Whether `date` is a working day (see [`DayKind::Workday`]).
    pub fn is_workday(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.day(date)?.kind == DayKind::Workday)
    }
}

// ---------------------------------------------------------------------------
// Where working days come from: the schedules, or a provisional guess
// ---------------------------------------------------------------------------

/// A source of "what kind of day is this": the strict [`HolidayCalendar`]
/// or a [`ProvisionalCalendar`] over it. The deadline functions take either.
pub trait Workdays {
    /// What kind of day `date` is.
    fn day_info(&self, date: NaiveDate) -> Result<DayInfo, CalendarError>;

    /// Whether `date` is a working day.
    fn workday(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.day_info(date)?.kind == DayKind::Workday)
    }

    /// The years answered by a guess since the last call (and forgets them).
    /// Always empty for the strict calendar.
    fn take_guessed(&self) -> Vec<i32> {
        Vec::new()
    }
}

impl Workdays for HolidayCalendar {
    fn day_info(&self, date: NaiveDate) -> Result<DayInfo, CalendarError> {
        self.day(date)
    }
}

/// The statutory calendar, with years it does not cover answered
/// provisionally instead of refused: Saturdays and Sundays are rest days and
/// the festival days of 《全国年节及纪念日放假办法》 (2024 revision:
/// 元旦 1 day, 春节 除夕 to 初三, 清明, 劳动节 2 days, 端午, 中秋, 国庆节 3 days)
/// are holidays; 调休 (moved and make-up days) cannot be known before the
/// State Council's notice and is not guessed. Every year answered this way
/// is remembered ([`Workdays::take_guessed`], [`ProvisionalCalendar::guessed`]).
#[derive(Debug)]
pub struct ProvisionalCalendar<'a> {
    calendar: &'a HolidayCalendar,
    guessed: RefCell<BTreeSet<i32>>,
    /// The festival days of the years guessed so far (cached per year).
    festivals: RefCell<BTreeMap<i32, BTreeMap<NaiveDate, Festival>>>,
}

impl<'a> ProvisionalCalendar<'a> {
    /// A provisional view of `calendar`.
    pub fn new(calendar: &'a HolidayCalendar) -> Self {
        ProvisionalCalendar { calendar, guessed: RefCell::default(), festivals: RefCell::default() }
    }

    /// Every year answered by a guess so far, ascending.
    pub fn guessed(&self) -> Vec<i32> {
        self.guessed.borrow().iter().copied().collect()
    }
}

impl Workdays for ProvisionalCalendar<'_> {
    fn day_info(&self, date: NaiveDate) -> Result<DayInfo, CalendarError> {
        match self.calendar.day(date) {
            Err(CalendarError::YearNotCovered { year }) => {
                self.guessed.borrow_mut().insert(year);
                let festival = self
                    .festivals
                    .borrow_mut()
                    .entry(year)
                    .or_insert_with(|| statutory_festival_days(year))
                    .get(&date)
                    .copied();
                let kind = match festival {
                    Some(_) => DayKind::Holiday,
                    None if is_weekend(date) => DayKind::Rest,
                    None => DayKind::Workday,
                };
                Ok(DayInfo { date, kind, festival, makeup: false })
            }
            other => other,
        }
    }

    fn take_guessed(&self) -> Vec<i32> {
        std::mem::take(&mut *self.guessed.borrow_mut()).into_iter().collect()
    }
}

/// The reason a deadline computed over `years` without a schedule is
/// provisional (暂定), in Chinese, or `None` when no year was guessed.
pub fn provisional_reason(years: &[i32]) -> Option<String> {
    if years.is_empty() {
        return None;
    }
    let list = years.iter().map(|y| format!("{y} 年")).collect::<Vec<_>>().join("、");
    Some(format!(
        "暂定：尚未导入 {list}节假日安排，按周末和法定节日（《全国年节及纪念日放假办法》）推算，未计调休；导入后自动重算"
    ))
}

/// The statutory festival days of a Gregorian year under 《全国年节及纪念日
/// 放假办法》 (as revised in 2024, in force from 2025): the days off the law
/// itself fixes, before the State Council's yearly notice adds 调休.
/// Lunar dates outside 1901–2100 are left out (no guess beyond the tables).
pub fn statutory_festival_days(year: i32) -> BTreeMap<NaiveDate, Festival> {
    let mut days = BTreeMap::new();
    let mut put = |date: Option<NaiveDate>, festival: Festival| {
        if let Some(d) = date.filter(|d| d.year() == year) {
            days.insert(d, festival);
        }
    };
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    put(ymd(1, 1), Festival::NewYear);
    if let Some(new_year) = spring_festival(year) {
        for offset in -1..=2 {
            put(new_year.checked_add_signed(TimeDelta::days(offset)), Festival::SpringFestival);
        }
    }
    put(qingming(year), Festival::Qingming);
    put(ymd(5, 1), Festival::LabourDay);
    put(ymd(5, 2), Festival::LabourDay);
    put(lunar(year, 5, 5), Festival::DragonBoat);
    put(lunar(year, 8, 15), Festival::MidAutumn);
    for d in 1..=3 {
        put(ymd(10, d), Festival::NationalDay);
    }
    days
}

/// A day of a month of the lunisolar year that starts in `year`.
fn lunar(year: i32, month: u8, day: u8) -> Option<NaiveDate> {
    let year = u16::try_from(year).ok()?;
    LunisolarDate::from_ymd(year, month, false, day).ok().map(|d| d.to_naive_date())
}

/// 清明 (the solar term) of a year of 1901–2099: April 4, 5 or 6, by the
/// usual formula ⌊Y·0.2422 + C⌋ − ⌊Y/4⌋ (Y the year within its century, C
/// the century's constant). Checked against 2024–2026 in the tests.
fn qingming(year: i32) -> Option<NaiveDate> {
    let (y, c) = match year {
        1901..=2000 => (year - 1900, 5.59),
        2001..=2099 => (year - 2000, 4.81),
        _ => return None,
    };
    let day = (f64::from(y) * 0.2422 + c).floor() as i32 - y / 4;
    NaiveDate::from_ymd_opt(year, 4, u32::try_from(day).ok()?)
}

// ---------------------------------------------------------------------------
// Festivals
// ---------------------------------------------------------------------------

/// 农历正月初一 (Chinese New Year's Day) of a Gregorian year, computed from
/// the lunisolar calendar; `None` outside the years it supports (1901–2100).
pub fn spring_festival(year: i32) -> Option<NaiveDate> {
    lunar(year, 1, 1)
}

/// The festival whose greeting (节日好 / 新年好) applies on `date`, if any.
///
/// Only 元旦, 春节, 劳动节 and 国庆节 have one. The result is one of
/// [`Festival::NewYear`], [`Festival::SpringFestival`],
/// [`Festival::LabourDay`] or [`Festival::NationalDay`] (a merged
/// 国庆节·中秋节 holiday counts as [`Festival::NationalDay`]), and it applies
///
/// * on every day of that festival's statutory holiday in the calendar, and
/// * on the festival day itself: January 1, May 1, October 1 and
///   [`spring_festival`] of the year — these are known without the
///   calendar, so they are answered even for a year it does not cover.
///
/// Any other date of a year the calendar does not cover is
/// [`CalendarError::YearNotCovered`].
pub fn greeting_festival(
    cal: &HolidayCalendar,
    date: NaiveDate,
) -> Result<Option<Festival>, CalendarError> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some(Festival::NewYear),
        (5, 1) => Some(Festival::LabourDay),
        (10, 1) => Some(Festival::NationalDay),
        _ if spring_festival(date.year()) == Some(date) => Some(Festival::SpringFestival),
        _ => None,
    };
    let info = match cal.day(date) {
        Ok(info) => info,
        Err(e) => return fixed.map(|f| Ok(Some(f))).unwrap_or(Err(e)),
    };
    let from_data = match (info.kind, info.festival) {
        (DayKind::Holiday, Some(f)) => match f {
            Festival::NewYear | Festival::SpringFestival | Festival::LabourDay => Some(f),
            Festival::NationalDay | Festival::MidAutumnNationalDay => Some(Festival::NationalDay),
            Festival::Qingming | Festival::DragonBoat | Festival::MidAutumn => None,
        },
        _ => None,
    };
    Ok(from_data.or(fixed))
}

// ---------------------------------------------------------------------------
// Working hours and deadlines
// ---------------------------------------------------------------------------

/// The working periods of a working day, in Shanghai wall-clock time.
///
/// Default: 09:00–12:00 and 13:30–18:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    periods: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for WorkingHours {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        WorkingHours {
            periods: vec![(t(9, 0), t(12, 0)), (t(13, 30), t(18, 0))],
        }
    }
}

impl WorkingHours {
    /// Working periods `(start, end)` within one day. They must be
    /// non-empty, each `start < end`, sorted and non-overlapping (one may
    /// end exactly when the next starts).
    pub fn new(periods: Vec<(NaiveTime, NaiveTime)>) -> Result<Self, CalendarError> {
        let err = |message: String| CalendarError::WorkingHours { message };
        if periods.is_empty() {
            return Err(err("至少需要一个工作时段".to_string()));
        }
        for &(start, end) in &periods {
            if start >= end {
                return Err(err(format!(
                    "时段 {}-{} 的开始时间不早于结束时间（不支持跨零点的时段）",
                    start.format("%H:%M"),
                    end.format("%H:%M")
                )));
            }
        }
        for pair in periods.windows(2) {
            let ((s1, e1), (s2, e2)) = (pair[0], pair[1]);
            if s2 < e1 {
                return Err(err(format!(
                    "时段 {}-{} 与 {}-{} 重叠或未按时间顺序排列",
                    s1.format("%H:%M"),
                    e1.format("%H:%M"),
                    s2.format("%H:%M"),
                    e2.format("%H:%M")
                )));
            }
        }
        Ok(WorkingHours { periods })
    }

    /// The periods, sorted.
    pub fn periods(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.periods
    }

    /// When the working day opens: the start of the first period (clock in by then).
    pub fn open(&self) -> NaiveTime {
        self.periods.first().map_or(NaiveTime::MIN, |p| p.0)
    }

    /// When the working day closes: the end of the last period.
    pub fn close(&self) -> NaiveTime {
        self.periods
            .last()
            .map(|&(_, e)| e)
            .unwrap_or(NaiveTime::MIN)
    }
}

/// A Shanghai wall-clock time as a `DateTime`.
fn shanghai_at(local: NaiveDateTime) -> Result<DateTime<FixedOffset>, CalendarError> {
    // A fixed offset maps every local time to exactly one instant; this only
    // fails at the very ends of chrono's range, far outside any calendar year.
    SHANGHAI
        .from_local_datetime(&local)
        .single()
        .ok_or(CalendarError::YearNotCovered { year: local.year() })
}

/// `from` plus `minutes` of wall-clock time (weekends, nights and holidays
/// included), in Shanghai time. Negative minutes go back. Saturates at the
/// ends of chrono's range instead of panicking.
pub fn due_after_minutes(from: DateTime<FixedOffset>, minutes: i64) -> DateTime<FixedOffset> {
    let from = from.with_timezone(&SHANGHAI);
    TimeDelta::try_minutes(minutes)
        .and_then(|delta| from.checked_add_signed(delta))
        .unwrap_or_else(|| {
            let utc = if minutes >= 0 {
                NaiveDate::MAX.and_time(NaiveTime::MIN)
            } else {
                NaiveDateTime::MIN
            };
            SHANGHAI.from_utc_datetime(&utc)
        })
}

/// `from` plus `working_minutes` of working time, in Shanghai time.
///
/// Only the [`WorkingHours`] periods of working days count: Monday to
/// Friday, except statutory holidays, plus make-up Saturdays/Sundays
/// (调休上班). `from` may carry any offset; it is converted to Shanghai
/// first. Starting outside working time starts at the next working period.
/// A deadline landing exactly on the end of a period stays there (12:00,
/// not 13:30). Zero minutes returns `from` converted to Shanghai time.
///
/// Errors: [`CalendarError::YearNotCovered`] for the first date needed that
/// the calendar does not cover, [`CalendarError::NegativeDuration`],
/// [`CalendarError::SearchLimit`] after [`MAX_SEARCH_DAYS`] days.
pub fn due_after_working_hours<W: Workdays + ?Sized>(
    cal: &W,
    hours: &WorkingHours,
    from: DateTime<FixedOffset>,
    working_minutes: i64,
) -> Result<DateTime<FixedOffset>, CalendarError> {
    let from = from.with_timezone(&SHANGHAI);
    if working_minutes < 0 {
        return Err(CalendarError::NegativeDuration {
            minutes: working_minutes,
        });
    }
    if working_minutes == 0 {
        return Ok(from);
    }
    let mut remaining = TimeDelta::try_minutes(working_minutes).unwrap_or(TimeDelta::MAX);
    let start_date = from.date_naive();
    let mut not_before = Some(from.time());
    let mut date = start_date;
    for _ in 0..MAX_SEARCH_DAYS {
        if cal.workday(date)? {
            for &(start, end) in hours.periods() {
                let start = match not_before {
                    Some(t) if t > start => t,
                    _ => start,
                };
                if start >= end {
                    continue;
                }
                let available = end - start;
                if remaining <= available {
                    return shanghai_at(date.and_time(start) + remaining);
                }
                remaining -= available;
            }
        }
        not_before = None;
        date = date
            .succ_opt()
            .ok_or(CalendarError::YearNotCovered { year: date.year() })?;
    }
    Err(CalendarError::SearchLimit {
        from: start_date,
        days: MAX_SEARCH_DAYS,
    })
}

/// The close of the `days`-th working day after the day `from` falls on
/// (in Shanghai time), i.e. the end of the last [`WorkingHours`] period
/// (18:00 by default) of that day.
///
/// The day of receipt itself never counts, even when it is a working day
/// and `from` is early in the morning. Working days are as in
/// [`due_after_working_hours`]. Zero days returns `from` converted to
/// Shanghai time.
///
/// Errors: [`CalendarError::YearNotCovered`] for the first date needed that
/// the calendar does not cover, [`CalendarError::SearchLimit`] after
/// [`MAX_SEARCH_DAYS`] days.
pub fn due_after_working_days<W: Workdays + ?Sized>(
    cal: &W,
    hours: &WorkingHours,
    from: DateTime<FixedOffset>,
    days: u32,
) -> Result<DateTime<FixedOffset>, CalendarError> {
    let from = from.with_timezone(&SHANGHAI);
    if days == 0 {
        return Ok(from);
    }
    let receipt = from.date_naive();
    let mut date = receipt;
    let mut counted = 0u32;
    for _ in 0..MAX_SEARCH_DAYS {
        date = date
            .succ_opt()
            .ok_or(CalendarError::YearNotCovered { year: date.year() })?;
        if cal.workday(date)? {
            counted += 1;
            if counted == days {
                return shanghai_at(date.and_time(hours.close()));
            }
        }
    }
    Err(CalendarError::SearchLimit {
        from: receipt,
        days: MAX_SEARCH_DAYS,
    })
}
