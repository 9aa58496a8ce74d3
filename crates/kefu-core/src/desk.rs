//! The service desk's rules (02 §日常工作、表单提报时间 and §考勤): the
//! deadlines that records create, on working time of the statutory calendar,
//! and the attendance rules. Pure functions; the server stores the records,
//! the obligations and the clock-ins.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::calendar::{due_after_working_days, due_after_working_hours, CalendarError, HolidayCalendar, WorkingHours, Workdays, SHANGHAI};

/// The forms of 02.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// 客户报修记录表
    Repair,
    /// 客户投诉处理通知单
    Complaint,
    /// 上门客诉
    WalkinComplaint,
    /// 客服中心每日接听电话记录表
    CallLog,
    /// 回复制: work assigned to an agent by a supervisor or another department.
    Task,
}

impl RecordKind {
    pub fn parse(s: &str) -> Option<RecordKind> {
        match s {
            "repair" => Some(RecordKind::Repair),
            "complaint" => Some(RecordKind::Complaint),
            "walkin_complaint" => Some(RecordKind::WalkinComplaint),
            "call_log" => Some(RecordKind::CallLog),
            "task" => Some(RecordKind::Task),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Repair => "repair",
            RecordKind::Complaint => "complaint",
            RecordKind::WalkinComplaint => "walkin_complaint",
            RecordKind::CallLog => "call_log",
            RecordKind::Task => "task",
        }
    }

    /// The form's name in the standards.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Repair => "客户报修记录表",
            RecordKind::Complaint => "客户投诉处理通知单",
            RecordKind::WalkinComplaint => "上门客诉",
            RecordKind::CallLog => "客服中心每日接听电话记录表",
            RecordKind::Task => "回复制任务",
        }
    }
}

/// One field of a form: its key in the record's `fields`, its label on the
/// paper form (what the console and the Excel export show), and whether the
/// form cannot be filed without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FormField {
    pub key: &'static str,
    pub label: &'static str,
    pub required: bool,
}

const fn required(key: &'static str, label: &'static str) -> FormField {
    FormField { key, label, required: true }
}

const fn optional(key: &'static str, label: &'static str) -> FormField {
    FormField { key, label, required: false }
}

const REPAIR_FIELDS: &[FormField] = &[
    required("customer", "客户"),
    required("contact", "联系电话"),
    required("address", "地址"),
    required("description", "报修内容"),
    optional("category", "类别"),
    optional("product", "产品"),
    optional("appointment", "预约时间"),
    optional("promised_reply_hours", "承诺回复（工作小时）"),
];
const COMPLAINT_FIELDS: &[FormField] = &[
    required("customer", "客户"),
    required("contact", "联系电话"),
    required("description", "投诉内容"),
    optional("address", "地址"),
    optional("category", "类别"),
    optional("about_staff", "投诉员工"),
    optional("promised_reply_hours", "承诺回复（工作小时）"),
];
const WALKIN_FIELDS: &[FormField] = &[
    required("customer", "客户"),
    required("description", "投诉内容"),
    optional("contact", "联系电话"),
    optional("address", "地址"),
    optional("category", "类别"),
    optional("promised_reply_hours", "承诺回复（工作小时）"),
];
const CALL_LOG_FIELDS: &[FormField] = &[required("date", "日期"), optional("entries", "来电记录")];
const TASK_FIELDS: &[FormField] = &[required("title", "任务"), required("assigned_by", "安排人"), required("description", "内容"), optional("due", "回复期限")];

/// The fields of the forms (and of call-log entries) that hold a customer's
/// personal data — name, phone number, address — which the retention setting
/// deletes from closed records after its period (个人信息保护法: kept no longer
/// than the purpose needs).
pub const PERSONAL_FIELDS: &[&str] = &["customer", "contact", "address", "caller"];

