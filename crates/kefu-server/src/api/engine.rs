//! The engine over HTTP: lint, classify, reply, inspect (nothing stored).

use std::sync::atomic::Ordering;

use axum::extract::{FromRequest, Request, State};
use axum::Json;
use chrono::DateTime;
use kefu_core::inspect::{Conversation, Scorecard};
use kefu_core::reply::{Channel, Line, ReplyContext};
use kefu_core::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::clock::now_shanghai;
use crate::error::ApiError;
use crate::extract::{parse_json, strip_bom, ApiJson, LimitedBytes};
use crate::limits::ServerLimits;
use crate::AppState;

/// Texts longer than this are linted on the heavy pool rather than on an async worker.
const INLINE_TEXT_CHARS: usize = 2_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextRequest {
    /// An agent utterance (lint) or a customer utterance (classify).
    pub text: String,
}

/// One forbidden phrase; `start`/`end` are character offsets in the original text, end exclusive.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct ViolationOut {
    pub rule: String,
    pub category: String,
    pub severity: String,
    pub start: usize,
    pub end: usize,
    pub matched: String,
    pub message: String,
    pub suggestion: String,
    pub source: String,
    /// A hit of the semantic layer (rule `<category>.semantic`): the model's
    /// calibrated probability. Absent for a rule's hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct LintResponse {
    pub text: String,
    pub violations: Vec<ViolationOut>,
    /// More violations than `max_hits_per_turn`: `violations` holds the first, `total` counts all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    pub rulebook_version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClassifyResponse {
    pub text: String,
    pub scenario: String,
    pub confidence: f64,
    /// The standard reply for the scenario, rendered for now (Asia/Shanghai).
    pub reply: Option<String>,
    pub reply_error: Option<String>,
    /// When the answer is unsure (confidence below 0.6): the act model's
    /// most likely scenarios with their standard replies, for the agent to
    /// choose from rather than send a wrong reply.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Alternative {
    pub scenario: String,
    pub confidence: f64,
    pub reply: Option<String>,
}

/// Below this confidence the console offers the alternatives.
const UNSURE: f64 = 0.6;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// A scenario id, `opening` or `closing`.
    pub scenario: String,
    /// RFC 3339; default: now.
    pub at: Option<String>,
    /// standard | vip
    pub line: Option<String>,
    /// phone | chat
    pub channel: Option<String>,
    /// 先生 | 女士
    pub title: Option<String>,
    pub surname: Option<String>,
    pub company: Option<String>,
    pub work_no: Option<String>,
    pub hours: Option<u32>,
    pub late: Option<bool>,
    pub trainee: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ReplyResponse {
    pub scenario: String,
    pub text: String,
    pub phrase: String,
    pub source: String,
}

/// 413 for a text over the `max_text_chars` setting.
pub fn check_text(text: &str, limits: &ServerLimits) -> Result<(), ApiError> {
    match kefu_core::limits::text_too_long("text", text, &limits.engine()) {
        Some(message) => Err(ApiError::too_large(message)),
        None => Ok(()),
    }
}

/// The violations of a text, at most `max` of them, and how many there are in all.
pub fn lint_text(engine: &Engine, text: &str, max: usize) -> (Vec<ViolationOut>, usize) {
    let (violations, total) = engine.lint_capped(text, max, &mut kefu_core::matcher::Scratch::default());
    let out = violations
        .into_iter()
        .map(|v| ViolationOut {
            rule: v.rule.to_string(),
            category: v.category.to_string(),
            severity: v.severity.to_string(),
            start: v.start,
            end: v.end,
            matched: v.matched,
            message: v.message.to_string(),
            suggestion: v.suggestion.to_string(),
            source: v.source.to_string(),
            confidence: v.confidence,
        })
        .collect();
    (out, total)
}

