//! The service desk over HTTP: records (the forms of 02) with validation,
//! their events, obligations with deadlines on the team's working hours and
//! the statutory calendar, notifications of warnings and escalations, team
//! working hours, and importing a year's holiday schedule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Datelike, FixedOffset, NaiveTime};
use kefu_core::calendar::{CalendarError, HolidayCalendar, ProvisionalCalendar, WorkingHours, SHANGHAI};
use kefu_core::desk::{obligations, DeskRules, RecordFacts, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, Role};
use kefu_store::desk::{NewObligation, NewRecord, Notification, ObligationRow, RecordEvent, RecordRow};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use kefu_store::Store;
use crate::{AppState, Current};

/// The form fields each kind requires, and the optional ones it knows
/// (the form definitions of `kefu_core::desk`).
fn form(kind: RecordKind) -> (Vec<&'static str>, Vec<&'static str>) {
    let (required, optional): (Vec<&kefu_core::desk::FormField>, Vec<_>) = kind.fields().iter().partition(|f| f.required);
    (required.iter().map(|f| f.key).collect(), optional.iter().map(|f| f.key).collect())
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_field", message)
}

/// A calendar error as a 422: `calendar_missing` for a year without data.
/// The server's users import a year in the console, not in the repository:
/// the message says where.
pub fn calendar_error(e: CalendarError) -> ApiError {
    match e {
        CalendarError::YearNotCovered { year } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "calendar_missing",
            format!("没有 {year} 年的节假日安排：请管理员在控制台“设置 → 法定节假日”导入国务院公布的 {year} 年安排"),
        ),
        other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "calendar_error", other.to_string()),
    }
}

/// One entry of the daily call log: an object of the form's columns
/// (time HH:MM, caller, contact, summary — required —, handling), texts of
/// at most 500 characters.
fn validate_entry(i: usize, entry: &Value) -> Result<(), ApiError> {
    let columns = kefu_core::desk::CALL_LOG_ENTRY_FIELDS;
    let Some(o) = entry.as_object() else { return Err(bad(format!("第 {} 条来电记录应为对象", i + 1))) };
    for (key, value) in o {
        let Some(column) = columns.iter().find(|c| c.key == key) else {
            let known = columns.iter().map(|c| format!("{}（{}）", c.key, c.label)).collect::<Vec<_>>().join("、");
            return Err(bad(format!("第 {} 条来电记录没有字段 {key}（可用：{known}）", i + 1)));
        };
        let Some(text) = value.as_str() else { return Err(bad(format!("第 {} 条来电记录的{}应为文字", i + 1, column.label))) };
        if text.chars().count() > 500 {
            return Err(bad(format!("第 {} 条来电记录的{}最多 500 字", i + 1, column.label)));
        }
        if key == "time" && !text.is_empty() && NaiveTime::parse_from_str(text, "%H:%M").is_err() {
            return Err(bad(format!("第 {} 条来电记录的时间应为 HH:MM，而不是 {text}", i + 1)));
        }
    }
    if o.get("summary").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
        return Err(bad(format!("第 {} 条来电记录缺少通话内容（summary）", i + 1)));
    }
    Ok(())
}

/// The day a daily call log records: a real date, not after today (Shanghai).
fn log_day(fields: &Map<String, Value>) -> Result<chrono::NaiveDate, ApiError> {
    let day = fields.get("date").and_then(Value::as_str).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).ok_or_else(|| bad("date 应为 YYYY-MM-DD"))?;
    let today = crate::clock::now_shanghai().date_naive();
    if day > today {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "future_date", format!("不能为未来的日期（{day}）填写每日接听电话记录表：今天是 {today}")).with_field("date"));
    }
    Ok(day)
}