/// The columns of one entry of the daily call log (客服中心每日接听电话记录表).
pub const CALL_LOG_ENTRY_FIELDS: &[FormField] = &[
    optional("time", "时间"),
    optional("caller", "来电人"),
    optional("contact", "联系电话"),
    required("summary", "通话内容"),
    optional("handling", "处理情况"),
];

impl RecordKind {
    /// Every kind, in the order of the standards' forms.
    pub const ALL: [RecordKind; 5] = [RecordKind::Repair, RecordKind::Complaint, RecordKind::WalkinComplaint, RecordKind::CallLog, RecordKind::Task];

    /// The form's fields, required ones first: the one list the server
    /// validates against and the exports take their column labels from.
    pub fn fields(self) -> &'static [FormField] {
        match self {
            RecordKind::Repair => REPAIR_FIELDS,
            RecordKind::Complaint => COMPLAINT_FIELDS,
            RecordKind::WalkinComplaint => WALKIN_FIELDS,
            RecordKind::CallLog => CALL_LOG_FIELDS,
            RecordKind::Task => TASK_FIELDS,
        }
    }

    /// The label of one of the form's fields.
    pub fn label(self, key: &str) -> Option<&'static str> {
        self.fields().iter().find(|f| f.key == key).map(|f| f.label)
    }
}

/// Where a record stands (the `status` the server keeps), in Chinese as the
/// console shows it: `open` 待处理, `forwarded` 已发送主管, `replied` 已回复,
/// `closed` 已关闭.
pub fn record_status_name(status: &str) -> Option<&'static str> {
    match status {
        "open" => Some("待处理"),
        "forwarded" => Some("已发送主管"),
        "replied" => Some("已回复"),
        "closed" => Some("已关闭"),
        _ => None,
    }
}

/// What someone owes by when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    /// Send the form to the responsible supervisor (20 minutes).
    Forward,
    /// An urgent complaint handled with the department first: record it afterwards.
    RecordAfterUrgent,
    /// Answer the customer by the time promised (N working hours).
    Reply,
    /// A walk-in complaint: contact the customer within 3 working days.
    WalkinReply,
    /// Send the day's call log to the direct supervisor, the indirect one in copy.
    DailyLog,
    /// 回复制: report back on the assigned work.
    TaskReply,
}

impl ObligationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObligationKind::Forward => "forward",
            ObligationKind::RecordAfterUrgent => "record_after_urgent",
            ObligationKind::Reply => "reply",
            ObligationKind::WalkinReply => "walkin_reply",
            ObligationKind::DailyLog => "daily_log",
            ObligationKind::TaskReply => "task_reply",
        }
    }

    pub fn parse(s: &str) -> Option<ObligationKind> {
        [
            ObligationKind::Forward,
            ObligationKind::RecordAfterUrgent,
            ObligationKind::Reply,
            ObligationKind::WalkinReply,
            ObligationKind::DailyLog,
            ObligationKind::TaskReply,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            ObligationKind::Forward => "发送主管",
            ObligationKind::RecordAfterUrgent => "紧急投诉补录",
            ObligationKind::Reply => "按承诺时间回复客户",
            ObligationKind::WalkinReply => "上门客诉三个工作日内联系客户",
            ObligationKind::DailyLog => "下班前发送每日接听电话记录表",
            ObligationKind::TaskReply => "回复制：完成后回复",
        }
    }
}

/// An obligation with its deadline and the moment to warn its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub kind: ObligationKind,
    pub due: DateTime<FixedOffset>,
    pub warn_at: DateTime<FixedOffset>,
    pub source: &'static str,
    /// Why the deadline is provisional (暂定): it was computed over a year
    /// the calendar has no schedule for ([`crate::calendar::ProvisionalCalendar`]).
    /// `None` for a final deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisional: Option<String>,
}

/// The numbers of the rules (from the rulebook's `numbers`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeskRules {
    /// 20: a repair request is forwarded within this many working minutes.
    pub repair_forward_minutes: i64,
    /// 20: an ordinary complaint likewise.
    pub complaint_forward_minutes: i64,
    /// 3: a walk-in complaint is answered within this many working days.
    pub walkin_reply_working_days: u32,
    /// The share of the time to a deadline after which its owner is warned.
    pub warn_at_fraction: f64,
}

