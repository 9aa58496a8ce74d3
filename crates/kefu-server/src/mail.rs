//! Sending: records export to `.xlsx`, and the daily call log is e-mailed
//! over SMTP (configurable server, TLS, credentials) to the team's direct
//! supervisor with the indirect supervisor in copy (02 §日常工作、表单提报时间 3):
//! by hand, or by the sweeper as the working day closes.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use kefu_core::calendar::SHANGHAI;
use kefu_core::desk::{record_status_name, RecordKind, CALL_LOG_ENTRY_FIELDS};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, Role};
use kefu_store::desk::RecordRow;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;

const SMTP_KEY: &str = "smtp";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SmtpSettings {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: u16,
    /// none | starttls | tls
    #[serde(default)]
    pub tls: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// The sender, e.g. "客服中心 <kefu@example.com>".
    #[serde(default)]
    pub from: String,
}

#[derive(Serialize, ToSchema)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub username: String,
    pub password_set: bool,
    pub from: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpUpdate {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub username: Option<String>,
    /// "" removes it.
    pub password: Option<String>,
    pub from: Option<String>,
}

/// Where a team's daily log goes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMail {
    /// The direct supervisor's address (To).
    pub direct: String,
    /// The indirect supervisor's address (Cc).
    #[serde(default)]
    pub indirect: String,
}

fn smtp_view(s: &SmtpSettings) -> SmtpView {
    SmtpView { host: s.host.clone(), port: s.port, tls: s.tls.clone(), username: s.username.clone(), password_set: !s.password.is_empty(), from: s.from.clone() }
}

#[utoipa::path(get, path = "/api/v1/settings/smtp", tag = "desk", responses((status = 200, body = SmtpView)))]
/// The mail server settings (admins; the password is shown only as set or not).
pub async fn get_smtp(auth: Auth, State(state): State<AppState>) -> Result<Json<SmtpView>, ApiError> {
    auth.require(Role::Admin)?;
    Ok(Json(smtp_view(&state.json_setting::<SmtpSettings>(SMTP_KEY).await?)))
}

fn mailbox(field: &str, s: &str) -> Result<Mailbox, ApiError> {
    s.parse::<Mailbox>().map_err(|e| ApiError::bad_request("invalid_field", format!("{field} 不是有效的邮箱地址: {e}")))
}

#[utoipa::path(put, path = "/api/v1/settings/smtp", tag = "desk", request_body = SmtpUpdate, responses((status = 200, body = SmtpView)))]
/// Changes the mail server settings (admins).
pub async fn put_smtp(auth: Auth, State(state): State<AppState>, ApiJson(u): ApiJson<SmtpUpdate>) -> Result<Json<SmtpView>, ApiError> {
    auth.require(Role::Admin)?;
    let mut s: SmtpSettings = state.json_setting(SMTP_KEY).await?;
    if let Some(v) = u.host {
        s.host = v.trim().to_string();
    }
    if let Some(v) = u.port {
        s.port = v;
    }
    if let Some(v) = u.tls {
        if !["none", "starttls", "tls"].contains(&v.as_str()) {
            return Err(ApiError::bad_request("invalid_field", "tls 应为 none、starttls 或 tls"));
        }
        s.tls = v;
    }
    if let Some(v) = u.username {
        s.username = v;
    }
    if let Some(v) = u.password {
        s.password = v;
    }
    if let Some(v) = u.from {
        mailbox("from", &v)?;
        s.from = v;
    }
    state.save_json_setting(&auth.user, SMTP_KEY, &s).await?;
    Ok(Json(smtp_view(&s)))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/mail", tag = "desk", params(("team" = String, Path)), responses((status = 200, body = TeamMail), (status = 403, body = crate::error::ErrorBody)))]
/// A team's daily-log recipients as saved (admins; empty until set).
pub async fn get_team_mail(auth: Auth, State(state): State<AppState>, Path(team): Path<String>) -> Result<Json<TeamMail>, ApiError> {
    auth.require(Role::Admin)?;
    Ok(Json(state.json_setting(&format!("team_mail:{}", team.trim())).await?))
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/mail", tag = "desk", params(("team" = String, Path)), request_body = TeamMail, responses((status = 200, body = TeamMail)))]
/// Where the team's daily call log goes: the direct supervisor, the indirect one in copy (admins).
pub async fn put_team_mail(auth: Auth, State(state): State<AppState>, Path(team): Path<String>, ApiJson(m): ApiJson<TeamMail>) -> Result<Json<TeamMail>, ApiError> {
    auth.require(Role::Admin)?;
    mailbox("direct", &m.direct)?;
    if !m.indirect.is_empty() {
        mailbox("indirect", &m.indirect)?;
    }
    state.save_json_setting(&auth.user, &format!("team_mail:{}", team.trim()), &m).await?;
    Ok(Json(m))
}

/// The number format of the workbooks' date-and-time cells.
pub(crate) const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm";
/// The number format of the workbooks' date cells.
pub(crate) const DATE_FORMAT: &str = "yyyy-mm-dd";

/// A calendar day and wall-clock time as an Excel date-time (whole seconds).
pub(crate) fn excel_local(t: NaiveDateTime) -> Option<ExcelDateTime> {
    let (y, m, d) = (u16::try_from(t.year()).ok()?, t.month() as u8, t.day() as u8);
    ExcelDateTime::from_ymd(y, m, d).ok()?.and_hms(t.hour() as u16, t.minute() as u8, t.second()).ok()
}

/// A moment as an Excel date-time. Excel cells have no time zone: the
/// moment is written as the wall clock of Asia/Shanghai.
pub(crate) fn excel_moment(t: DateTime<FixedOffset>) -> Option<ExcelDateTime> {
    excel_local(t.with_timezone(&SHANGHAI).naive_local())
}

/// A calendar day as an Excel date.
pub(crate) fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    ExcelDateTime::from_ymd(u16::try_from(d.year()).ok()?, d.month() as u8, d.day() as u8).ok()
}

/// The date-time, date and header formats of a workbook.
pub(crate) struct Formats {
    pub header: Format,
    pub datetime: Format,
    pub date: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        Formats {
            header: Format::new().set_bold().set_background_color("#EEF2F7"),
            datetime: Format::new().set_num_format(DATETIME_FORMAT),
            date: Format::new().set_num_format(DATE_FORMAT),
        }
    }
}

