//! Stored conversations and scorecards: inspect-and-store, search, view, and
//! the appeal flow (an agent disputes a failed check; a supervisor upholds or
//! overturns it, and the score follows).

use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kefu_core::inspect::{Conversation, Scorecard};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::engine::{batch, decode, guarded, ItemError, OneOrMany, Transcripts};
use crate::auth::{Auth, Role};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use kefu_store::{Appeal, ConversationRow, Search};
use crate::AppState;

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct StoreParams {
    /// Re-inspect and replace a conversation already stored under the same id.
    pub replace: Option<bool>,
    /// The line number of the body's first line in the file it was cut
    /// from (JSON Lines sent in parts): errors name the file's lines.
    pub first_line: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct Stored {
    /// For each input, in order: the stored row, or why it was not stored.
    pub results: Vec<StoredItem>,
    pub stored: usize,
    pub errors: usize,
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StoredItem {
    Ok {
        index: usize,
        conversation: ConversationRow,
        /// The scorecard just made, for callers that return it (the webhook); not part of this response.
        #[serde(skip)]
        #[schema(ignore)]
        scorecard: Box<Scorecard>,
    },
    Error(ItemError),
}

/// (turn, rule, category) of each forbidden phrase in the agent's turns, for
/// the charts: at most `max_hits_per_turn` per turn and
/// `max_hits_per_conversation` in all, like the scorecard's evidence.
fn agent_violations(engine: &kefu_core::Engine, conv: &Conversation, limits: &kefu_core::limits::Limits) -> Vec<(usize, String, String)> {
    let mut scratch = kefu_core::matcher::Scratch::default();
    let mut out = Vec::new();
    for (i, t) in conv.turns.iter().enumerate().filter(|(_, t)| t.speaker == kefu_core::inspect::Party::Agent) {
        let room = limits.max_hits_per_turn.min(limits.max_hits_per_conversation.saturating_sub(out.len()));
        if room == 0 {
            break;
        }
        let (violations, _) = engine.lint_rules_capped(&t.text, room, &mut scratch);
        out.extend(violations.into_iter().map(|v| (i, v.rule.to_string(), v.category.to_string())));
    }
    out
}

/// Inspects and stores conversations: one (→ 201 with the row) or a batch (→ per-item results).
/// An item that cannot be decoded, inspected or stored is that item's error;
/// the others are stored.
pub async fn store_batch(state: &AppState, auth: Option<&Auth>, body: OneOrMany, source: &str, replace: bool) -> Result<(bool, Stored), ApiError> {
    let limits = state.limits();
    let (many, items) = batch(body, &limits)?;
    let current = state.current();
    let store = state.store.clone();
    let metrics = state.metrics.clone();
    let source = source.to_string();
    let username = auth.map(|a| a.user.username.clone());
    let scope = auth.map_or(kefu_store::WriteScope::All, Auth::scope);
    let by = auth.map(|a| a.user.clone());
    let request_id = crate::request_id::current();
    let results = state
        .run_heavy(move || {
            let engine_limits = limits.engine();
            items
                .into_iter()
                .enumerate()
                .map(|(index, (line, v))| {
                    let stored = guarded(index, request_id.as_deref(), || {
                        let conv = decode(index, v, &limits)?;
                        let card = current.engine.inspect_with(&conv, &engine_limits);
                        metrics.conversations_inspected.fetch_add(1, Ordering::Relaxed);
                        let violations = agent_violations(&current.engine, &conv, &engine_limits);
                        let row = store
                            .put_conversation(&conv, &card, &violations, &source, current.version, replace, &scope, by.as_ref())
                            .map_err(|e| ItemError::from_api(index, ApiError::from(e)))?;
                        Ok((row, card))
                    });
                    match stored {
                        Ok((conversation, card)) => StoredItem::Ok { index, conversation, scorecard: Box::new(card) },
                        Err(e) => StoredItem::Error(ItemError { line, ..e }),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await?;
    let stored = results.iter().filter(|r| matches!(r, StoredItem::Ok { .. })).count();
    tracing::info!(target: "kefu::audit", user = username.as_deref().unwrap_or("webhook"), stored, total = results.len(), "conversations stored");
    Ok((many, Stored { errors: results.len() - stored, stored, results }))
}

#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body(description = "one conversation, an array, or JSON Lines (one conversation per line)", content((OneOrMany = "application/json"), ("application/x-ndjson"))), params(StoreParams),
    responses((status = 201, description = "one conversation stored", body = ConversationRow), (status = 200, description = "a batch: per-item results (an item's error has the status it would have had alone)", body = Stored),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)))]
/// Inspects and stores conversations (supervisors, admins and integration tokens).
pub async fn create(auth: Auth, State(state): State<AppState>, ApiQuery(params): ApiQuery<StoreParams>, Transcripts(body): Transcripts) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    auth.require(Role::Supervisor)?;
    let (many, stored) = store_batch(&state, Some(&auth), body, "api", params.replace.unwrap_or(false)).await?;
    if many {
        return Ok((StatusCode::OK, Json(to_value(&stored)?)));
    }
    match stored.results.into_iter().next() {
        Some(StoredItem::Ok { conversation, .. }) => Ok((StatusCode::CREATED, Json(to_value(&conversation)?))),
        Some(StoredItem::Error(e)) => Err(e.into_api()),
        None => Err(ApiError::bad_request("bad_request", "没有会话")),
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Agent id (as in transcripts).
    pub agent: Option<String>,
    pub team: Option<String>,
    /// First day, YYYY-MM-DD (Asia/Shanghai).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD.
    pub to: Option<String>,
    /// Only conversations where this check failed.
    pub check: Option<String>,
    pub min_score: Option<u32>,
    pub max_score: Option<u32>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// newest (default) | oldest | score (lowest first) | -score | agent
    pub sort: Option<String>,
}

/// The search the caller may run: their scope narrows the filters, and
/// asking for more than the scope finds nothing (`None`).
pub(crate) fn scoped(auth: &Auth, p: SearchParams) -> Result<Option<Search>, ApiError> {
    check_day("from", &p.from)?;
    check_day("to", &p.to)?;
    // (YYYY-MM-DD compares as text)
    if let (Some(from), Some(to)) = (&p.from, &p.to) {
        if from > to {
            return Err(ApiError::bad_request("invalid_query", format!("起始日 {from} 晚于截止日 {to}")).with_fields(vec!["from".into(), "to".into()]));
        }
    }
    if let (Some(min), Some(max)) = (p.min_score, p.max_score) {
        if min > max {
            return Err(ApiError::bad_request("invalid_query", format!("最低分 {min} 高于最高分 {max}")).with_fields(vec!["min_score".into(), "max_score".into()]));
        }
    }
    let mut s = Search {
        agent: p.agent,
        team: p.team,
        from: p.from,
        to: p.to,
        failed_check: p.check,
        min_score: p.min_score,
        max_score: p.max_score,
        limit: p.limit.unwrap_or(50).clamp(1, 500),
        offset: p.offset.unwrap_or(0),
        sort: match p.sort.as_deref() {
            None | Some("") => kefu_store::Sort::default(),
            Some(id) => kefu_store::Sort::parse(id).ok_or_else(|| ApiError::bad_request("invalid_query", "排序方式 sort 应为 newest（最新）、oldest（最早）、score（得分从低到高）、-score（得分从高到低）或 agent（按坐席）").with_field("sort"))?,
        },
    };
    match auth.user.role {
        Role::Admin => {}
        Role::Supervisor => {
            if auth.user.team.is_empty() || s.team.as_ref().is_some_and(|t| *t != auth.user.team) {
                return Ok(None);
            }
            s.team = Some(auth.user.team.clone());
        }
        Role::Agent => {
            if auth.user.agent_id.is_empty() || s.agent.as_ref().is_some_and(|a| *a != auth.user.agent_id) {
                return Ok(None);
            }
            s.agent = Some(auth.user.agent_id.clone());
        }
    }
    Ok(Some(s))
}

/// The QA charts, and 合格率 at the centre's pass mark.
#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    #[serde(flatten)]
    #[schema(inline)]
    pub report: kefu_store::Report,
    /// The pass mark in force (QA settings; default 80).
    pub pass_mark: u32,
    /// Conversations scoring the pass mark or more.
    pub passed: u64,
}

#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "conversations", params(SearchParams), responses((status = 200, body = ReportOut)))]
/// The QA charts over the scorecards the caller may see (same filters as the search), with 合格率 at the pass mark.
pub async fn report(auth: Auth, State(state): State<AppState>, ApiQuery(p): ApiQuery<SearchParams>) -> Result<Json<ReportOut>, ApiError> {
    let qa: crate::qa::QaSettings = state.json_setting(crate::qa::SETTINGS_KEY).await?;
    let Some(s) = scoped(&auth, p)? else {
        return Ok(Json(ReportOut { report: kefu_store::Report::empty(), pass_mark: qa.pass_mark, passed: 0 }));
    };
    let store = state.store.clone();
    let (report, passed) = tokio::task::spawn_blocking(move || {
        let report = store.report(&s)?;
        let at_pass = Search { min_score: Some(s.min_score.unwrap_or(0).max(qa.pass_mark)), limit: 1, offset: 0, ..s };
        let (passed, _) = store.search(&at_pass)?;
        Ok::<_, kefu_store::StoreError>((report, passed))
    })
    .await??;
    Ok(Json(ReportOut { report, pass_mark: qa.pass_mark, passed }))
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub total: u64,
    pub items: Vec<ConversationRow>,
}

fn check_day(name: &str, v: &Option<String>) -> Result<(), ApiError> {
    if let Some(d) = v {
        let label = if name == "from" { "起始日" } else { "截止日" };
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| ApiError::bad_request("invalid_query", format!("{label}（{name}）应为 YYYY-MM-DD 日期，例如 2026-11-22")).with_field(name))?;
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 400, body = crate::error::ErrorBody)))]
/// Searches scorecards. Agents see their own, supervisors their team's, admins all.
pub async fn search(auth: Auth, State(state): State<AppState>, ApiQuery(p): ApiQuery<SearchParams>) -> Result<Json<SearchResult>, ApiError> {
    let Some(s) = scoped(&auth, p)? else {
        return Ok(Json(SearchResult { total: 0, items: Vec::new() }));
    };
    let store = state.store.clone();
    let (total, items) = tokio::task::spawn_blocking(move || store.search(&s)).await??;
    Ok(Json(SearchResult { total, items }))
}