impl Default for DeskRules {
    fn default() -> Self {
        DeskRules { repair_forward_minutes: 20, complaint_forward_minutes: 20, walkin_reply_working_days: 3, warn_at_fraction: 0.75 }
    }
}

/// What a new record says about its deadlines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFacts {
    /// An urgent complaint: the department first, the form after.
    pub urgent: bool,
    /// "We will reply within N working hours".
    pub promised_reply_hours: Option<u32>,
    /// For tasks: when the assigner wants the reply, if they said.
    pub task_due: Option<DateTime<FixedOffset>>,
    /// For the daily call log: the day it records. Its deadline is the close
    /// of that day's work, whenever the log is filed (a log filed the next
    /// morning is late, not due the next evening).
    pub log_date: Option<chrono::NaiveDate>,
}

/// An obligation due at `due`; provisional when `cal` guessed a year while computing it.
fn obligation<W: Workdays + ?Sized>(cal: &W, kind: ObligationKind, from: DateTime<FixedOffset>, due: DateTime<FixedOffset>, rules: &DeskRules, source: &'static str) -> Obligation {
    let span = due - from;
    let lead = TimeDelta::milliseconds((span.num_milliseconds() as f64 * rules.warn_at_fraction.clamp(0.0, 1.0)) as i64);
    let provisional = crate::calendar::provisional_reason(&cal.take_guessed());
    Obligation { kind, due, warn_at: from.with_timezone(&SHANGHAI) + lead, source, provisional }
}

/// The close of the working day `at` falls on (its own day, whatever kind of day it is).
pub fn end_of_day(hours: &WorkingHours, at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let local = at.with_timezone(&SHANGHAI);
    let close = local.date_naive().and_time(hours.close());
    // A fixed offset maps every local time to one instant.
    close.and_local_timezone(SHANGHAI).single().unwrap_or(local)
}

/// The close of work of the day `at` falls on when that is a working day and
/// not yet closed; otherwise the close of the next working day.
pub fn close_of_working_day<W: Workdays + ?Sized>(cal: &W, hours: &WorkingHours, at: DateTime<FixedOffset>) -> Result<DateTime<FixedOffset>, CalendarError> {
    let close = end_of_day(hours, at);
    if cal.workday(at.with_timezone(&SHANGHAI).date_naive())? && at < close {
        Ok(close)
    } else {
        due_after_working_days(cal, hours, at, 1)
    }
}