/// An RFC 3339 time as a date-time cell in Shanghai time; a text that is not
/// one is written as it is, so nothing is lost.
fn write_time(sheet: &mut Worksheet, row: u32, col: u16, text: &str, f: &Formats) -> Result<(), XlsxError> {
    match DateTime::parse_from_rfc3339(text.trim()).ok().and_then(excel_moment) {
        Some(t) => sheet.write_datetime_with_format(row, col, t, &f.datetime).map(|_| ()),
        None => sheet.write_string(row, col, text).map(|_| ()),
    }
}

/// One field of a form as a cell: times as date-time cells, days as dates,
/// numbers as numbers, yes/no in Chinese, the rest as text.
fn write_field(sheet: &mut Worksheet, row: u32, col: u16, value: &Value, f: &Formats) -> Result<(), XlsxError> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(b) => sheet.write_string(row, col, if *b { "是" } else { "否" }).map(|_| ()),
        Value::Number(n) => match n.as_f64() {
            Some(x) => sheet.write_number(row, col, x).map(|_| ()),
            None => sheet.write_string(row, col, n.to_string()).map(|_| ()),
        },
        Value::String(s) => {
            if let Some(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().and_then(excel_date) {
                return sheet.write_datetime_with_format(row, col, d, &f.date).map(|_| ());
            }
            write_time(sheet, row, col, s, f)
        }
        other => sheet.write_string(row, col, other.to_string()).map(|_| ()),
    }
}