#[derive(Serialize, ToSchema)]
pub struct ConversationView {
    pub conversation: ConversationRow,
    #[schema(value_type = Object)]
    pub transcript: Conversation,
    /// The current scorecard: overturned checks count as passed.
    #[schema(value_type = Object)]
    pub scorecard: Scorecard,
    pub appeals: Vec<Appeal>,
}

async fn visible(state: &AppState, auth: &Auth, id: String) -> Result<(ConversationRow, Conversation, Scorecard), ApiError> {
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || store.conversation(&id)).await??;
    match found {
        Some((row, conv, card)) if auth.may_see(&row.agent, &row.team) => Ok((row, conv, card)),
        // Not revealing whether a conversation the caller may not see exists.
        _ => Err(ApiError::not_found("会话不存在或无权查看")),
    }
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = String, Path)),
    responses((status = 200, body = ConversationView), (status = 404, body = crate::error::ErrorBody)))]
/// A stored conversation with its transcript, scorecard and appeals.
pub async fn view(auth: Auth, State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<ConversationView>, ApiError> {
    let (row, transcript, scorecard) = visible(&state, &auth, id.clone()).await?;
    let store = state.store.clone();
    let appeals = tokio::task::spawn_blocking(move || store.appeals(None, None, None, Some(&id), kefu_store::Page::ALL)).await??.items;
    Ok(Json(ConversationView { conversation: row, transcript, scorecard, appeals }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// The failed check disputed, e.g. `closing.farewell`.
    pub check: String,
    pub reason: String,
    /// A second appeal of a check already decided: the agent has new grounds
    /// (and the reason must differ from the earlier one's).
    #[serde(default)]
    pub new_grounds: bool,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/appeals", tag = "appeals", params(("id" = String, Path)), request_body = AppealRequest,
    responses((status = 201, body = Appeal), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
/// An agent disputes a failed check of one of their own conversations.
pub async fn file_appeal(auth: Auth, State(state): State<AppState>, Path(id): Path<String>, ApiJson(req): ApiJson<AppealRequest>) -> Result<(StatusCode, Json<Appeal>), ApiError> {
    let reason = req.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::bad_request("invalid_field", "请填写申诉理由").with_field("reason"));
    }
    if reason.chars().count() > 2_000 {
        return Err(ApiError::bad_request("invalid_field", "申诉理由最多 2000 字").with_field("reason"));
    }
    let (row, _, _) = visible(&state, &auth, id.clone()).await?;
    // Appeals are the agent's own: a supervisor decides, not files.
    if auth.user.role == Role::Agent && auth.user.agent_id != row.agent {
        return Err(ApiError::forbidden("只能对自己的会话提出申诉"));
    }
    // The appeal window runs from the inspection (a re-inspection opens it again).
    let qa: crate::qa::QaSettings = state.json_setting(crate::qa::SETTINGS_KEY).await?;
    if let Ok(inspected) = chrono::DateTime::parse_from_rfc3339(&row.inspected_at) {
        let closes = inspected + chrono::Duration::days(i64::from(qa.appeal_window_days));
        if chrono::Utc::now() > closes {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "appeal_window_closed", format!("申诉期已过：质检后 {} 天内可申诉（截至 {}）", qa.appeal_window_days, closes.with_timezone(&kefu_core::calendar::SHANGHAI).format("%Y-%m-%d %H:%M"))));
        }
    }
    let store = state.store.clone();
    let user_id = auth.user.id;
    let new_grounds = req.new_grounds;
    let appeal = tokio::task::spawn_blocking(move || store.file_appeal(&id, &req.check, user_id, &reason, new_grounds)).await??;
    Ok((StatusCode::CREATED, Json(appeal)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct AppealFilter {
    /// pending | upheld | overturned | decided (upheld or overturned)
    pub status: Option<String>,
    /// Items per page (default 200, at most 2000); the total is in X-Total-Count.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/appeals", tag = "appeals", params(AppealFilter), responses((status = 200, body = Vec<Appeal>)))]
/// Appeals: an agent's own, a supervisor's team's, all for admins.
pub async fn list_appeals(auth: Auth, State(state): State<AppState>, ApiQuery(f): ApiQuery<AppealFilter>) -> Result<axum::response::Response, ApiError> {
    let page = crate::page::requested(f.limit, f.offset)?;
    if let Some(s) = &f.status {
        if !["pending", "upheld", "overturned", "decided"].contains(&s.as_str()) {
            return Err(ApiError::bad_request("invalid_query", "status 应为 pending（待处理）、decided（已处理）、upheld 或 overturned").with_field("status"));
        }
    }
    let (team, filed_by) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let list = tokio::task::spawn_blocking(move || store.appeals(f.status.as_deref(), team.as_deref(), filed_by, None, page)).await??;
    Ok(crate::page::respond(list, page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// upheld (the check stays failed) | overturned (the check counts as passed)
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionResponse {
    pub appeal: Appeal,
    pub conversation: ConversationRow,
}

#[utoipa::path(post, path = "/api/v1/appeals/{id}/decision", tag = "appeals", params(("id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = DecisionResponse), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
/// A supervisor upholds or overturns an appeal; the score follows.
pub async fn decide(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>, ApiJson(req): ApiJson<DecisionRequest>) -> Result<Json<DecisionResponse>, ApiError> {
    auth.require(Role::Supervisor)?;
    let overturn = match req.decision.as_str() {
        "overturned" => true,
        "upheld" => false,
        other => return Err(ApiError::bad_request("invalid_field", format!("decision 应为 upheld 或 overturned，而不是 {other}"))),
    };
    let store = state.store.clone();
    let appeal = tokio::task::spawn_blocking(move || store.appeal(id)).await??.ok_or_else(|| ApiError::not_found(format!("申诉 {id} 不存在")))?;
    visible(&state, &auth, appeal.conversation_id.clone()).await.map_err(|_| ApiError::not_found(format!("申诉 {id} 不存在")))?;
    let store = state.store.clone();
    let user = auth.user.clone();
    let current = state.current();
    let check_name = current.engine.rulebook.checks.iter().find(|c| c.id == appeal.check_id).map_or_else(|| appeal.check_id.clone(), |c| c.name.clone());
    let (appeal, conversation) = tokio::task::spawn_blocking(move || {
        let decided = store.decide_appeal(id, overturn, user.id, &req.comment)?;
        store.audit(Some(&user), if overturn { "appeal.overturn" } else { "appeal.uphold" }, &format!("appeal {id}"), &format!("{} {}", decided.0.conversation_id, decided.0.check_id))?;
        // The agent hears of it (the bell), with the way to the conversation.
        let (appeal, conversation) = &decided;
        let verdict = if overturn { "已改判（计为通过）" } else { "维持原判" };
        let comment = if req.comment.trim().is_empty() { String::new() } else { format!("：{}", req.comment.trim()) };
        let message = format!("你对会话 {} “{}”的申诉{verdict}（{}{comment}）", appeal.conversation_id, check_name, user.display_name);
        store.notify(appeal.filed_by, &conversation.team, "appeal", &format!("#/conversation/{}", appeal.conversation_id), &message)?;
        Ok::<_, kefu_store::StoreError>(decided)
    })
    .await??;
    Ok(Json(DecisionResponse { appeal, conversation }))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("没有这个地址")
}

#[utoipa::path(post, path = "/api/v1/webhooks/transcript", tag = "integrations", request_body = super::engine::OneOrMany,
    responses((status = 200, description = "per-item results with scorecards", body = Stored)))]
/// The generic webhook: POST a conversation (or a batch) in the transcript
/// format with an integration token → it is inspected and stored, and the
/// scorecards come back.
pub async fn webhook_transcript(
    auth: crate::auth::Auth,
    axum::extract::State(state): axum::extract::State<AppState>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<super::engine::OneOrMany>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    auth.require(crate::auth::Role::Supervisor)?;
    let (_, stored) = store_batch(&state, Some(&auth), body, "webhook", true).await?;
    // The caller gets the scorecards too, not only the stored rows.
    let results: Vec<serde_json::Value> = stored
        .results
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let (Some(obj), StoredItem::Ok { scorecard, .. }) = (v.as_object_mut(), r) {
                obj.insert("scorecard".into(), serde_json::to_value(scorecard).unwrap_or_default());
            }
            v
        })
        .collect();
    Ok(axum::Json(serde_json::json!({"results": results, "stored": stored.stored, "errors": stored.errors})))
}
