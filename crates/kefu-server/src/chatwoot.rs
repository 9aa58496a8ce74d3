//! Chatwoot: a webhook receiver for `message_created`. Agent messages
//! (`message_type` outgoing, not private, sender type user) are linted and
//! stored; when the Chatwoot URL and an API token are configured, a private
//! note with the violations and the suggested wording is posted back through
//! Chatwoot's conversation messages API. Customer messages are stored too, so
//! a chat can be assembled into a transcript and inspected.
//!
//! Authentication: with a webhook secret configured, `X-Chatwoot-Signature`
//! must be `sha256=` HMAC-SHA256 of `"{X-Chatwoot-Timestamp}.{raw body}"`
//! and the timestamp at most five minutes old; without one, the URL must
//! carry an API token (`?token=`), so the endpoint is never open.

use std::sync::atomic::Ordering;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::api::engine::{lint_text, ViolationOut};
use crate::auth::{self, Auth, Role};
use crate::error::ApiError;
use crate::extract::{ApiJson, LimitedBytes};
use kefu_store::chat::ChatMessage;
use crate::AppState;

const SETTINGS_KEY: &str = "chatwoot";
const SOURCE: &str = "chatwoot";
/// Signed requests older (or newer) than this are replays.
const MAX_SKEW_SECONDS: i64 = 300;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatwootSettings {
    /// Base URL of the Chatwoot installation, e.g. https://chat.example.com
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub api_token: String,
    #[serde(default)]
    pub webhook_secret: String,
}

/// What the API shows of the settings: never the secrets themselves.
#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    pub url: String,
    pub api_token_set: bool,
    pub webhook_secret_set: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    pub url: Option<String>,
    /// A Chatwoot access token (of an agent bot or an agent) for posting notes; "" removes it.
    pub api_token: Option<String>,
    /// The webhook's secret from Chatwoot; "" removes it.
    pub webhook_secret: Option<String>,
}

async fn load(state: &AppState) -> Result<ChatwootSettings, ApiError> {
    state.json_setting(SETTINGS_KEY).await
}

fn view(s: &ChatwootSettings) -> SettingsView {
    SettingsView { url: s.url.clone(), api_token_set: !s.api_token.is_empty(), webhook_secret_set: !s.webhook_secret.is_empty() }
}

#[utoipa::path(get, path = "/api/v1/settings/chatwoot", tag = "integrations", responses((status = 200, body = SettingsView)))]
/// The Chatwoot settings (admins; secrets are shown only as set or not).
pub async fn get_settings(auth: Auth, State(state): State<AppState>) -> Result<Json<SettingsView>, ApiError> {
    auth.require(Role::Admin)?;
    Ok(Json(view(&load(&state).await?)))
}

#[utoipa::path(put, path = "/api/v1/settings/chatwoot", tag = "integrations", request_body = SettingsUpdate, responses((status = 200, body = SettingsView)))]
/// Changes the Chatwoot settings (admins).
pub async fn put_settings(auth: Auth, State(state): State<AppState>, ApiJson(u): ApiJson<SettingsUpdate>) -> Result<Json<SettingsView>, ApiError> {
    auth.require(Role::Admin)?;
    let mut s = load(&state).await?;
    if let Some(url) = u.url {
        let url = url.trim().trim_end_matches('/').to_string();
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiError::bad_request("invalid_field", "url 应以 http:// 或 https:// 开头"));
        }
        s.url = url;
    }
    if let Some(t) = u.api_token {
        s.api_token = t.trim().to_string();
    }
    if let Some(w) = u.webhook_secret {
        s.webhook_secret = w.trim().to_string();
    }
    state.save_json_setting(&auth.user, SETTINGS_KEY, &s).await?;
    Ok(Json(view(&s)))
}

type HmacSha256 = Hmac<Sha256>;

/// Checks `sha256=<hex>` over `"{timestamp}.{body}"` in constant time, and the timestamp's age.
pub fn verify_signature(secret: &str, timestamp: Option<&str>, signature: Option<&str>, body: &[u8], now: i64) -> Result<(), &'static str> {
    let ts = timestamp.ok_or("缺少 X-Chatwoot-Timestamp")?;
    let t: i64 = ts.trim().parse().map_err(|_| "X-Chatwoot-Timestamp 不是 Unix 时间")?;
    if (now - t).abs() > MAX_SKEW_SECONDS {
        return Err("签名已过期（时间戳超出 5 分钟）");
    }
    let sig = signature.ok_or("缺少 X-Chatwoot-Signature")?;
    let hex_sig = sig.trim().strip_prefix("sha256=").unwrap_or(sig.trim());
    let expected = hex::decode(hex_sig).map_err(|_| "X-Chatwoot-Signature 格式不对")?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| "密钥无效")?;
    mac.update(ts.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| "签名不匹配")
}