pub fn classify_text(engine: &Engine, text: &str, ctx: &ReplyContext) -> ClassifyResponse {
    let c = engine.classify(text);
    let (reply, reply_error) = match engine.reply(c.scenario, ctx) {
        Ok(r) => (Some(r.text), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let alternatives = match engine.semantic() {
        Some(layer) if c.confidence < UNSURE => layer
            .judge_customer(text)
            .into_iter()
            .take(3)
            .filter_map(|(i, p)| {
                let id = engine.rulebook.scenarios.get(i)?.id.clone();
                let reply = engine.reply(&id, ctx).ok().map(|r| r.text);
                Some(Alternative { scenario: id, confidence: (f64::from(p) * 100.0).round() / 100.0, reply })
            })
            .collect(),
        _ => Vec::new(),
    };
    ClassifyResponse { text: text.to_string(), scenario: c.scenario.to_string(), confidence: c.confidence, reply, reply_error, alternatives }
}


#[utoipa::path(post, path = "/api/v1/lint", tag = "engine", request_body = TextRequest,
    responses((status = 200, body = LintResponse), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
/// Checks an agent utterance against the forbidden phrases (服务忌语).
pub async fn lint(_auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TextRequest>) -> Result<Json<LintResponse>, ApiError> {
    let limits = state.limits();
    check_text(&req.text, &limits)?;
    let current = state.current();
    let max = limits.max_hits_per_turn;
    let (req, violations, total) = if req.text.len() <= INLINE_TEXT_CHARS {
        let (violations, total) = lint_text(&current.engine, &req.text, max);
        (req, violations, total)
    } else {
        let engine = current.engine.clone();
        state
            .run_heavy(move || {
                let (violations, total) = lint_text(&engine, &req.text, max);
                (req, violations, total)
            })
            .await?
    };
    state.metrics.lint_checks.fetch_add(1, Ordering::Relaxed);
    state.metrics.lint_violations.fetch_add(total as u64, Ordering::Relaxed);
    let truncated = total > violations.len();
    Ok(Json(LintResponse { text: req.text, violations, truncated, total: truncated.then_some(total), rulebook_version: current.version }))
}

#[utoipa::path(post, path = "/api/v1/classify", tag = "engine", request_body = TextRequest,
    responses((status = 200, body = ClassifyResponse), (status = 400, body = crate::error::ErrorBody)))]
/// Recognises the scenario of a customer utterance and renders its standard reply.
pub async fn classify(_auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TextRequest>) -> Result<Json<ClassifyResponse>, ApiError> {
    check_text(&req.text, &state.limits())?;
    let engine = state.engine();
    let ctx = ReplyContext::new(now_shanghai());
    if req.text.len() <= INLINE_TEXT_CHARS {
        return Ok(Json(classify_text(&engine, &req.text, &ctx)));
    }
    Ok(Json(state.run_heavy(move || classify_text(&engine, &req.text, &ctx)).await?))
}

pub fn reply_context(req: &ReplyRequest) -> Result<ReplyContext, ApiError> {
    let at = match &req.at {
        Some(s) => DateTime::parse_from_rfc3339(s).map_err(|e| ApiError::bad_request("invalid_field", format!("at 不是 RFC 3339 时间: {e}")))?,
        None => now_shanghai(),
    };
    let mut ctx = ReplyContext::new(at);
    ctx.line = match req.line.as_deref() {
        None | Some("standard") => Line::Standard,
        Some("vip") => Line::Vip,
        Some(other) => return Err(ApiError::bad_request("invalid_field", format!("line 应为 standard 或 vip，而不是 {other}"))),
    };
    ctx.channel = match req.channel.as_deref() {
        None | Some("phone") => Channel::Phone,
        Some("chat") => Channel::Chat,
        Some(other) => return Err(ApiError::bad_request("invalid_field", format!("channel 应为 phone 或 chat，而不是 {other}"))),
    };
    if let Some(t) = &req.title {
        if t != "先生" && t != "女士" {
            return Err(ApiError::bad_request("invalid_field", "title 应为 先生 或 女士"));
        }
    }
    ctx.title = req.title.clone();
    ctx.surname = req.surname.clone();
    ctx.company = req.company.clone();
    ctx.work_no = req.work_no.clone();
    ctx.hours = req.hours;
    ctx.late = req.late.unwrap_or(false);
    ctx.trainee = req.trainee.unwrap_or(false);
    Ok(ctx)
}

#[utoipa::path(post, path = "/api/v1/reply", tag = "engine", request_body = ReplyRequest,
    responses((status = 200, body = ReplyResponse), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
/// Renders the standard reply of a scenario for a moment (time of day, festivals, weekends).
pub async fn reply(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<ReplyRequest>) -> Result<Json<ReplyResponse>, ApiError> {
    let mut ctx = reply_context(&req)?;
    // The caller's own 工号 and the centre's name unless the request names others.
    let own = state.reply_context(&auth.user, ctx.at);
    ctx.company = ctx.company.or(own.company);
    ctx.work_no = ctx.work_no.or(own.work_no);
    let r = state.engine().reply(&req.scenario, &ctx).map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "reply_error", e.to_string()))?;
    Ok(Json(ReplyResponse { scenario: req.scenario, text: r.text, phrase: r.phrase, source: r.source }))
}