/// The workbook of a list of records: one sheet per form, named as in the
/// standards; the form's labels as headers, states in Chinese, times as
/// date-time cells in Asia/Shanghai; a daily call log's entries one row each.
pub fn workbook(records: &[RecordRow]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = Formats::new();
    let mut kinds: Vec<(&str, Option<RecordKind>)> = RecordKind::ALL.iter().map(|k| (k.as_str(), Some(*k))).collect();
    // A kind this build does not know (stored by another version) still gets its sheet.
    for r in records {
        if !kinds.iter().any(|(k, _)| *k == r.kind) {
            kinds.push((r.kind.as_str(), None));
        }
    }
    for (kind, known) in kinds {
        let of_kind: Vec<&RecordRow> = records.iter().filter(|r| r.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let name: &str = match known {
            Some(k) => k.name(),
            None => kind,
        };
        let sheet = book.add_worksheet();
        // Excel's sheet names are at most 31 characters.
        sheet.set_name(name.chars().take(31).collect::<String>())?;
        if known == Some(RecordKind::CallLog) {
            let mut header = vec!["编号", "日期", "坐席"];
            header.extend(CALL_LOG_ENTRY_FIELDS.iter().map(|e| e.label));
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, *h, &f.header)?;
            }
            let mut row = 1u32;
            for r in &of_kind {
                let date_text = r.fields["date"].as_str().unwrap_or("");
                let date = NaiveDate::parse_from_str(date_text.trim(), "%Y-%m-%d").ok();
                let entries = r.fields["entries"].as_array().cloned().unwrap_or_default();
                // A log without entries still has its row.
                let entries = if entries.is_empty() { vec![Value::Null] } else { entries };
                for e in entries {
                    sheet.write_number(row, 0, r.id as f64)?;
                    write_field(sheet, row, 1, &r.fields["date"], &f)?;
                    sheet.write_string(row, 2, &r.owner_name)?;
                    for (c, field) in CALL_LOG_ENTRY_FIELDS.iter().enumerate() {
                        let col = 3 + c as u16;
                        let text = e[field.key].as_str().unwrap_or("");
                        // The entry's time of day on the log's date: a date-time cell.
                        let at = (field.key == "time")
                            .then(|| date.zip(NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()))
                            .flatten()
                            .and_then(|(d, t)| excel_local(d.and_time(t)));
                        match at {
                            Some(t) => sheet.write_datetime_with_format(row, col, t, &f.datetime)?,
                            None => sheet.write_string(row, col, text)?,
                        };
                    }
                    row += 1;
                }
            }
            sheet.set_column_width(1, 11)?;
            sheet.set_column_width(3, 16)?;
            sheet.set_column_width(6, 50)?;
        } else {
            // The form's fields in its order, then any others the records hold.
            let mut keys: Vec<(String, String)> = known.map_or(&[][..], RecordKind::fields).iter().map(|x| (x.key.to_string(), x.label.to_string())).collect();
            for r in &of_kind {
                if let Value::Object(o) = &r.fields {
                    for k in o.keys() {
                        if !keys.iter().any(|(key, _)| key == k) {
                            keys.push((k.clone(), k.clone()));
                        }
                    }
                }
            }
            let fixed = ["编号", "状态", "紧急", "负责人", "班组", "相关主管", "部门", "收到时间"];
            for (c, h) in fixed.iter().copied().chain(keys.iter().map(|(_, label)| label.as_str())).enumerate() {
                sheet.write_string_with_format(0, c as u16, h, &f.header)?;
            }
            for (i, r) in of_kind.iter().enumerate() {
                let row = i as u32 + 1;
                sheet.write_number(row, 0, r.id as f64)?;
                let status = record_status_name(&r.status).unwrap_or(&r.status);
                for (c, v) in [status, if r.urgent { "是" } else { "" }, &r.owner_name, &r.team, &r.supervisor, &r.department].iter().enumerate() {
                    sheet.write_string(row, 1 + c as u16, *v)?;
                }
                write_time(sheet, row, 7, &r.received_at, &f)?;
                for (c, (k, _)) in keys.iter().enumerate() {
                    write_field(sheet, row, (fixed.len() + c) as u16, &r.fields[k.as_str()], &f)?;
                }
            }
            sheet.set_column_width(7, 16)?;
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    if records.is_empty() {
        book.add_worksheet().set_name("记录")?.write_string(0, 0, "（没有记录）")?;
    }
    book.save_to_buffer()
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Received on this day (YYYY-MM-DD).
    pub day: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/records/export.xlsx", tag = "desk", params(ExportQuery), responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
/// The records the caller may see, as an Excel workbook.
pub async fn export(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<ExportQuery>) -> Result<Response, ApiError> {
    let (team, owner) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let records = tokio::task::spawn_blocking(move || store.records(q.kind.as_deref(), q.status.as_deref(), team.as_deref(), owner, q.day.as_deref(), kefu_store::Page::ALL)).await??.items;
    let bytes = tokio::task::spawn_blocking(move || workbook(&records)).await?.map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, XLSX), (CONTENT_DISPOSITION, "attachment; filename=\"records.xlsx\"")], bytes).into_response())
}

