//! The feedback loop of the semantic layer and the rules: an agent or a
//! supervisor marks a live-assist hit or a scorecard's evidence as a false
//! alarm, or a turn as a missed violation; each mark is stored with who and
//! when, listed for review, and exported as labelled JSON Lines in the lint
//! format that `kefu eval --lint` reads — so a centre's own data measures
//! (and later trains) its rulebook and model. Each mark records the rulebook
//! version and the model version it was made against.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::auth::{Auth, Role};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use kefu_store::feedback::{Feedback, NewFeedback};
use kefu_store::Page;
use crate::AppState;

#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = NewFeedback,
    responses((status = 201, body = Feedback), (status = 400, body = crate::error::ErrorBody)))]
/// Marks a hit as a false alarm or a turn as a missed violation (any role).
pub async fn create(auth: Auth, State(state): State<AppState>, ApiJson(f): ApiJson<NewFeedback>) -> Result<(StatusCode, Json<Feedback>), ApiError> {
    let bad = |field: &str, m: &str| ApiError::bad_request("invalid_field", m.to_string()).with_field(field);
    if f.kind != "false_alarm" && f.kind != "missed" {
        return Err(bad("kind", "kind 应为 false_alarm（误报）或 missed（漏报）"));
    }
    let chars = f.text.chars().count();
    if chars == 0 || chars > state.limits().max_text_chars {
        return Err(bad("text", "text 不能为空，也不能超过每段文字的字符上限"));
    }
    let current = state.current();
    let book = &current.engine.rulebook;
    if f.kind == "missed" && !book.categories.iter().any(|c| c.id == f.category) {
        return Err(bad("category", "漏报须写明类别（category），且为规则库中的类别"));
    }
    if !f.category.is_empty() && !book.categories.iter().any(|c| c.id == f.category) {
        return Err(bad("category", "category 不是规则库中的类别"));
    }
    if f.rule.chars().count() > 200 || f.note.chars().count() > 2_000 {
        return Err(bad("note", "rule 最多 200 字符，note 最多 2000 字"));
    }
    let model = current.engine.semantic().map(|l| l.agent.header.version.clone()).unwrap_or_default();
    let (store, user, version) = (state.store.clone(), auth.user.clone(), current.version);
    let saved = tokio::task::spawn_blocking(move || store.add_feedback(&f, &user, version, &model)).await??;
    tracing::info!(target: "kefu::audit", user = %auth.user.username, kind = %saved.kind, "feedback");
    Ok((StatusCode::CREATED, Json(saved)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct FeedbackQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(FeedbackQuery), responses((status = 200, body = Vec<Feedback>)))]
/// The marks for review: an agent's own, a supervisor's team's, all for admins (X-Total-Count).
pub async fn list(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<FeedbackQuery>) -> Result<Response, ApiError> {
    let page = crate::page::requested(q.limit, q.offset)?;
    // Agents see their own marks, supervisors their team's, admins all.
    let (team, user) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let list = tokio::task::spawn_blocking(move || store.feedback(team.as_deref(), user, page)).await??;
    Ok(crate::page::respond(list, page))
}

/// One exported line: the lint format of `kefu eval --lint`, with provenance.
#[derive(Serialize)]
struct Exported<'a> {
    text: &'a str,
    violation: bool,
    categories: Vec<&'a str>,
    source: &'static str,
    kind: &'a str,
    rule: &'a str,
    by: &'a str,
    at: &'a str,
    rulebook_version: i64,
    model_version: &'a str,
}

#[utoipa::path(get, path = "/api/v1/feedback/export.jsonl", tag = "feedback", responses((status = 200, description = "labelled JSON Lines (text, violation, categories) that kefu eval --lint reads")))]
/// The marks as labelled examples: a false alarm is a clean utterance, a
/// missed violation one of its category (supervisors: their team's; admins: all).
pub async fn export(auth: Auth, State(state): State<AppState>) -> Result<Response, ApiError> {
    auth.require(Role::Supervisor)?;
    let (team, user) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let all = tokio::task::spawn_blocking(move || store.feedback(team.as_deref(), user, Page::ALL)).await??;
    let mut body = String::new();
    for f in &all.items {
        let line = Exported {
            text: &f.text,
            violation: f.kind == "missed",
            categories: if f.kind == "missed" { vec![f.category.as_str()] } else { Vec::new() },
            source: "feedback",
            kind: &f.kind,
            rule: &f.rule,
            by: &f.username,
            at: &f.at,
            rulebook_version: f.rulebook_version,
            model_version: &f.model_version,
        };
        body.push_str(&serde_json::to_string(&line).map_err(|e| ApiError::internal(e.to_string()))?);
        body.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"feedback.jsonl\"")], body).into_response())
}