/// Checks the form's fields: required ones present and non-empty, no unknown
/// ones, texts bounded, contacts that look like a phone number or e-mail.
fn validate_fields(kind: RecordKind, fields: &Map<String, Value>) -> Result<(), ApiError> {
    let (required, optional) = form(kind);
    for key in fields.keys() {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            let known = kind.fields().iter().map(|f| format!("{}（{}）", f.label, f.key)).collect::<Vec<_>>().join("、");
            return Err(bad(format!("{}没有字段 {key}（可用：{known}）", kind.name())).with_field(&format!("fields.{key}")));
        }
    }
    // Every missing field at once, by its label on the form, so the person
    // filling it in fixes them in one go.
    let missing: Vec<&kefu_core::desk::FormField> = kind
        .fields()
        .iter()
        .filter(|f| f.required)
        .filter(|f| match fields.get(f.key) {
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Null) | None => true,
            Some(_) => false,
        })
        .collect();
    if !missing.is_empty() {
        let labels = missing.iter().map(|f| f.label).collect::<Vec<_>>().join("、");
        let keys = missing.iter().map(|f| format!("fields.{}", f.key)).collect();
        return Err(bad(format!("{}还缺 {} 项必填内容：{labels}", kind.name(), missing.len())).with_fields(keys));
    }
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("promised_reply_hours", v) => {
                if !v.as_u64().is_some_and(|h| (1..=720).contains(&h)) {
                    return Err(bad("promised_reply_hours 应为 1–720 的整数（工作小时）"));
                }
            }
            ("entries", Value::Array(entries)) => {
                if entries.len() > 2_000 {
                    return Err(bad("每日接听电话记录最多 2000 条"));
                }
                for (i, e) in entries.iter().enumerate() {
                    validate_entry(i, e)?;
                }
            }
            ("entries", _) => return Err(bad("entries 应为数组")),
            ("date", v) => {
                let ok = v.as_str().is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
                if !ok {
                    return Err(bad("date 应为 YYYY-MM-DD"));
                }
            }
            ("due", v) => {
                if v.as_str().is_none_or(|d| DateTime::parse_from_rfc3339(d).is_err()) {
                    return Err(bad("due 应为 RFC 3339 时间"));
                }
            }
            ("contact", v) => {
                let s = v.as_str().unwrap_or("");
                let digits = s.chars().filter(char::is_ascii_digit).count();
                if !(s.contains('@') || digits >= 5) || s.chars().count() > 64 {
                    return Err(bad("contact 应为电话号码（至少 5 位数字）或电子邮箱"));
                }
            }
            (key, Value::String(s)) => {
                if s.chars().count() > 5_000 {
                    return Err(bad(format!("{key} 最多 5000 字")));
                }
            }
            ("about_staff", Value::Bool(_)) => {}
            (key, _) => return Err(bad(format!("{key} 应为文本"))),
        }
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecordRequest {
    /// repair | complaint | walkin_complaint | call_log | task
    pub kind: String,
    /// The form's fields; see the README for each kind's required ones.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub urgent: bool,
    /// The responsible supervisor (username).
    #[serde(default)]
    pub supervisor: String,
    #[serde(default)]
    pub department: String,
    /// When it was received (RFC 3339); default now.
    pub received_at: Option<String>,
    /// The stored conversation this record comes from.
    pub conversation_id: Option<String>,
    /// The agent who owns it (username; supervisors and admins only); default the caller.
    pub owner: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RecordView {
    pub record: RecordRow,
    pub obligations: Vec<ObligationRow>,
    pub events: Vec<RecordEvent>,
}

/// The team's working hours (default 09:00–12:00, 13:30–18:00).
pub async fn hours_of(state: &AppState, team: &str) -> Result<WorkingHours, ApiError> {
    let store = state.store.clone();
    let team = team.to_string();
    let stored = tokio::task::spawn_blocking(move || store.team_hours(&team)).await??;
    match stored {
        None => Ok(WorkingHours::default()),
        Some(text) => parse_hours(&text),
    }
}

fn parse_hours(text: &str) -> Result<WorkingHours, ApiError> {
    let periods: Vec<(String, String)> = serde_json::from_str(text).map_err(|e| ApiError::internal(format!("stored hours: {e}")))?;
    let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| bad(format!("{s} 不是 HH:MM 时间")));
    let periods = periods.iter().map(|(a, b)| Ok((t(a)?, t(b)?))).collect::<Result<Vec<_>, ApiError>>()?;
    WorkingHours::new(periods).map_err(|e| bad(e.to_string()))
}

fn rules(current: &Current) -> DeskRules {
    let book = &current.engine.rulebook;
    let d = DeskRules::default();
    DeskRules {
        repair_forward_minutes: book.number("repair_forward_minutes").map_or(d.repair_forward_minutes, |v| v as i64),
        complaint_forward_minutes: book.number("complaint_forward_minutes").map_or(d.complaint_forward_minutes, |v| v as i64),
        walkin_reply_working_days: book.number("walkin_complaint_reply_working_days").map_or(d.walkin_reply_working_days, |v| v as u32),
        ..d
    }
}

/// What a record's form says about its deadlines.
fn record_facts(urgent: bool, fields: &Map<String, Value>) -> RecordFacts {
    RecordFacts {
        urgent,
        promised_reply_hours: fields.get("promised_reply_hours").and_then(Value::as_u64).map(|h| h as u32),
        task_due: fields.get("due").and_then(Value::as_str).and_then(|d| DateTime::parse_from_rfc3339(d).ok()),
        log_date: fields.get("date").and_then(Value::as_str).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
    }
}