/// One conversation or a batch.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    // An array first: a bare `Value` would take arrays too.
    #[schema(value_type = Vec<Object>)]
    Many(Vec<serde_json::Value>),
    #[schema(value_type = Object)]
    One(Box<serde_json::Value>),
    /// JSON Lines or a spreadsheet (see [`Transcripts`]): one item per
    /// non-empty line (per conversation's first row), with its line (row)
    /// number, or that line's error (not JSON, not UTF-8, a bad cell).
    #[serde(skip)]
    Lines(Vec<(usize, Result<serde_json::Value, ItemError>)>),
}

/// Media types of JSON Lines bodies.
const JSON_LINES_TYPES: [&str; 6] = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonl", "application/jsonlines", "application/x-jsonlines"];

fn json_lines_content_type(headers: &axum::http::HeaderMap) -> bool {
    JSON_LINES_TYPES.contains(&crate::extract::mime_of(headers).as_str())
}


/// A body of transcripts: JSON (one object or an array), or JSON Lines —
/// Content-Type `application/x-ndjson` (or `application/jsonl` and the
/// like), or a JSON body that is JSON Lines: more than one line, the first
/// a JSON object by itself. Each line is one conversation; a line that is
/// not JSON is that item's error (400 `invalid_json`), and the other lines
/// go on. A UTF-8 byte-order mark at the start is dropped.
pub struct Transcripts(pub OneOrMany);

impl FromRequest<AppState> for Transcripts {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lines = json_lines_content_type(req.headers());
        let xlsx = crate::extract::mime_of(req.headers()) == super::spreadsheet::XLSX;
        if !lines && !xlsx && !crate::extract::json_content_type(req.headers()) {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "请求头 Content-Type 应为 application/json（一个会话或数组）、application/x-ndjson（JSON Lines，每行一个会话），或 Excel 工作簿（.xlsx，每行一轮）",
            ));
        }
        let first_line = first_line_of(req.uri());
        let LimitedBytes(bytes) = LimitedBytes::from_request(req, state).await?;
        if xlsx {
            // Each conversation of the sheet with the row it starts on; a bad row is that conversation's error.
            let items = super::spreadsheet::transcripts(&bytes)?;
            let lines = items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let row = item.row;
                    (row, item.conversation.map_err(|error| ItemError { index, line: Some(row), status: 422, code: "invalid_conversation".into(), field: None, error }))
                })
                .collect();
            return Ok(Transcripts(OneOrMany::Lines(lines)));
        }
        let body = strip_bom(&bytes);
        if lines {
            return Ok(Transcripts(json_lines(body, first_line)));
        }
        match parse_json::<OneOrMany>(body) {
            Ok(v) => Ok(Transcripts(v)),
            Err(_) if looks_like_json_lines(body) => Ok(Transcripts(json_lines(body, first_line))),
            Err(e) => Err(e),
        }
    }
}

