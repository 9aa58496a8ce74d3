//! The engine over HTTP: lint, classify, reply, inspect (nothing stored).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::Json;
use chrono::DateTime;
use kefu_core::inspect::{Conversation, Scorecard};
use kefu_core::reply::{Channel, Line, ReplyContext};
use kefu_core::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// The longest text accepted by lint and classify (characters).
pub const MAX_TEXT_CHARS: usize = 100_000;

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
}

#[derive(Serialize, ToSchema)]
pub struct LintResponse {
    pub text: String,
    pub violations: Vec<ViolationOut>,
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
}

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

pub fn check_text(text: &str) -> Result<(), ApiError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("文本过长（最多 {MAX_TEXT_CHARS} 个字符）")));
    }
    Ok(())
}

pub fn lint_text(engine: &Engine, text: &str) -> Vec<ViolationOut> {
    engine
        .lint(text)
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
        })
        .collect()
}

pub fn classify_text(engine: &Engine, text: &str, ctx: &ReplyContext) -> ClassifyResponse {
    let c = engine.classify(text);
    let (reply, reply_error) = match engine.reply(c.scenario, ctx) {
        Ok(r) => (Some(r.text), None),
        Err(e) => (None, Some(e.to_string())),
    };
    ClassifyResponse { text: text.to_string(), scenario: c.scenario.to_string(), confidence: c.confidence, reply, reply_error }
}

pub fn now_shanghai() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI)
}

#[utoipa::path(post, path = "/api/v1/lint", tag = "engine", request_body = TextRequest,
    responses((status = 200, body = LintResponse), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
/// Checks an agent utterance against the forbidden phrases (服务忌语).
pub async fn lint(_auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TextRequest>) -> Result<Json<LintResponse>, ApiError> {
    check_text(&req.text)?;
    let current = state.current();
    let violations = lint_text(&current.engine, &req.text);
    state.metrics.lint_checks.fetch_add(1, Ordering::Relaxed);
    state.metrics.lint_violations.fetch_add(violations.len() as u64, Ordering::Relaxed);
    Ok(Json(LintResponse { text: req.text, violations, rulebook_version: current.version }))
}

#[utoipa::path(post, path = "/api/v1/classify", tag = "engine", request_body = TextRequest,
    responses((status = 200, body = ClassifyResponse), (status = 400, body = crate::error::ErrorBody)))]
/// Recognises the scenario of a customer utterance and renders its standard reply.
pub async fn classify(_auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TextRequest>) -> Result<Json<ClassifyResponse>, ApiError> {
    check_text(&req.text)?;
    Ok(Json(classify_text(&state.engine(), &req.text, &ReplyContext::new(now_shanghai()))))
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
pub async fn reply(_auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<ReplyRequest>) -> Result<Json<ReplyResponse>, ApiError> {
    let ctx = reply_context(&req)?;
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
}

/// A scorecard, or why the conversation could not be inspected.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum InspectOutcome {
    #[schema(value_type = Object)]
    Card(Box<Scorecard>),
    Error { index: usize, error: String },
}

pub const MAX_BATCH: usize = 1_000;

pub fn batch(body: OneOrMany) -> Result<(bool, Vec<serde_json::Value>), ApiError> {
    match body {
        OneOrMany::One(v) => Ok((false, vec![*v])),
        OneOrMany::Many(vs) if vs.len() > MAX_BATCH => Err(ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("一次最多 {MAX_BATCH} 个会话"))),
        OneOrMany::Many(vs) => Ok((true, vs)),
    }
}

#[utoipa::path(post, path = "/api/v1/inspect", tag = "engine", request_body = OneOrMany,
    responses((status = 200, description = "a scorecard, or for a batch an array of scorecards and error records", body = Object), (status = 422, body = crate::error::ErrorBody)))]
/// Scores one conversation or a batch against the checks (nothing is stored).
pub async fn inspect(_auth: Auth, State(state): State<AppState>, ApiJson(body): ApiJson<OneOrMany>) -> Result<Json<serde_json::Value>, ApiError> {
    let (many, items) = batch(body)?;
    let engine = state.engine();
    let metrics = state.metrics.clone();
    let outcomes = tokio::task::spawn_blocking(move || {
        items
            .into_iter()
            .enumerate()
            .map(|(index, v)| match Conversation::from_json(v) {
                Ok(conv) => {
                    metrics.conversations_inspected.fetch_add(1, Ordering::Relaxed);
                    InspectOutcome::Card(Box::new(engine.inspect(&conv)))
                }
                Err(error) => InspectOutcome::Error { index, error: error.message },
            })
            .collect::<Vec<_>>()
    })
    .await?;
    if many {
        return Ok(Json(serde_json::to_value(outcomes).map_err(|e| ApiError::internal(e.to_string()))?));
    }
    match outcomes.into_iter().next() {
        Some(InspectOutcome::Card(card)) => Ok(Json(serde_json::to_value(card).map_err(|e| ApiError::internal(e.to_string()))?)),
        Some(InspectOutcome::Error { error, .. }) => Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_conversation", error)),
        None => Err(ApiError::bad_request("bad_request", "没有会话")),
    }
}
