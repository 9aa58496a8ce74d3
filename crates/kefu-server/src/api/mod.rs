//! The HTTP API under `/api/v1`. Every route takes an [`crate::auth::Auth`]
//! (401 without one) and checks its role; only log-in, `/healthz` and the
//! OpenAPI document are public.

pub mod conversations;
pub mod engine;
pub mod rulebook;
pub mod users;

use axum::routing::{get, patch, post};
use axum::Router;

use crate::error::ApiError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(users::login))
        .route("/api/v1/auth/logout", post(users::logout))
        .route("/api/v1/me", get(users::me))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route("/api/v1/users/{id}", patch(users::update))
        .route("/api/v1/tokens", get(users::list_tokens).post(users::create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(users::revoke_token))
        .route("/api/v1/settings/limits", get(crate::limits::get_limits).put(crate::limits::put_limits))
        .route("/api/v1/settings/centre", get(crate::centre::get_centre).put(crate::centre::put_centre))
        .route("/api/v1/lint", post(engine::lint))
        .route("/api/v1/feedback", get(crate::feedback::list).post(crate::feedback::create))
        .route("/api/v1/feedback/export.jsonl", get(crate::feedback::export))
        .route("/api/v1/classify", post(engine::classify))
        .route("/api/v1/reply", post(engine::reply))
        .route("/api/v1/inspect", post(engine::inspect))
        .route("/api/v1/conversations", get(conversations::search).post(conversations::create))
        .route("/api/v1/conversations/{id}", get(conversations::view))
        .route("/api/v1/conversations/{id}/appeals", post(conversations::file_appeal))
        .route("/api/v1/reports/summary", get(conversations::report))
        .route("/api/v1/appeals", get(conversations::list_appeals))
        .route("/api/v1/appeals/{id}/decision", post(conversations::decide))
        .route("/api/v1/rulebook", get(rulebook::overview))
        .route("/api/v1/rulebook/rules/{id}", get(rulebook::rule))
        .route("/api/v1/rulebook/file", get(rulebook::file).put(rulebook::edit))
        .route("/api/v1/rulebook/versions", get(rulebook::versions))
        .route("/api/v1/rulebook/try", post(rulebook::try_sentence))
        .route("/api/v1/audit", get(rulebook::audit))
        .route("/api/v1/webhooks/transcript", post(webhook_transcript))
        .route("/api/v1/integrations/chatwoot", post(crate::chatwoot::webhook))
        .route("/api/v1/integrations/chatwoot/{account_id}/{conversation_id}/inspect", post(crate::chatwoot::inspect_chat))
        .route("/api/v1/records", get(crate::desk::list).post(crate::desk::create))
        .route("/api/v1/records/export.xlsx", get(crate::mail::export))
        .route("/api/v1/records/call-log-draft", get(crate::desk::call_log_draft))
        .route("/api/v1/records/{id}", get(crate::desk::view).patch(crate::desk::edit))
        .route("/api/v1/records/{id}/send", post(crate::mail::send))
        .route("/api/v1/settings/smtp", get(crate::mail::get_smtp).put(crate::mail::put_smtp))
        .route("/api/v1/teams/{team}/mail", axum::routing::put(crate::mail::put_team_mail))
        .route("/api/v1/records/{id}/events", post(crate::desk::event))
        .route("/api/v1/conversations/{id}/record", post(crate::desk::from_conversation))
        .route("/api/v1/obligations", get(crate::desk::obligations_list))
        .route("/api/v1/notifications", get(crate::desk::notifications))
        .route("/api/v1/teams/{team}/hours", get(crate::desk::get_hours).put(crate::desk::set_hours))
        .route("/api/v1/calendar/years", get(crate::desk::calendar_years))
        .route("/api/v1/calendar/years/{year}", axum::routing::put(crate::desk::import_year))
        .route("/api/v1/calendar/days/{date}", get(crate::desk::calendar_day))
        .route("/api/v1/attendance/clock-in", post(crate::attendance::clock_in))
        .route("/api/v1/attendance/requests", post(crate::attendance::request))
        .route("/api/v1/attendance/requests/{id}/approve", post(crate::attendance::approve))
        .route("/api/v1/attendance/report", get(crate::attendance::report))
        .route("/api/v1/attendance/report.xlsx", get(crate::attendance::report_xlsx))
        .route("/api/v1/settings/chatwoot", get(crate::chatwoot::get_settings).put(crate::chatwoot::put_settings))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("没有这个地址")
}

#[utoipa::path(post, path = "/api/v1/webhooks/transcript", tag = "integrations", request_body = engine::OneOrMany,
    responses((status = 200, description = "per-item results with scorecards", body = conversations::Stored)))]
/// The generic webhook: POST a conversation (or a batch) in the transcript
/// format with an integration token → it is inspected and stored, and the
/// scorecards come back.
pub async fn webhook_transcript(
    auth: crate::auth::Auth,
    axum::extract::State(state): axum::extract::State<AppState>,
    crate::error::ApiJson(body): crate::error::ApiJson<engine::OneOrMany>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    auth.require(crate::auth::Role::Supervisor)?;
    let (_, stored) = conversations::store_batch(&state, Some(&auth), body, "webhook", true).await?;
    // The caller gets the scorecards too, not only the stored rows.
    let results: Vec<serde_json::Value> = stored
        .results
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let (Some(obj), conversations::StoredItem::Ok { scorecard, .. }) = (v.as_object_mut(), r) {
                obj.insert("scorecard".into(), serde_json::to_value(scorecard).unwrap_or_default());
            }
            v
        })
        .collect();
    Ok(axum::Json(serde_json::json!({"results": results, "stored": stored.stored, "errors": stored.errors})))
}