#[derive(Deserialize, Default)]
pub struct WebhookQuery {
    pub token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookResult {
    /// linted | stored | ignored | duplicate
    pub status: String,
    pub reason: Option<String>,
    pub violations: Vec<ViolationOut>,
}

fn ignored(reason: &str) -> Json<WebhookResult> {
    Json(WebhookResult { status: "ignored".into(), reason: Some(reason.into()), violations: Vec::new() })
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[utoipa::path(post, path = "/api/v1/integrations/chatwoot", tag = "integrations", request_body(content = Object, description = "Chatwoot's webhook payload"),
    responses((status = 200, body = WebhookResult), (status = 401, body = crate::error::ErrorBody)))]
/// The Chatwoot webhook (`message_created`).
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<WebhookQuery>, LimitedBytes(body): LimitedBytes) -> Result<Json<WebhookResult>, ApiError> {
    let settings = load(&state).await?;
    if settings.webhook_secret.is_empty() {
        // No secret: the webhook URL must carry an integration token.
        let Some(token) = q.token else { return Err(ApiError::unauthorized("未配置 Chatwoot 签名密钥时，Webhook 地址须带 token 参数")) };
        let store = state.store.clone();
        let hash = auth::secret_hash(&token);
        let user = tokio::task::spawn_blocking(move || store.token_user(&hash)).await??;
        if user.is_none_or(|u| u.role < Role::Supervisor) {
            return Err(ApiError::unauthorized("API 令牌无效"));
        }
    } else {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Err(why) = verify_signature(&settings.webhook_secret, header("x-chatwoot-timestamp"), header("x-chatwoot-signature"), &body, chrono::Utc::now().timestamp()) {
            tracing::warn!(target: "kefu::audit", reason = why, "chatwoot webhook refused");
            return Err(ApiError::unauthorized(why));
        }
    }
    let payload: Value = crate::extract::parse_json(&body)?;
    if payload["event"] != "message_created" {
        return Ok(ignored("不是 message_created 事件"));
    }
    // Chatwoot sends message_type as a name; older versions as its number (0 incoming, 1 outgoing).
    let message_type = match &payload["message_type"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(0) => "incoming".into(),
            Some(1) => "outgoing".into(),
            _ => "other".into(),
        },
        _ => String::new(),
    };
    if payload["private"].as_bool().unwrap_or(false) {
        return Ok(ignored("私密备注"));
    }
    let sender_type = payload["sender"]["type"].as_str().unwrap_or("");
    let speaker = match (message_type.as_str(), sender_type) {
        ("outgoing", "user") => "agent",
        ("incoming", _) => "customer",
        _ => return Ok(ignored("既不是坐席消息也不是客户消息")),
    };
    let content = payload["content"].as_str().unwrap_or("").to_string();
    let (Some(message_id), Some(account_id)) = (int(&payload["id"]), int(&payload["account"]["id"])) else {
        return Err(ApiError::bad_request("invalid_field", "缺少 id 或 account.id"));
    };
    let conversation = &payload["conversation"];
    let Some(conversation_id) = int(&conversation["display_id"]).or_else(|| int(&conversation["id"])) else {
        return Err(ApiError::bad_request("invalid_field", "缺少 conversation.id"));
    };
    let limits = state.limits();
    super::api::engine::check_text(&content, &limits)?;
    let violations = if speaker == "agent" { lint_text(&state.engine(), &content, limits.max_hits_per_turn).0 } else { Vec::new() };
    if speaker == "agent" {
        state.metrics.lint_checks.fetch_add(1, Ordering::Relaxed);
        state.metrics.lint_violations.fetch_add(violations.len() as u64, Ordering::Relaxed);
    }
    let sender = payload["sender"]["email"].as_str().filter(|s| !s.is_empty()).map(str::to_string).unwrap_or_else(|| {
        int(&payload["sender"]["id"]).map_or_else(|| "unknown".to_string(), |id| format!("chatwoot-{}-{id}", if speaker == "agent" { "user" } else { "contact" }))
    });
    let created_at = match &payload["created_at"] {
        Value::Number(n) => n.as_i64().and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.to_rfc3339()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
    .unwrap_or_else(kefu_store::now);
    let message = ChatMessage {
        source: SOURCE.into(),
        account_id,
        conversation_id,
        message_id,
        speaker: speaker.into(),
        sender,
        content: content.clone(),
        violations: serde_json::to_string(&violations).unwrap_or_else(|_| "[]".into()),
        created_at,
        note_status: String::new(),
    };
    let store = state.store.clone();
    let fresh = tokio::task::spawn_blocking(move || store.put_chat_message(&message)).await??;
    if !fresh {
        return Ok(Json(WebhookResult { status: "duplicate".into(), reason: Some("这条消息已处理过".into()), violations }));
    }
    tracing::info!(target: "kefu::chatwoot", account_id, conversation_id, message_id, speaker, violations = violations.len(), "message received");
    if !violations.is_empty() {
        if settings.url.is_empty() || settings.api_token.is_empty() {
            let store = state.store.clone();
            tokio::task::spawn_blocking(move || store.set_note_status(SOURCE, account_id, message_id, "skipped: 未配置 Chatwoot 地址或令牌")).await??;
        } else {
            let note = note_text(&content, &violations);
            let state = state.clone();
            // Posted in the background: Chatwoot waits for nobody, and a slow Chatwoot never slows the webhook.
            tokio::spawn(async move {
                let status = post_note(&settings, account_id, conversation_id, &note).await;
                let store = state.store.clone();
                let _ = tokio::task::spawn_blocking(move || store.set_note_status(SOURCE, account_id, message_id, &status)).await;
            });
        }
    }
    Ok(Json(WebhookResult { status: if speaker == "agent" { "linted".into() } else { "stored".into() }, reason: None, violations }))
}

/// The private note: each forbidden phrase, why, the suggested wording and the source.
pub fn note_text(content: &str, violations: &[ViolationOut]) -> String {
    let chars: Vec<char> = content.chars().collect();
    let mut out = format!("【kefu 规范提醒】这条回复有 {} 处服务忌语：\n", violations.len());
    for (i, v) in violations.iter().enumerate() {
        let quoted: String = chars.get(v.start..v.end).map(|c| c.iter().collect()).unwrap_or_else(|| v.matched.clone());
        out.push_str(&format!("{}. “{}” —— {}\n   建议说：{}\n   依据：{}\n", i + 1, quoted, v.message, v.suggestion, v.source));
    }
    out.push_str("（仅坐席可见）");
    out
}

/// Posts a private note; returns the status to store (`posted` or why not).
async fn post_note(s: &ChatwootSettings, account_id: i64, conversation_id: i64, note: &str) -> String {
    let url = format!("{}/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages", s.url);
    let client = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build() {
        Ok(c) => c,
        Err(e) => return format!("failed: {e}"),
    };
    let sent = client
        .post(&url)
        .header("api_access_token", &s.api_token)
        .json(&json!({"content": note, "message_type": "outgoing", "private": true, "content_type": "text"}))
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => "posted".into(),
        Ok(r) => {
            let status = r.status();
            tracing::warn!(target: "kefu::chatwoot", %status, account_id, conversation_id, "private note refused");
            format!("failed: HTTP {status}")
        }
        Err(e) => {
            // The error names the URL, never the token.
            tracing::warn!(target: "kefu::chatwoot", error = %crate::privacy::mask_phones(&e.to_string()), "private note not sent");
            format!("failed: {}", if e.is_timeout() { "timeout" } else { "connection" })
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChatInspected {
    pub conversation: kefu_store::ConversationRow,
    pub messages: usize,
}

#[utoipa::path(post, path = "/api/v1/integrations/chatwoot/{account_id}/{conversation_id}/inspect", tag = "integrations",
    params(("account_id" = i64, Path), ("conversation_id" = i64, Path)), responses((status = 200, body = ChatInspected), (status = 404, body = crate::error::ErrorBody)))]
/// Assembles the stored messages of a Chatwoot conversation into a chat
/// transcript, inspects it and stores the scorecard (supervisors).
pub async fn inspect_chat(auth: Auth, State(state): State<AppState>, Path((account_id, conversation_id)): Path<(i64, i64)>) -> Result<Json<ChatInspected>, ApiError> {
    auth.require(Role::Supervisor)?;
    let store = state.store.clone();
    let messages = tokio::task::spawn_blocking(move || store.chat_messages(SOURCE, account_id, conversation_id)).await??;
    if messages.is_empty() {
        return Err(ApiError::not_found(format!("没有收到 Chatwoot 会话 {account_id}/{conversation_id} 的消息")));
    }
    let first = messages.iter().filter_map(|m| chrono::DateTime::parse_from_rfc3339(&m.created_at).ok()).min();
    let agent = messages.iter().find(|m| m.speaker == "agent").map(|m| m.sender.clone()).unwrap_or_default();
    let turns: Vec<Value> = messages
        .iter()
        .map(|m| {
            let start = match (first, chrono::DateTime::parse_from_rfc3339(&m.created_at).ok()) {
                (Some(f), Some(t)) => (t - f).num_milliseconds() as f64 / 1000.0,
                _ => 0.0,
            };
            json!({"speaker": m.speaker, "start": start, "text": m.content})
        })
        .collect();
    let transcript = json!({
        "id": format!("chatwoot-{account_id}-{conversation_id}"),
        "channel": "chat",
        "started_at": first.map(|f| f.with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339()),
        "agent": {"id": agent},
        "turns": turns,
    });
    let count = messages.len();
    let (_, stored) = crate::api::conversations::store_batch(&state, Some(&auth), crate::api::engine::OneOrMany::One(Box::new(transcript)), SOURCE, true).await?;
    match stored.results.into_iter().next() {
        Some(crate::api::conversations::StoredItem::Ok { conversation, .. }) => Ok(Json(ChatInspected { conversation, messages: count })),
        Some(crate::api::conversations::StoredItem::Error(e)) => Err(e.into_api()),
        None => Err(ApiError::internal("no result")),
    }
}
