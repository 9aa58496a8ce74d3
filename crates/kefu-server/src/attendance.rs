//! Attendance (考勤, 02 §考勤) over HTTP: clock-ins (one's own, or imported
//! from the time clock by a supervisor), advance notices and their approval,
//! outings, make-up leave (调休) and overtime requests, and the monthly
//! report per person that the rules of the core decide.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime};
use kefu_core::calendar::SHANGHAI;
use kefu_core::desk::{check_makeup_leave, day_status_from, outing_status, overtime_hours, DayStatus, Notice, OutingStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, Role};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use kefu_store::attendance::AttendanceRequest;
use kefu_store::User;
use crate::AppState;

fn today() -> NaiveDate {
    crate::clock::now_shanghai().date_naive()
}

fn parse_day(s: &str, field: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ApiError::bad_request("invalid_field", format!("{field} 应为 YYYY-MM-DD")))
}

/// The account an attendance call is about: the caller, or (supervisors, their team; admins, anyone) another.
async fn subject(state: &AppState, auth: &Auth, username: Option<&str>) -> Result<User, ApiError> {
    let Some(name) = username.filter(|n| *n != auth.user.username) else { return Ok(auth.user.clone()) };
    auth.require(Role::Supervisor)?;
    let store = state.store.clone();
    let name = name.to_string();
    let user = tokio::task::spawn_blocking(move || store.user_by_name(&name)).await??.ok_or_else(|| ApiError::not_found("没有这个账号"))?;
    if auth.user.role == Role::Supervisor && user.team != auth.user.team {
        return Err(ApiError::not_found("没有这个账号"));
    }
    Ok(user)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ClockInRequest {
    /// Supervisors importing from the time clock: whose, which day, what time. Default: the caller, now.
    pub user: Option<String>,
    pub day: Option<String>,
    /// HH:MM
    pub time: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/attendance/clock-in", tag = "attendance", request_body = ClockInRequest, responses((status = 201, body = DayReport)))]
/// Clocks in (打卡): the caller now, or a supervisor's import of the time clock.
pub async fn clock_in(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<ClockInRequest>) -> Result<(StatusCode, Json<DayReport>), ApiError> {
    let importing = req.day.is_some() || req.time.is_some() || req.user.is_some();
    if importing {
        auth.require(Role::Supervisor)?;
    }
    let user = subject(&state, &auth, req.user.as_deref()).await?;
    let now = crate::clock::now_shanghai();
    let day = match &req.day {
        Some(d) => parse_day(d, "day")?,
        None => now.date_naive(),
    };
    if day > now.date_naive() {
        return Err(ApiError::bad_request("invalid_field", "不能为将来的日期打卡"));
    }
    let time = match &req.time {
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| ApiError::bad_request("invalid_field", "time 应为 HH:MM"))?,
        None => now.time(),
    };
    let store = state.store.clone();
    let (uid, by, d, t) = (user.id, auth.user.id, day.to_string(), time.format("%H:%M").to_string());
    tokio::task::spawn_blocking(move || store.put_clock_in(uid, &d, &t, by)).await??;
    let report = month_report(&state, &user, &format!("{:04}-{:02}", day.year(), day.month())).await?;
    // The clocked day is in the report: it has data and is not in the future.
    let today = report.days.into_iter().find(|r| r.day == day.to_string()).ok_or_else(|| ApiError::conflict("该日不在考勤范围内"))?;
    Ok((StatusCode::CREATED, Json(today)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttendanceRequest {
    /// notice (cannot come on time / will be absent) | outing | makeup | overtime
    pub kind: String,
    /// The day concerned (YYYY-MM-DD); for makeup the day of leave.
    pub day: String,
    #[serde(default)]
    pub reason: String,
    /// notice: expected arrival HH:MM. outing: from/to HH:MM and `registered` (外出登记单 filled in).
    pub expected: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub registered: bool,
    /// makeup: the day the leave was earned.
    pub earned_on: Option<String>,
    /// overtime: start and end (RFC 3339).
    pub start: Option<String>,
    pub end: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/attendance/requests", tag = "attendance", request_body = NewAttendanceRequest,
    responses((status = 201, body = AttendanceRequest), (status = 422, description = "against the rules (e.g. 调休 not a day ahead)", body = crate::error::ErrorBody)))]
/// An advance notice, an outing, a make-up leave or an overtime request (each for the supervisor to approve).
pub async fn request(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<NewAttendanceRequest>) -> Result<(StatusCode, Json<AttendanceRequest>), ApiError> {
    let day = parse_day(&req.day, "day")?;
    if req.reason.chars().count() > 1_000 {
        return Err(ApiError::bad_request("invalid_field", "reason 最多 1000 字"));
    }
    let mut detail = serde_json::json!({"reason": req.reason});
    match req.kind.as_str() {
        "notice" => {
            if let Some(e) = &req.expected {
                NaiveTime::parse_from_str(e, "%H:%M").map_err(|_| ApiError::bad_request("invalid_field", "expected 应为 HH:MM"))?;
                detail["expected"] = e.clone().into();
            }
        }
        "outing" => {
            for (name, v) in [("from", &req.from), ("to", &req.to)] {
                let v = v.as_deref().ok_or_else(|| ApiError::bad_request("invalid_field", format!("外出须写明 {name}（HH:MM）")))?;
                NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| ApiError::bad_request("invalid_field", format!("{name} 应为 HH:MM")))?;
                detail[name] = v.into();
            }
            detail["registered"] = req.registered.into();
        }
        "makeup" => {
            let earned = parse_day(req.earned_on.as_deref().unwrap_or(""), "earned_on")?;
            check_makeup_leave(&state.engine().calendar, earned, today(), day).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "against_rules", e.to_string()))?;
            detail["earned_on"] = earned.to_string().into();
        }
        "overtime" => {
            let parse = |v: &Option<String>, name: &str| {
                v.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).ok_or_else(|| ApiError::bad_request("invalid_field", format!("{name} 应为 RFC 3339 时间")))
            };
            let (start, end) = (parse(&req.start, "start")?, parse(&req.end, "end")?);
            if end <= start {
                return Err(ApiError::bad_request("invalid_field", "end 应晚于 start"));
            }
            // Requested in advance means before it starts (02 §考勤 4).
            detail["start"] = start.to_rfc3339().into();
            detail["end"] = end.to_rfc3339().into();
            detail["in_advance"] = (chrono::Utc::now() < start).into();
        }
        other => return Err(ApiError::bad_request("invalid_field", format!("kind 应为 notice、outing、makeup 或 overtime，而不是 {other}"))),
    }
    let store = state.store.clone();
    let (uid, kind, d) = (auth.user.id, req.kind.clone(), day.to_string());
    let r = tokio::task::spawn_blocking(move || store.add_attendance_request(uid, &kind, &d, &detail)).await??;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(post, path = "/api/v1/attendance/requests/{id}/approve", tag = "attendance", params(("id" = i64, Path)), responses((status = 200, body = AttendanceRequest)))]