/// The deadlines of a record, provisional where a year has no schedule.
fn deadlines(kind: RecordKind, received_at: DateTime<FixedOffset>, facts: &RecordFacts, current: &Current, hours: &WorkingHours) -> Result<Vec<NewObligation>, CalendarError> {
    let calendar = ProvisionalCalendar::new(&current.engine.calendar);
    let owed = obligations(kind, received_at, facts, &rules(current), &calendar, hours)?;
    Ok(owed
        .into_iter()
        .map(|o| NewObligation { kind: o.kind.as_str(), due_at: o.due.to_rfc3339(), due_utc: o.due.timestamp(), warn_utc: o.warn_at.timestamp(), source: o.source, provisional: o.provisional })
        .collect())
}

/// Recomputes every provisional deadline on the current calendar (after a
/// year is imported, and at start, when a new build may embed more years).
/// Deadlines of years still missing stay provisional. Returns how many
/// deadlines were recomputed; a record that cannot be recomputed is logged
/// and left as it was.
pub fn recompute_provisional(store: &Store, current: &Current) -> kefu_store::Result<usize> {
    let mut changed = 0;
    for record in store.records_with_provisional_deadlines()? {
        let Some(kind) = RecordKind::parse(&record.kind) else { continue };
        let Ok(received_at) = DateTime::parse_from_rfc3339(&record.received_at) else {
            tracing::warn!(target: "kefu::desk", record = record.id, "stored received_at unreadable; provisional deadline kept");
            continue;
        };
        let hours = match store.team_hours(&record.team)? {
            None => WorkingHours::default(),
            Some(text) => parse_hours(&text).unwrap_or_default(),
        };
        let fields = record.fields.as_object().cloned().unwrap_or_default();
        match deadlines(kind, received_at, &record_facts(record.urgent, &fields), current, &hours) {
            Ok(recomputed) => changed += store.reschedule_provisional(record.id, &recomputed)?,
            Err(e) => tracing::warn!(target: "kefu::desk", record = record.id, error = %e, "provisional deadline not recomputed"),
        }
    }
    Ok(changed)
}

/// Creates a record and its obligations (shared by the API and "record from a conversation").
pub async fn create_record(state: &AppState, auth: &Auth, req: NewRecordRequest) -> Result<RecordView, ApiError> {
    let kind = RecordKind::parse(&req.kind).ok_or_else(|| bad(format!("kind 应为 repair、complaint、walkin_complaint、call_log 或 task，而不是 {}", req.kind)))?;
    validate_fields(kind, &req.fields)?;
    for (field, value) in [("supervisor", &req.supervisor), ("department", &req.department)] {
        if value.chars().count() > 100 {
            return Err(bad(format!("{field} 最多 100 个字符")));
        }
    }
    let received_at: DateTime<FixedOffset> = match &req.received_at {
        Some(s) => DateTime::parse_from_rfc3339(s).map_err(|e| bad(format!("received_at 不是 RFC 3339 时间: {e}")))?,
        None => crate::clock::now_shanghai(),
    };
    let owner = match &req.owner {
        None => auth.user.clone(),
        Some(name) => {
            auth.require(Role::Supervisor)?;
            let store = state.store.clone();
            let name = name.clone();
            let found = tokio::task::spawn_blocking(move || store.credentials(&name)).await??;
            let owner = found.map(|(u, _)| u).ok_or_else(|| bad("owner 不是有效的账号"))?;
            // The same scope as reading records: a supervisor's own team.
            if auth.user.role == Role::Supervisor && owner.team != auth.user.team {
                return Err(ApiError::forbidden(format!("{} 不属于你的班组，不能为其创建记录", owner.username)));
            }
            owner
        }
    };
    // Never for a day still to come; one per agent and day (the store checks
    // that in the transaction that files it).
    if kind == RecordKind::CallLog {
        log_day(&req.fields)?;
    }
    let hours = hours_of(state, &owner.team).await?;
    let current = state.current();
    let facts = record_facts(req.urgent, &req.fields);
    // A record is never refused for a missing holiday schedule: its deadline
    // is then provisional (暂定) and recomputed when the year is imported.
    let new_obligations = deadlines(kind, received_at, &facts, &current, &hours).map_err(calendar_error)?;
    let store = state.store.clone();
    let user = auth.user.clone();
    let fields = Value::Object(req.fields);
    let received = received_at.with_timezone(&SHANGHAI).to_rfc3339();
    let (record, obligations, events) = tokio::task::spawn_blocking(move || {
        let record = store.create_record(
            &NewRecord {
                kind: kind.as_str(),
                team: &owner.team,
                owner_id: owner.id,
                supervisor: &req.supervisor,
                department: &req.department,
                urgent: req.urgent,
                received_at: &received,
                conversation_id: req.conversation_id.as_deref(),
                fields: &fields,
            },
            &new_obligations,
            &user,
        )?;
        let now = chrono::Utc::now().timestamp();
        let obligations = store.obligations(Some(record.id), None, None, false, now)?;
        let events = store.record_events(record.id)?;
        Ok::<_, kefu_store::StoreError>((record, obligations, events))
    })
    .await??;
    Ok(RecordView { record, obligations, events })
}