/// The non-empty lines of a body with their line numbers (1-based), `\r\n` accepted.
fn body_lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
}

/// Whether a body that is not one JSON value is JSON Lines: several lines,
/// the first a JSON object on its own.
fn looks_like_json_lines(body: &[u8]) -> bool {
    let mut lines = body_lines(body);
    let first = lines.next().is_some_and(|(_, l)| serde_json::from_slice::<serde_json::Value>(l).is_ok_and(|v| v.is_object()));
    first && lines.next().is_some()
}

/// The `first_line` query parameter (a body cut from a longer file starts
/// at that line of it), 1 when absent or not a number.
fn first_line_of(uri: &axum::http::Uri) -> usize {
    uri.query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("first_line=").and_then(|n| n.parse::<usize>().ok()))
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

/// Each non-empty line: its value, or its error with the line named (its
/// number in the file, the body starting at line `first_line`).
fn json_lines(body: &[u8], first_line: usize) -> OneOrMany {
    let shift = first_line - 1;
    let items = body_lines(body)
        .map(|(n, line)| (n + shift, line))
        .enumerate()
        .map(|(index, (n, line))| {
            let bad = |message: String| ItemError { index, line: Some(n), status: 400, code: "invalid_json".into(), field: None, error: message };
            let text = std::str::from_utf8(line).map_err(|e| bad(format!("第 {n} 行不是有效的 UTF-8 文本（该行第 {} 字节起）", e.valid_up_to() + 1)))?;
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| bad(format!("第 {n} 行不是有效的 JSON（第 {} 个字符处：{}）", e.column(), kefu_core::json_errors::syntax_reason_of(&e))))
        })
        .zip(body_lines(body).map(|(n, _)| n + shift))
        .map(|(item, n)| (n, item))
        .collect();
    OneOrMany::Lines(items)
}

/// Why one item of a request could not be inspected or stored: the status
/// it would have had on its own (422 for an invalid transcript, 409 for a
/// duplicate, 503 when the database cannot write, 500 for a fault of kefu),
/// a stable code, the field at fault and a message in Chinese.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ItemError {
    pub index: usize,
    /// The line of JSON Lines (the first row of a spreadsheet's conversation) the item came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub status: u16,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub error: String,
}

impl ItemError {
    pub fn from_api(index: usize, e: ApiError) -> ItemError {
        ItemError { index, line: None, status: e.status.as_u16(), code: e.code.to_string(), field: e.field, error: e.message }
    }

    /// The same error for a request that carried only this item.
    pub fn into_api(self) -> ApiError {
        let status = axum::http::StatusCode::from_u16(self.status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let code = match self.code.as_str() {
            "invalid_conversation" => "invalid_conversation",
            "conflict" => "conflict",
            "storage_unavailable" => "storage_unavailable",
            "not_found" => "not_found",
            "forbidden" => "forbidden",
            _ => "internal",
        };
        ApiError { field: self.field, ..ApiError::new(status, code, self.error) }
    }
}

/// A scorecard, or why the conversation could not be inspected.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum InspectOutcome {
    #[schema(value_type = Object)]
    Card(Box<Scorecard>),
    Error(ItemError),
}

/// One item of a batch: the line it came from (JSON Lines, spreadsheets)
/// and its value, or the error reading it.
pub type BatchItem = (Option<usize>, Result<serde_json::Value, ItemError>);