/// The obligations a record creates when it is received at `at`.
pub fn obligations<W: Workdays + ?Sized>(
    kind: RecordKind,
    at: DateTime<FixedOffset>,
    facts: &RecordFacts,
    rules: &DeskRules,
    cal: &W,
    hours: &WorkingHours,
) -> Result<Vec<Obligation>, CalendarError> {
    let at = at.with_timezone(&SHANGHAI);
    let mut out = Vec::new();
    let forward = |minutes: i64, source: &'static str| -> Result<Obligation, CalendarError> {
        Ok(obligation(cal, ObligationKind::Forward, at, due_after_working_hours(cal, hours, at, minutes)?, rules, source))
    };
    match kind {
        RecordKind::Repair => out.push(forward(rules.repair_forward_minutes, "02-daily-conduct.md §日常工作、表单提报时间 1")?),
        RecordKind::Complaint if facts.urgent => {
            // 02 names no time for the form after an urgent complaint; kefu's
            // default is the close of the working day it was received on.
            let due = close_of_working_day(cal, hours, at)?;
            out.push(obligation(cal, ObligationKind::RecordAfterUrgent, at, due, rules, "02-daily-conduct.md §日常工作、表单提报时间 2（紧急问题；补录时限为 kefu 默认：当日下班前）"));
        }
        RecordKind::Complaint => out.push(forward(rules.complaint_forward_minutes, "02-daily-conduct.md §日常工作、表单提报时间 2")?),
        RecordKind::WalkinComplaint => {
            let due = due_after_working_days(cal, hours, at, rules.walkin_reply_working_days)?;
            out.push(obligation(cal, ObligationKind::WalkinReply, at, due, rules, "02-daily-conduct.md §上门客户投诉接待规范 8"));
        }
        RecordKind::CallLog => {
            let day_start = facts.log_date.and_then(|d| d.and_hms_opt(0, 0, 0)).and_then(|d| d.and_local_timezone(SHANGHAI).single());
            let due = close_of_working_day(cal, hours, day_start.unwrap_or(at))?;
            out.push(obligation(cal, ObligationKind::DailyLog, at, due, rules, "02-daily-conduct.md §日常工作、表单提报时间 3"));
        }
        RecordKind::Task => {
            let due = match facts.task_due {
                Some(d) => d.with_timezone(&SHANGHAI),
                // 回复制 says "第一时间": without a date from the assigner, the close of the next working day.
                None => due_after_working_days(cal, hours, at, 1)?,
            };
            out.push(obligation(cal, ObligationKind::TaskReply, at, due, rules, "02-daily-conduct.md §日常工作、表单提报时间 5"));
        }
    }
    if let Some(h) = facts.promised_reply_hours.filter(|_| kind != RecordKind::CallLog && kind != RecordKind::Task) {
        let due = due_after_working_hours(cal, hours, at, i64::from(h) * 60)?;
        out.push(obligation(cal, ObligationKind::Reply, at, due, rules, "03-after-sales-phrases.md §客户投诉时; 01-online-service-manual.md（承诺回复时限）"));
    }
    Ok(out)
}

/// Where an obligation stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    Open,
    /// Past the warning time, not yet due.
    Warning,
    /// Past the deadline: escalated.
    Breached,
}

pub fn due_state(o: &Obligation, now: DateTime<FixedOffset>) -> DueState {
    if now > o.due {
        DueState::Breached
    } else if now >= o.warn_at {
        DueState::Warning
    } else {
        DueState::Open
    }
}

// ——— attendance (考勤) ———

/// 09:00: clock in by then on working days.
pub fn clock_in_deadline() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN)
}

/// Whether the employee told their superior in advance, and whether it was approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notice {
    pub notified: bool,
    pub approved: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DayStatus {
    /// A rest day or holiday: no clock-in owed.
    Rest,
    OnTime,
    /// Clocked in after 09:00; `notified` when the superior was told in advance.
    Late { minutes: i64, notified: bool },
    /// Away with approval.
    Leave,
    /// Away, the superior told but not (yet) approved: for the supervisor to decide.
    AbsentNotified,
    /// 旷工: away without prior notice and without approval.
    Truant,
}

/// A working day's attendance (02 §考勤 1).
pub fn day_status(cal: &HolidayCalendar, day: NaiveDate, clock_in: Option<NaiveTime>, notice: Notice) -> Result<DayStatus, CalendarError> {
    day_status_from(cal, day, clock_in, notice, clock_in_deadline())
}