/// Sends one daily call log; on success records the `sent` event (which fulfils its deadline).
pub async fn send_daily_log(state: &AppState, record: &RecordRow) -> Result<String, ApiError> {
    if record.kind != "call_log" {
        return Err(ApiError::bad_request("invalid_kind", "只有每日接听电话记录表按邮件发送"));
    }
    let smtp: SmtpSettings = state.json_setting(SMTP_KEY).await?;
    if smtp.host.is_empty() || smtp.from.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "smtp_missing", "尚未配置邮件服务器（PUT /api/v1/settings/smtp）"));
    }
    let team: TeamMail = state.json_setting(&format!("team_mail:{}", record.team)).await?;
    if team.direct.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "recipients_missing", format!("尚未配置班组“{}”的直接主管邮箱（PUT /api/v1/teams/{{team}}/mail）", record.team)));
    }
    let date = record.fields["date"].as_str().unwrap_or("").to_string();
    let bytes = {
        let r = record.clone();
        tokio::task::spawn_blocking(move || workbook(std::slice::from_ref(&r))).await?.map_err(|e| ApiError::internal(e.to_string()))?
    };
    let entries = record.fields["entries"].as_array().map_or(0, Vec::len);
    let subject = format!("客服中心每日接听电话记录表 {date} {}", record.owner_name);
    let body = format!(
        "{}：\n\n附件是 {} {date} 的每日接听电话记录表，共 {entries} 条。\n\n（kefu 按 02 §日常工作、表单提报时间 3 于下班前发送：直接主管收，间接主管抄送。）",
        "您好", record.owner_name
    );
    let mut builder = Message::builder().from(mailbox("from", &smtp.from)?).to(mailbox("direct", &team.direct)?).subject(subject);
    if !team.indirect.is_empty() {
        builder = builder.cc(mailbox("indirect", &team.indirect)?);
    }
    let xlsx = ContentType::parse(XLSX).map_err(|e| ApiError::internal(e.to_string()))?;
    let message = builder
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(Attachment::new(format!("每日接听电话记录表-{date}-{}.xlsx", record.owner_name)).body(bytes, xlsx)),
        )
        .map_err(|e| ApiError::internal(format!("message: {e}")))?;
    let transport = match smtp.tls.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)),
    }
    .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "smtp_error", format!("邮件服务器设置无效: {e}")))?;
    let mut transport = transport.timeout(Some(std::time::Duration::from_secs(20)));
    if smtp.port != 0 {
        transport = transport.port(smtp.port);
    }
    if !smtp.username.is_empty() {
        transport = transport.credentials(Credentials::new(smtp.username.clone(), smtp.password.clone()));
    }
    transport.build().send(message).await.map_err(|e| {
        // The error names the server, never the credentials.
        tracing::warn!(target: "kefu::mail", error = %e, record = record.id, "daily log not sent");
        ApiError::new(StatusCode::BAD_GATEWAY, "smtp_error", format!("邮件发送失败: {e}"))
    })?;
    let note = format!("已发送至 {}{}", team.direct, if team.indirect.is_empty() { String::new() } else { format!("，抄送 {}", team.indirect) });
    let store = state.store.clone();
    let (id, n) = (record.id, note.clone());
    tokio::task::spawn_blocking(move || store.record_event_system(id, "sent", &n)).await??;
    tracing::info!(target: "kefu::mail", record = record.id, "daily log sent");
    Ok(note)
}

#[derive(Serialize, ToSchema)]
pub struct SendResult {
    pub sent: String,
}

#[utoipa::path(post, path = "/api/v1/records/{id}/send", tag = "desk", params(("id" = i64, Path)),
    responses((status = 200, body = SendResult), (status = 422, description = "no mail server or recipients configured", body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
/// E-mails a daily call log now (its owner, their supervisor, admins).
pub async fn send(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<SendResult>, ApiError> {
    let store = state.store.clone();
    let record = tokio::task::spawn_blocking(move || store.record(id)).await??.ok_or_else(|| ApiError::not_found("记录不存在或无权查看"))?;
    if !crate::desk::may_see(&auth, &record) {
        return Err(ApiError::not_found("记录不存在或无权查看"));
    }
    Ok(Json(SendResult { sent: send_daily_log(&state, &record).await? }))
}

/// Daily logs due within this many seconds (or already due) are sent by the sweeper.
pub const SEND_BEFORE_CLOSE_SECONDS: i64 = 15 * 60;

/// The sweeper's part: send the daily logs whose close of work has come.
/// How long a claim on sending one daily log lasts (sending takes seconds).
const MAIL_CLAIM_MS: i64 = 5 * 60 * 1000;

pub async fn send_due_logs(state: &AppState) {
    let store = state.store.clone();
    let now = chrono::Utc::now().timestamp();
    let due = match tokio::task::spawn_blocking(move || store.unsent_daily_logs(now + SEND_BEFORE_CLOSE_SECONDS)).await {
        Ok(Ok(d)) => d,
        _ => return,
    };
    for (obligation_id, record) in due {
        // A claim on this one log, so that no other instance sends it while
        // it is being sent; should this instance die mid-send, the claim
        // runs out and the log is sent then (at least once, not twice
        // within the claim).
        let (store, instance) = (state.store.clone(), state.instance.clone());
        let claim = format!("daily_log:{obligation_id}");
        match tokio::task::spawn_blocking(move || store.acquire_lease(&claim, &instance, MAIL_CLAIM_MS)).await {
            Ok(Ok(true)) => {}
            _ => continue,
        }
        if let Err(e) = send_daily_log(state, &record).await {
            let store = state.store.clone();
            let message = format!("每日接听电话记录表 #{} 未能自动发送：{}", record.id, e.message);
            let _ = tokio::task::spawn_blocking(move || store.notify_once(record.owner_id, &record.team, "mail_failed", obligation_id, &message)).await;
        }
    }
}