#[utoipa::path(post, path = "/api/v1/records", tag = "desk", request_body = NewRecordRequest,
    responses((status = 201, body = RecordView), (status = 400, body = crate::error::ErrorBody), (status = 422, description = "e.g. no holiday data for the year", body = crate::error::ErrorBody)))]
/// Creates a record (报修、投诉、上门客诉、每日接听电话记录、回复制任务) and its deadlines.
pub async fn create(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<NewRecordRequest>) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_record(&state, &auth, req).await?)))
}

/// What the caller may see of the desk: (team, owner) filters.
pub fn scope(auth: &Auth) -> (Option<String>, Option<i64>) {
    match auth.user.role {
        Role::Admin => (None, None),
        Role::Supervisor => (Some(auth.user.team.clone()), None),
        Role::Agent => (None, Some(auth.user.id)),
    }
}

pub fn may_see(auth: &Auth, r: &RecordRow) -> bool {
    match auth.user.role {
        Role::Admin => true,
        Role::Supervisor => r.team == auth.user.team,
        Role::Agent => r.owner_id == auth.user.id,
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct RecordFilter {
    pub kind: Option<String>,
    /// open | forwarded | replied | closed
    pub status: Option<String>,
    /// Received on this day (YYYY-MM-DD, Asia/Shanghai).
    pub day: Option<String>,
    /// Items per page (default 200, at most 2000); the total is in X-Total-Count.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/records", tag = "desk", params(RecordFilter), responses((status = 200, body = Vec<RecordRow>)))]
/// Records: an agent's own, a supervisor's team's, all for admins.
pub async fn list(auth: Auth, State(state): State<AppState>, ApiQuery(f): ApiQuery<RecordFilter>) -> Result<axum::response::Response, ApiError> {
    let page = crate::page::requested(f.limit, f.offset)?;
    if let Some(k) = &f.kind {
        RecordKind::parse(k).ok_or_else(|| ApiError::bad_request("invalid_query", format!("没有记录类型 {k}")))?;
    }
    let (team, owner) = scope(&auth);
    let store = state.store.clone();
    let list = tokio::task::spawn_blocking(move || store.records(f.kind.as_deref(), f.status.as_deref(), team.as_deref(), owner, f.day.as_deref(), page)).await??;
    Ok(crate::page::respond(list, page))
}

async fn visible(state: &AppState, auth: &Auth, id: i64) -> Result<RecordRow, ApiError> {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.record(id)).await?? {
        Some(r) if may_see(auth, &r) => Ok(r),
        _ => Err(ApiError::not_found("记录不存在或无权查看")),
    }
}

#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "desk", params(("id" = i64, Path)), responses((status = 200, body = RecordView), (status = 404, body = crate::error::ErrorBody)))]
/// One record with its deadlines and history.
pub async fn view(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<RecordView>, ApiError> {
    let record = visible(&state, &auth, id).await?;
    let store = state.store.clone();
    let (obligations, events) = tokio::task::spawn_blocking(move || {
        Ok::<_, kefu_store::StoreError>((store.obligations(Some(id), None, None, false, chrono::Utc::now().timestamp())?, store.record_events(id)?))
    })
    .await??;
    Ok(Json(RecordView { record, obligations, events }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// forwarded (sent to the supervisor) | progress (回复制 progress update) | replied (the customer or assigner answered) | sent (daily log sent) | closed
    pub action: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/records/{id}/events", tag = "desk", params(("id" = i64, Path)), request_body = EventRequest,
    responses((status = 200, body = RecordView), (status = 409, description = "closing with replies still owed", body = crate::error::ErrorBody)))]
/// Moves a record on; the obligations it fulfils are marked done.
pub async fn event(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>, ApiJson(req): ApiJson<EventRequest>) -> Result<Json<RecordView>, ApiError> {
    if !["forwarded", "progress", "replied", "sent", "closed"].contains(&req.action.as_str()) {
        return Err(bad("action 应为 forwarded、progress、replied、sent 或 closed"));
    }
    if req.action == "progress" && req.note.trim().is_empty() {
        return Err(bad("进展更新须写明进展（note）"));
    }
    if req.note.chars().count() > 5_000 {
        return Err(bad("note 最多 5000 字"));
    }
    visible(&state, &auth, id).await?;
    let store = state.store.clone();
    let user = auth.user.clone();
    tokio::task::spawn_blocking(move || store.record_event(id, &req.action, &req.note, &user)).await??;
    view(auth, State(state), Path(id)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromConversation {
    /// repair | complaint | walkin_complaint
    pub kind: String,
    /// Fields to add or override (contact, address, …).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub urgent: bool,
    #[serde(default)]
    pub supervisor: String,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/record", tag = "desk", params(("id" = String, Path)), request_body = FromConversation,
    responses((status = 201, body = RecordView), (status = 400, body = crate::error::ErrorBody)))]
/// Creates the record of a handled call or chat in one step, prefilled from its transcript.
pub async fn from_conversation(auth: Auth, State(state): State<AppState>, Path(id): Path<String>, ApiJson(req): ApiJson<FromConversation>) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    let store = state.store.clone();
    let cid = id.clone();
    let found = tokio::task::spawn_blocking(move || store.conversation(&cid)).await??;
    let Some((row, conv, _)) = found.filter(|(row, _, _)| auth.may_see(&row.agent, &row.team)) else {
        return Err(ApiError::not_found("会话不存在或无权查看"));
    };
    let customer_said: Vec<&str> = conv.turns.iter().filter(|t| t.speaker == kefu_core::inspect::Party::Customer).map(|t| t.text.as_str()).collect();
    let mut fields = Map::new();
    fields.insert("customer".into(), json!("（来电客户）"));
    fields.insert("description".into(), json!(customer_said.join("\n")));
    if let Some(phone) = phone_in(&customer_said) {
        fields.insert("contact".into(), json!(phone));
    }
    fields.extend(req.fields);
    let request = NewRecordRequest {
        kind: req.kind,
        fields,
        urgent: req.urgent,
        supervisor: req.supervisor,
        department: String::new(),
        received_at: row.started_at.clone(),
        conversation_id: Some(id),
        owner: None,
    };
    Ok((StatusCode::CREATED, Json(create_record(&state, &auth, request).await?)))
}

/// A phone number the customer said, if any (the first run of 7–12 digits).
fn phone_in(said: &[&str]) -> Option<String> {
    said.iter().flat_map(|t| t.split(|c: char| !c.is_ascii_digit())).find(|d| d.len() >= 7 && d.len() <= 12).map(str::to_string)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRecord {
    /// The form's fields, all of them (they replace the stored ones); absent: unchanged.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub fields: Option<Map<String, Value>>,
    /// Hand the record and its open deadlines to this account (username;
    /// supervisors their team's, admins anyone's).
    #[serde(default)]
    pub owner: Option<String>,
    /// The responsible supervisor (username of a supervisor or admin).
    #[serde(default)]
    pub supervisor: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/records/{id}", tag = "desk", params(("id" = i64, Path)), request_body = EditRecord,
    responses((status = 200, body = RecordView), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
/// Edits a record after it was made: its form (e.g. the entries of a daily
/// call log), validated like a new one, the day of a call log staying — an
/// `edited` event; and its owner or supervisor (supervisors and admins) — a
/// `reassigned` event naming both, audited.
pub async fn edit(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>, ApiJson(req): ApiJson<EditRecord>) -> Result<Json<RecordView>, ApiError> {
    let record = visible(&state, &auth, id).await?;
    let kind = RecordKind::parse(&record.kind).ok_or_else(|| ApiError::internal(format!("stored kind {}", record.kind)))?;
    if let Some(fields) = &req.fields {
        validate_fields(kind, fields)?;
        if kind == RecordKind::CallLog && fields.get("date") != record.fields.get("date") {
            return Err(bad("每日接听电话记录表的日期不能修改（另一天请新建一张）").with_field("fields.date"));
        }
    }
    let owner = req.owner.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let supervisor = req.supervisor.as_deref().map(str::trim);
    if owner.is_some() || supervisor.is_some() {
        auth.require(Role::Supervisor)?;
    }
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users()).await??;
    let new_owner = match owner {
        None => None,
        Some(name) => {
            let u = users.iter().find(|u| u.username == name && u.active).ok_or_else(|| bad(format!("负责人 {name} 不是有效的账号")).with_field("owner"))?;
            if auth.user.role == Role::Supervisor && u.team != auth.user.team {
                return Err(bad(format!("{} 不属于你的班组，不能转交给他", u.display_name)).with_field("owner"));
            }
            Some(u.clone())
        }
    };
    if let Some(s) = supervisor.filter(|s| !s.is_empty()) {
        if !users.iter().any(|u| u.username == s && u.active && u.role != Role::Agent) {
            return Err(bad(format!("相关主管 {s} 不是班长或管理员账号")).with_field("supervisor"));
        }
    }
    let name_of = |username: &str| users.iter().find(|u| u.username == username).map_or_else(|| username.to_string(), |u| u.display_name.clone());
    let mut changes = Vec::new();
    if let Some(o) = &new_owner {
        changes.push(format!("负责人 {} → {}", record.owner_name, o.display_name));
    }
    if let Some(s) = supervisor {
        changes.push(format!("相关主管 {} → {}", if record.supervisor.is_empty() { "（无）".to_string() } else { name_of(&record.supervisor) }, if s.is_empty() { "（无）".to_string() } else { name_of(s) }));
    }
    let store = state.store.clone();
    let user = auth.user.clone();
    let supervisor = supervisor.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        if let Some(fields) = req.fields {
            store.update_record_fields(id, &Value::Object(fields), &user)?;
        }
        if !changes.is_empty() {
            store.reassign_record(id, new_owner.as_ref(), supervisor.as_deref(), &changes.join("；"), &user)?;
        }
        Ok::<_, kefu_store::StoreError>(())
    })
    .await??;
    view(auth, State(state), Path(id)).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DraftQuery {
    /// The day (YYYY-MM-DD), not after today.
    pub date: String,
    /// Whose (username; supervisors: their team's agents; default the caller).
    pub user: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CallLogDraft {
    pub date: String,
    pub agent: String,
    /// Entries in the form's columns (time, caller, contact, summary,
    /// handling), one per phone call of the day, with the call's id.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<Value>,
    /// The log already filed for the day, if any.
    pub existing: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/records/call-log-draft", tag = "desk", params(DraftQuery), responses((status = 200, body = CallLogDraft), (status = 422, body = crate::error::ErrorBody)))]
/// The day's call log prefilled from the agent's stored phone calls: time,
/// the number the customer gave, what they said, the records made from the
/// call. The agent edits it before filing.
pub async fn call_log_draft(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<DraftQuery>) -> Result<Json<CallLogDraft>, ApiError> {
    let mut date = Map::new();
    date.insert("date".into(), json!(q.date));
    let day = log_day(&date)?.to_string();
    let owner = match &q.user {
        None => auth.user.clone(),
        Some(name) => {
            auth.require(Role::Supervisor)?;
            let (store, name) = (state.store.clone(), name.clone());
            let found = tokio::task::spawn_blocking(move || store.credentials(&name)).await??.map(|(u, _)| u);
            match found {
                Some(u) if auth.user.role == Role::Admin || u.team == auth.user.team => u,
                _ => return Err(ApiError::not_found("没有这个账号或无权查看")),
            }
        }
    };
    let store = state.store.clone();
    let (agent, owner_id, d) = (owner.agent_id.clone(), owner.id, day.clone());
    let (calls, existing) = tokio::task::spawn_blocking(move || Ok::<_, kefu_store::StoreError>((store.calls_of_day(&agent, &d)?, store.call_log_of(owner_id, &d)?))).await??;
    let entries = calls
        .into_iter()
        .map(|kefu_store::desk::DayCall { id, started_at, transcript, records }| {
            let conv: Option<kefu_core::inspect::Conversation> = serde_json::from_str(&transcript).ok();
            let said: Vec<&str> = conv.iter().flat_map(|c| c.turns.iter()).filter(|t| t.speaker == kefu_core::inspect::Party::Customer).map(|t| t.text.as_str()).collect();
            let time = started_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&SHANGHAI).format("%H:%M").to_string()).unwrap_or_default();
            let summary: String = said.join(" ").chars().take(200).collect();
            let handling = records
                .iter()
                .map(|(kind, rid, status)| format!("已填{} #{rid}（{}）", RecordKind::parse(kind).map_or_else(|| kind.clone(), |k| k.name().to_string()), kefu_core::desk::record_status_name(status).map_or_else(|| status.clone(), str::to_string)))
                .collect::<Vec<String>>()
                .join("；");
            json!({"time": time, "caller": "", "contact": phone_in(&said).unwrap_or_default(), "summary": if summary.is_empty() { "（通话中客户未发言）".to_string() } else { summary }, "handling": handling, "conversation_id": id})
        })
        .collect();
    Ok(Json(CallLogDraft { date: day, agent: owner.username, entries, existing }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page (default 200, at most 2000); the total is in X-Total-Count.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ObligationFilter {
    /// open (not done: open, warning and breached) | all
    pub show: Option<String>,
    /// Items per page (default 200, at most 2000); the total is in X-Total-Count.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/obligations", tag = "desk", params(ObligationFilter), responses((status = 200, body = Vec<ObligationRow>)))]
/// What is due and what is late.
pub async fn obligations_list(auth: Auth, State(state): State<AppState>, ApiQuery(f): ApiQuery<ObligationFilter>) -> Result<axum::response::Response, ApiError> {
    let page = crate::page::requested(f.limit, f.offset)?;
    let only_open = match f.show.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(other) => return Err(ApiError::bad_request("invalid_query", format!("show 应为 open 或 all，而不是 {other}"))),
    };
    let (team, owner) = scope(&auth);
    let store = state.store.clone();
    let list = tokio::task::spawn_blocking(move || store.obligations_page(None, team.as_deref(), owner, only_open, chrono::Utc::now().timestamp(), page)).await??;
    Ok(crate::page::respond(list, page))
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "desk", params(PageQuery), responses((status = 200, body = Vec<Notification>)))]
/// Warnings before deadlines (own) and escalations of breached ones (supervisors: their team's).
pub async fn notifications(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> Result<axum::response::Response, ApiError> {
    let page = crate::page::requested(q.limit, q.offset)?;
    let store = state.store.clone();
    let (user, team, all) = notification_scope(&auth);
    let list = tokio::task::spawn_blocking(move || store.notifications(user, team.as_deref(), all, page)).await??;
    Ok(crate::page::respond(list, page))
}

/// The caller's view of notifications: (user, team for supervisors, all for admins).
fn notification_scope(auth: &Auth) -> (i64, Option<String>, bool) {
    (auth.user.id, (auth.user.role == Role::Supervisor).then(|| auth.user.team.clone()), auth.user.role == Role::Admin)
}

#[derive(Serialize, ToSchema)]
pub struct Unread {
    /// Notifications in the caller's view not yet read by them.
    pub unread: u64,
}

#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "desk", responses((status = 200, body = Unread)))]
/// The bell's count: unread notifications in the caller's view.
pub async fn unread(auth: Auth, State(state): State<AppState>) -> Result<Json<Unread>, ApiError> {
    let (user, team, all) = notification_scope(&auth);
    let store = state.store.clone();
    Ok(Json(Unread { unread: tokio::task::spawn_blocking(move || store.unread_notifications(user, team.as_deref(), all)).await?? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// The notifications to mark read; absent: all in the caller's view.
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "desk", request_body = MarkRead, responses((status = 200, body = Unread)))]
/// Marks notifications read for the caller (the ones named, or all); answers what is still unread.
pub async fn mark_read(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<MarkRead>) -> Result<Json<Unread>, ApiError> {
    if req.ids.as_ref().is_some_and(|ids| ids.len() > 1_000) {
        return Err(ApiError::too_large("一次最多标记 1000 条通知"));
    }
    let (user, team, all) = notification_scope(&auth);
    let store = state.store.clone();
    let unread = tokio::task::spawn_blocking(move || {
        store.mark_notifications_read(user, team.as_deref(), all, req.ids.as_deref())?;
        store.unread_notifications(user, team.as_deref(), all)
    })
    .await??;
    Ok(Json(Unread { unread }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursRequest {
    /// Working periods of a working day, e.g. [["09:00","12:00"],["13:30","18:00"]].
    pub periods: Vec<(String, String)>,
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/hours", tag = "desk", params(("team" = String, Path)), request_body = HoursRequest, responses((status = 200, body = HoursRequest)))]
/// Sets a team's working hours (admins); deadlines of new records follow them.
pub async fn set_hours(auth: Auth, State(state): State<AppState>, Path(team): Path<String>, ApiJson(req): ApiJson<HoursRequest>) -> Result<Json<HoursRequest>, ApiError> {
    auth.require(Role::Admin)?;
    let text = serde_json::to_string(&req.periods).map_err(|e| ApiError::internal(e.to_string()))?;
    parse_hours(&text)?;
    let store = state.store.clone();
    let user = auth.user.clone();
    tokio::task::spawn_blocking(move || store.set_team_hours(&team, &text, &user)).await??;
    Ok(Json(req))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/hours", tag = "desk", params(("team" = String, Path)), responses((status = 200, body = HoursRequest)))]
/// A team's working hours.
pub async fn get_hours(_auth: Auth, State(state): State<AppState>, Path(team): Path<String>) -> Result<Json<HoursRequest>, ApiError> {
    let hours = hours_of(&state, &team).await?;
    Ok(Json(HoursRequest { periods: hours.periods().iter().map(|(a, b)| (a.format("%H:%M").to_string(), b.format("%H:%M").to_string())).collect() }))
}

#[derive(Serialize, ToSchema)]
pub struct CalendarYears {
    pub years: Vec<i32>,
    /// The year whose schedule is missing and needed now: this year's, or
    /// from 1 November next year's. Null when nothing is missing.
    pub missing: Option<i32>,
    /// A Chinese warning for the console when `missing` is set.
    pub warning: Option<String>,
    /// After an import: how many provisional deadlines were recomputed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<usize>,
}

/// The covered years, with the warning due on `today`.
fn calendar_years_at(calendar: &HolidayCalendar, today: chrono::NaiveDate, recomputed: Option<usize>) -> CalendarYears {
    let year = today.year();
    let missing = if !calendar.covers(year) {
        Some(year)
    } else if today.month() >= 11 && !calendar.covers(year + 1) {
        Some(year + 1)
    } else {
        None
    };
    let warning = missing.map(|y| {
        format!("尚未导入 {y} 年节假日安排：涉及 {y} 年的时限暂按周末和法定节日推算（标注“暂定”），导入国务院公布的安排后自动重算。")
    });
    CalendarYears { years: calendar.years(), missing, warning, recomputed }
}

#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "desk", responses((status = 200, body = CalendarYears)))]
/// The years the holiday calendar covers, and the year missing now (if any).
pub async fn calendar_years(_auth: Auth, State(state): State<AppState>) -> Json<CalendarYears> {
    Json(calendar_years_at(&state.engine().calendar, crate::clock::now_shanghai().date_naive(), None))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarImport {
    /// The year's schedule in the rulebook's calendar format (see rulebook/calendar/README.md).
    pub text: String,
}

/// The calendar sources: the embedded years, with imported years replacing them.
pub fn calendar_sources(imported: &[(i32, String)]) -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = kefu_core::calendar::EMBEDDED_SOURCES
        .iter()
        .filter(|(name, _)| !imported.iter().any(|(y, _)| name.contains(&format!("{y}.toml"))))
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    sources.extend(imported.iter().map(|(y, t)| (format!("{y}.toml"), t.clone())));
    sources
}

#[utoipa::path(put, path = "/api/v1/calendar/years/{year}", tag = "desk", params(("year" = i32, Path)), request_body = CalendarImport,
    responses((status = 200, body = CalendarYears), (status = 422, description = "the schedule is invalid: file:line and what", body = crate::error::ErrorBody)))]
/// Imports a year's holiday schedule (admins), e.g. next year's once the State Council publishes it.
pub async fn import_year(auth: Auth, State(state): State<AppState>, Path(year): Path<i32>, ApiJson(req): ApiJson<CalendarImport>) -> Result<Json<CalendarYears>, ApiError> {
    auth.require(Role::Admin)?;
    let store = state.store.clone();
    let mut imported = tokio::task::spawn_blocking(move || store.calendar_years()).await??;
    imported.retain(|(y, _)| *y != year);
    imported.push((year, req.text.clone()));
    let calendar = HolidayCalendar::from_sources(&calendar_sources(&imported)).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_calendar", e.to_string()))?;
    if !calendar.covers(year) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_calendar", format!("导入的内容不是 {year} 年的节假日安排")));
    }
    let current = state.current();
    let engine = {
        let files = current.files.clone();
        let cal = calendar.clone();
        tokio::task::spawn_blocking(move || crate::build_engine(&files, &cal, false)).await?
    }
    .map_err(|e| ApiError::internal(e.join("\n")))?;
    let store = state.store.clone();
    let user = auth.user.clone();
    let text = req.text;
    tokio::task::spawn_blocking(move || store.import_calendar_year(year, &text, &user)).await??;
    state.install(Current { engine: std::sync::Arc::new(engine), version: current.version, files: current.files.clone() });
    let store = state.store.clone();
    if let Ok(Ok(seen)) = tokio::task::spawn_blocking(move || store.calendar_fingerprint()).await {
        *state.calendar_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = seen;
    }
    let store = state.store.clone();
    let current = state.current();
    let recomputed = tokio::task::spawn_blocking(move || recompute_provisional(&store, &current)).await??;
    tracing::info!(target: "kefu::desk", year, recomputed, "calendar imported; provisional deadlines recomputed");
    Ok(Json(calendar_years_at(&calendar, crate::clock::now_shanghai().date_naive(), Some(recomputed))))
}

#[derive(Serialize, ToSchema)]
pub struct DayOut {
    pub date: String,
    /// workday | rest | holiday
    pub kind: String,
    pub festival: Option<String>,
    pub makeup: bool,
}

#[utoipa::path(get, path = "/api/v1/calendar/days/{date}", tag = "desk", params(("date" = String, Path)),
    responses((status = 200, body = DayOut), (status = 422, description = "a year without holiday data", body = crate::error::ErrorBody)))]
/// One day of the statutory calendar; a year without data is an explicit error.
pub async fn calendar_day(_auth: Auth, State(state): State<AppState>, Path(date): Path<String>) -> Result<Json<DayOut>, ApiError> {
    let d = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| ApiError::bad_request("invalid_path", "日期应为 YYYY-MM-DD"))?;
    let info = state.engine().calendar.day(d).map_err(calendar_error)?;
    let v = serde_json::to_value(info).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(DayOut {
        date,
        kind: v["kind"].as_str().unwrap_or("").to_string(),
        festival: v["festival"].as_str().map(str::to_string),
        makeup: v["makeup"].as_bool().unwrap_or(false),
    }))
}