/// The items of a body, within the `max_batch` setting (413 above); a line
/// of JSON Lines that could not be read is already its error.
pub fn batch(body: OneOrMany, limits: &ServerLimits) -> Result<(bool, Vec<BatchItem>), ApiError> {
    let too_many = || ApiError::too_large(format!("一次最多 {} 个会话", limits.max_batch));
    match body {
        OneOrMany::One(v) => Ok((false, vec![(None, Ok(*v))])),
        OneOrMany::Many(vs) if vs.len() > limits.max_batch => Err(too_many()),
        OneOrMany::Many(vs) => Ok((true, vs.into_iter().map(|v| (None, Ok(v))).collect())),
        OneOrMany::Lines(items) if items.len() > limits.max_batch => Err(too_many()),
        OneOrMany::Lines(items) => Ok((true, items.into_iter().map(|(n, v)| (Some(n), v)).collect())),
    }
}

/// Decodes and validates one item against the limits: 422 naming the field.
pub fn decode(index: usize, value: Result<serde_json::Value, ItemError>, limits: &ServerLimits) -> Result<Conversation, ItemError> {
    let value = value.map_err(|e| ItemError { index, ..e })?;
    Conversation::from_json_with(value, &limits.engine()).map_err(|e| ItemError::from_api(index, ApiError::invalid_field("invalid_conversation", e.field, e.message)))
}

/// Runs the work for one item; a panic in it (a fault of kefu that no known
/// input triggers) becomes that item's 500 error with the request id, and the
/// other items go on.
pub fn guarded<T>(index: usize, request_id: Option<&str>, work: impl FnOnce() -> Result<T, ItemError>) -> Result<T, ItemError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(panic) => {
            let message = crate::privacy::mask_phones(&kefu_core::panic_message(panic.as_ref()).unwrap_or_default());
            tracing::error!(request_id = request_id.unwrap_or(""), index, panic = %message, "inspection panicked");
            let id = request_id.map(|id| format!("（请求编号 {id}）")).unwrap_or_default();
            Err(ItemError { index, line: None, status: 500, code: "internal".into(), field: None, error: format!("服务器内部错误：质检此会话时出错{id}，其余会话不受影响") })
        }
    }
}

#[utoipa::path(post, path = "/api/v1/inspect", tag = "engine", request_body(description = "one conversation, an array, or JSON Lines (one conversation per line)", content((OneOrMany = "application/json"), ("application/x-ndjson"))),
    responses((status = 200, description = "a scorecard, or for a batch an array of scorecards and error records", body = Object), (status = 422, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)))]
/// Scores one conversation or a batch against the checks (nothing is stored).
pub async fn inspect(_auth: Auth, State(state): State<AppState>, Transcripts(body): Transcripts) -> Result<Json<serde_json::Value>, ApiError> {
    let limits = state.limits();
    let (many, items) = batch(body, &limits)?;
    let engine = state.engine();
    let metrics = state.metrics.clone();
    let request_id = crate::request_id::current();
    let outcomes = state
        .run_heavy(move || {
            items
                .into_iter()
                .enumerate()
                .map(|(index, (line, v))| {
                    let card = guarded(index, request_id.as_deref(), || {
                        let conv = decode(index, v, &limits)?;
                        Ok(engine.inspect_with(&conv, &limits.engine()))
                    });
                    match card {
                        Ok(card) => {
                            metrics.conversations_inspected.fetch_add(1, Ordering::Relaxed);
                            InspectOutcome::Card(Box::new(card))
                        }
                        Err(e) => InspectOutcome::Error(ItemError { line, ..e }),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await?;
    if many {
        return Ok(Json(serde_json::to_value(outcomes).map_err(|e| ApiError::internal(e.to_string()))?));
    }
    match outcomes.into_iter().next() {
        Some(InspectOutcome::Card(card)) => Ok(Json(serde_json::to_value(card).map_err(|e| ApiError::internal(e.to_string()))?)),
        Some(InspectOutcome::Error(e)) => Err(e.into_api()),
        None => Err(ApiError::bad_request("bad_request", "没有会话")),
    }
}