/// [`day_status`] for a team whose working day opens at `opens` (its own
/// hours): clocking in by then is on time.
pub fn day_status_from(cal: &HolidayCalendar, day: NaiveDate, clock_in: Option<NaiveTime>, notice: Notice, opens: NaiveTime) -> Result<DayStatus, CalendarError> {
    if !cal.is_workday(day)? {
        return Ok(DayStatus::Rest);
    }
    Ok(match clock_in {
        Some(t) if t <= opens => DayStatus::OnTime,
        Some(t) => DayStatus::Late { minutes: (t - opens).num_minutes().max(1), notified: notice.notified },
        None if notice.approved => DayStatus::Leave,
        None if notice.notified => DayStatus::AbsentNotified,
        None => DayStatus::Truant,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutingStatus {
    Ok,
    /// Approved but the 外出登记单 was not filled in.
    Unregistered,
    /// 旷工: out without the supervisor's knowledge or approval.
    Truant,
}

/// An outing during working hours (02 §考勤 2).
pub fn outing_status(approved: bool, registered: bool) -> OutingStatus {
    match (approved, registered) {
        (false, _) => OutingStatus::Truant,
        (true, false) => OutingStatus::Unregistered,
        (true, true) => OutingStatus::Ok,
    }
}

/// Why a make-up leave request (调休) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MakeupLeaveError {
    #[error("调休须提前一天申请：{leave} 的调休最晚应在 {latest} 申请")]
    NotAhead { leave: NaiveDate, latest: NaiveDate },
    #[error("调休当月内有效：{earned} 获得的调休已于 {expired} 过期")]
    Expired { earned: NaiveDate, expired: NaiveDate },
    #[error("调休日期 {leave} 早于获得调休的日期 {earned}")]
    BeforeEarned { leave: NaiveDate, earned: NaiveDate },
    #[error("{leave} 不是工作日，无需调休")]
    NotWorkday { leave: NaiveDate },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// The last day a make-up leave earned on `earned` can be taken: the end of that month.
pub fn makeup_expires(earned: NaiveDate) -> NaiveDate {
    let (y, m) = if earned.month() == 12 { (earned.year() + 1, 1) } else { (earned.year(), earned.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).unwrap_or(earned)
}

/// Checks a make-up leave request (02 §考勤 3): requested at least one day
/// ahead, taken on a working day within the month it was earned.
pub fn check_makeup_leave(cal: &HolidayCalendar, earned: NaiveDate, requested_on: NaiveDate, leave: NaiveDate) -> Result<(), MakeupLeaveError> {
    if leave < earned {
        return Err(MakeupLeaveError::BeforeEarned { leave, earned });
    }
    let expired = makeup_expires(earned);
    if leave > expired {
        return Err(MakeupLeaveError::Expired { earned, expired });
    }
    let latest = leave.pred_opt().unwrap_or(leave);
    if requested_on > latest {
        return Err(MakeupLeaveError::NotAhead { leave, latest });
    }
    if !cal.is_workday(leave)? {
        return Err(MakeupLeaveError::NotWorkday { leave });
    }
    Ok(())
}

/// Minutes after the close of work from which weekday-evening overtime counts.
pub const EVENING_OVERTIME_AFTER_MINUTES: i64 = 30;

/// Overtime worked from `start` to `end` (02 §考勤 4): only when requested in
/// advance; in whole hours (a part hour does not count); on a working day
/// only the evening counts, from half an hour after the close of work; on a
/// rest day or holiday all of it. Spans over midnight count per day.
pub fn overtime_hours(
    cal: &HolidayCalendar,
    hours: &WorkingHours,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    requested_in_advance: bool,
) -> Result<u32, CalendarError> {
    if !requested_in_advance || end <= start {
        return Ok(0);
    }
    let (start, end) = (start.with_timezone(&SHANGHAI), end.with_timezone(&SHANGHAI));
    let mut minutes = 0i64;
    let mut day = start.date_naive();
    while day <= end.date_naive() {
        let day_start = day.and_time(NaiveTime::MIN).and_local_timezone(SHANGHAI).single();
        let next = day.succ_opt().and_then(|d| d.and_time(NaiveTime::MIN).and_local_timezone(SHANGHAI).single());
        let (Some(day_start), Some(next)) = (day_start, next) else { break };
        let mut from = start.max(day_start);
        let to = end.min(next);
        if cal.is_workday(day)? {
            let evening = end_of_day(hours, day_start) + TimeDelta::minutes(EVENING_OVERTIME_AFTER_MINUTES);
            from = from.max(evening);
        }
        if to > from {
            minutes += (to - from).num_minutes();
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    Ok(u32::try_from(minutes / 60).unwrap_or(u32::MAX))
}