/// A supervisor approves a request of their team.
pub async fn approve(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<AttendanceRequest>, ApiError> {
    auth.require(Role::Supervisor)?;
    let store = state.store.clone();
    let r = tokio::task::spawn_blocking(move || store.attendance_request(id)).await??.ok_or_else(|| ApiError::not_found("申请不存在"))?;
    let store = state.store.clone();
    let owner = tokio::task::spawn_blocking(move || store.users()).await??.into_iter().find(|u| u.id == r.user_id);
    if auth.user.role == Role::Supervisor && owner.is_none_or(|u| u.team != auth.user.team) {
        return Err(ApiError::not_found("申请不存在"));
    }
    let store = state.store.clone();
    let user = auth.user.clone();
    let approved = tokio::task::spawn_blocking(move || {
        let approved = store.approve_attendance_request(id, &user)?;
        // The requester hears of it (the bell).
        let day = NaiveDate::parse_from_str(&approved.day, "%Y-%m-%d").map_or_else(|_| approved.day.clone(), |d| format!("{}月{}日", d.month(), d.day()));
        let message = format!("你 {day} 的{}申请已由 {} 批准", kind_name(&approved.kind), user.display_name);
        store.notify(approved.user_id, &user.team, "attendance", "#/attendance", &message)?;
        Ok::<_, kefu_store::StoreError>(approved)
    })
    .await??;
    Ok(Json(approved))
}

/// A request's kind as the console says it.
fn kind_name(kind: &str) -> &str {
    match kind {
        "notice" => "请假/迟到报备",
        "outing" => "外出",
        "makeup" => "调休",
        "overtime" => "加班",
        other => other,
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// pending (not yet approved; default) | all
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/attendance/requests", tag = "attendance", params(RequestsQuery), responses((status = 200, body = Vec<kefu_store::attendance::ListedRequest>)))]
/// Requests to approve or see: an agent's own, a supervisor's team's, all for admins; the total in X-Total-Count.
pub async fn requests(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<RequestsQuery>) -> Result<axum::response::Response, ApiError> {
    let page = crate::page::requested(q.limit, q.offset)?;
    let pending = match q.status.as_deref() {
        None | Some("pending") => true,
        Some("all") => false,
        Some(_) => return Err(ApiError::bad_request("invalid_query", "status 应为 pending（待批准）或 all（全部）").with_field("status")),
    };
    let (team, user) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let list = tokio::task::spawn_blocking(move || store.attendance_requests(team.as_deref(), user, pending, page)).await??;
    Ok(crate::page::respond(list, page))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TeamQuery {
    /// YYYY-MM
    pub month: String,
    /// The team (admins; supervisors always see their own).
    pub team: Option<String>,
}

/// One person's row of the team's month.
#[derive(Serialize, ToSchema)]
pub struct TeamRow {
    pub username: String,
    pub display_name: String,
    /// Each day up to today: its status id (rest, on_time, late, leave, absent_notified, truant).
    pub days: Vec<(String, String)>,
    pub on_time: usize,
    pub late: usize,
    pub leave: usize,
    pub truant: usize,
    pub overtime_hours: u32,
}

#[derive(Serialize, ToSchema)]
pub struct TeamMonth {
    pub team: String,
    pub month: String,
    pub people: Vec<TeamRow>,
}

#[utoipa::path(get, path = "/api/v1/attendance/team", tag = "attendance", params(TeamQuery), responses((status = 200, body = TeamMonth), (status = 403, body = crate::error::ErrorBody)))]
/// A team's month as a grid (supervisors: their team; admins: any): each active member's days and totals.
pub async fn team(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<TeamQuery>) -> Result<Json<TeamMonth>, ApiError> {
    auth.require(Role::Supervisor)?;
    let team = match (auth.user.role, q.team) {
        (Role::Admin, Some(t)) => t.trim().to_string(),
        _ => auth.user.team.clone(),
    };
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users()).await??;
    let members: Vec<&User> = users.iter().filter(|u| u.active && u.team == team && !team.is_empty()).collect();
    if members.len() > 500 {
        return Err(ApiError::too_large("班组超过 500 人，请分组查看"));
    }
    let mut people = Vec::with_capacity(members.len());
    for m in members {
        let r = month_report(&state, m, &q.month).await?;
        people.push(TeamRow {
            username: m.username.clone(),
            display_name: m.display_name.clone(),
            days: r.days.iter().map(|d| (d.day.clone(), status_id(&d.status).to_string())).collect(),
            on_time: r.on_time,
            late: r.late,
            leave: r.leave,
            truant: r.truant,
            overtime_hours: r.overtime_hours,
        });
    }
    Ok(Json(TeamMonth { team, month: q.month, people }))
}

fn status_id(s: &DayStatus) -> &'static str {
    match s {
        DayStatus::Rest => "rest",
        DayStatus::OnTime => "on_time",
        DayStatus::Late { .. } => "late",
        DayStatus::Leave => "leave",
        DayStatus::AbsentNotified => "absent_notified",
        DayStatus::Truant => "truant",
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayReport {
    pub day: String,
    pub clock_in: Option<String>,
    #[schema(value_type = Object)]
    pub status: DayStatus,
    /// ok | unregistered | truant, per outing of the day
    pub outings: Vec<String>,
    pub overtime_hours: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthReport {
    pub user: String,
    pub display_name: String,
    pub month: String,
    pub days: Vec<DayReport>,
    pub on_time: usize,
    pub late: usize,
    pub leave: usize,
    pub truant: usize,
    pub overtime_hours: u32,
    pub makeup_leaves: usize,
    pub requests: Vec<AttendanceRequest>,
}

async fn month_report(state: &AppState, user: &User, month: &str) -> Result<MonthReport, ApiError> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| ApiError::bad_request("invalid_query", "month 应为 YYYY-MM"))?;
    let store = state.store.clone();
    let (uid, m) = (user.id, month.to_string());
    let (clock, requests) = tokio::task::spawn_blocking(move || store.attendance_month(uid, &m)).await??;
    let engine = state.engine();
    let cal = &engine.calendar;
    let hours = crate::desk::hours_of(state, &user.team).await?;
    let last = kefu_core::desk::makeup_expires(first);
    let until = last.min(today());
    // Days before the person was known owe nothing: known from the account's
    // creation, or from the first attendance data (imported from the time clock).
    let created = DateTime::parse_from_rfc3339(&user.created_at).map_or(first, |t| t.with_timezone(&SHANGHAI).date_naive());
    let first_data = clock.iter().map(|(d, _)| d.as_str()).chain(requests.iter().map(|r| r.day.as_str())).min().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let since = first_data.map_or(created, |f| f.min(created));
    let mut days = Vec::new();
    let mut d = first.max(since);
    while d <= until {
        let ds = d.to_string();
        let clocked = clock.iter().find(|(day, _)| *day == ds).and_then(|(_, t)| NaiveTime::parse_from_str(t, "%H:%M").ok());
        let of_day: Vec<&AttendanceRequest> = requests.iter().filter(|r| r.day == ds).collect();
        // Today is not over: without a clock-in or a notice yet, nothing is decided.
        if d == today() && clocked.is_none() && of_day.is_empty() {
            break;
        }
        let notice = of_day.iter().filter(|r| r.kind == "notice" || r.kind == "makeup").fold(Notice::default(), |n, r| Notice {
            notified: true,
            approved: n.approved || r.approved_at.is_some(),
        });
        // On time by the team's own hours (09:00 for the default hours).
        let mut status = day_status_from(cal, d, clocked, notice, hours.open()).map_err(crate::desk::calendar_error)?;
        let outings: Vec<String> = of_day
            .iter()
            .filter(|r| r.kind == "outing")
            .map(|r| match outing_status(r.approved_at.is_some(), r.detail["registered"].as_bool().unwrap_or(false)) {
                OutingStatus::Ok => "ok".to_string(),
                OutingStatus::Unregistered => "unregistered".to_string(),
                OutingStatus::Truant => "truant".to_string(),
            })
            .collect();
        if outings.iter().any(|o| o == "truant") {
            status = DayStatus::Truant;
        }
        let mut overtime = 0;
        for r in of_day.iter().filter(|r| r.kind == "overtime" && r.approved_at.is_some()) {
            let (Some(s), Some(e)) = (r.detail["start"].as_str(), r.detail["end"].as_str()) else { continue };
            let (Ok(s), Ok(e)) = (DateTime::parse_from_rfc3339(s), DateTime::parse_from_rfc3339(e)) else { continue };
            overtime += overtime_hours(cal, &hours, s, e, r.detail["in_advance"].as_bool().unwrap_or(false)).map_err(crate::desk::calendar_error)?;
        }
        days.push(DayReport { day: ds, clock_in: clocked.map(|t| t.format("%H:%M").to_string()), status, outings, overtime_hours: overtime });
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    let count = |f: fn(&DayStatus) -> bool| days.iter().filter(|d| f(&d.status)).count();
    Ok(MonthReport {
        user: user.username.clone(),
        display_name: user.display_name.clone(),
        month: month.to_string(),
        on_time: count(|s| *s == DayStatus::OnTime),
        late: count(|s| matches!(s, DayStatus::Late { .. })),
        leave: count(|s| *s == DayStatus::Leave),
        truant: count(|s| *s == DayStatus::Truant),
        overtime_hours: days.iter().map(|d| d.overtime_hours).sum(),
        makeup_leaves: requests.iter().filter(|r| r.kind == "makeup" && r.approved_at.is_some()).count(),
        days,
        requests,
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// YYYY-MM
    pub month: String,
    /// Whose (supervisors: their team; default the caller).
    pub user: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/attendance/report", tag = "attendance", params(ReportQuery), responses((status = 200, body = MonthReport)))]
/// One person's month: every day up to today with its status, outings and overtime.
pub async fn report(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<ReportQuery>) -> Result<Json<MonthReport>, ApiError> {
    let user = subject(&state, &auth, q.user.as_deref()).await?;
    Ok(Json(month_report(&state, &user, &q.month).await?))
}

#[utoipa::path(get, path = "/api/v1/attendance/report.xlsx", tag = "attendance", params(ReportQuery),
    responses((status = 200, description = "the month as a workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
/// One person's month as an Excel workbook (每日明细 and 汇总).
pub async fn report_xlsx(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<ReportQuery>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let user = subject(&state, &auth, q.user.as_deref()).await?;
    let r = month_report(&state, &user, &q.month).await?;
    let bytes = tokio::task::spawn_blocking(move || month_workbook(&r)).await?.map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"attendance.xlsx\""),
        ],
        bytes,
    )
        .into_response())
}

fn status_name(s: &DayStatus) -> String {
    match s {
        DayStatus::Rest => "休息日".into(),
        DayStatus::OnTime => "正常".into(),
        DayStatus::Late { minutes, notified } => format!("迟到 {minutes} 分钟{}", if *notified { "（已报备）" } else { "" }),
        DayStatus::Leave => "请假".into(),
        DayStatus::AbsentNotified => "已报备缺勤（待批准）".into(),
        DayStatus::Truant => "旷工".into(),
    }
}

fn outing_name(s: &str) -> &str {
    match s {
        "ok" => "已批准并登记",
        "unregistered" => "已批准，未填外出登记单",
        "truant" => "未经批准（旷工）",
        other => other,
    }
}

/// The month as a workbook: days as date cells, clock-ins as date-time
/// cells (Asia/Shanghai), states in Chinese, counts as numbers.
fn month_workbook(r: &MonthReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use crate::mail::{excel_date, excel_local, Formats};
    let mut book = rust_xlsxwriter::Workbook::new();
    let f = Formats::new();
    let sheet = book.add_worksheet();
    sheet.set_name("每日明细")?;
    for (c, h) in ["日期", "打卡", "状态", "外出", "加班（小时）"].iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &f.header)?;
    }
    for (i, d) in r.days.iter().enumerate() {
        let row = i as u32 + 1;
        let day = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok();
        match day.and_then(excel_date) {
            Some(x) => sheet.write_datetime_with_format(row, 0, x, &f.date)?,
            None => sheet.write_string(row, 0, &d.day)?,
        };
        let clock = d.clock_in.as_deref().and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
        match day.zip(clock).and_then(|(d, t)| excel_local(d.and_time(t))) {
            Some(x) => sheet.write_datetime_with_format(row, 1, x, &f.datetime)?,
            None => sheet.write_string(row, 1, d.clock_in.as_deref().unwrap_or(""))?,
        };
        sheet.write_string(row, 2, status_name(&d.status))?;
        sheet.write_string(row, 3, d.outings.iter().map(|o| outing_name(o)).collect::<Vec<_>>().join("、"))?;
        sheet.write_number(row, 4, f64::from(d.overtime_hours))?;
    }
    sheet.set_column_width(0, 11)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 22)?;
    sheet.set_column_width(3, 22)?;
    sheet.set_freeze_panes(1, 0)?;
    let sum = book.add_worksheet();
    sum.set_name("汇总")?;
    let texts: [(&str, &str); 3] = [("姓名", &r.display_name), ("账号", &r.user), ("月份", &r.month)];
    let counts: [(&str, f64); 6] = [
        ("正常（天）", r.on_time as f64),
        ("迟到（天）", r.late as f64),
        ("请假（天）", r.leave as f64),
        ("旷工（天）", r.truant as f64),
        ("加班（小时）", f64::from(r.overtime_hours)),
        ("调休（次）", r.makeup_leaves as f64),
    ];
    for (i, (k, v)) in texts.iter().enumerate() {
        sum.write_string_with_format(i as u32, 0, *k, &f.header)?;
        sum.write_string(i as u32, 1, *v)?;
    }
    for (i, (k, v)) in counts.iter().enumerate() {
        let row = (texts.len() + i) as u32;
        sum.write_string_with_format(row, 0, *k, &f.header)?;
        sum.write_number(row, 1, *v)?;
    }
    sum.set_column_width(0, 14)?;
    book.save_to_buffer()
}
