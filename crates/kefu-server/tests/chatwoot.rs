//! Chatwoot integration against a local HTTP stand-in for Chatwoot that
//! records what it receives; payloads shaped like Chatwoot's webhooks.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use common::TestServer;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

/// What the stand-in received: path, api_access_token header, JSON body.
type Request = (String, Option<String>, Value);

#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<Request>>>);

/// Chatwoot's conversation messages API, as far as kefu uses it.
async fn standin() -> (String, Recorded) {
    let recorded = Recorded::default();
    let app = axum::Router::new()
        .route(
            "/api/v1/accounts/{account}/conversations/{conversation}/messages",
            axum::routing::post(|State(r): State<Recorded>, Path((a, c)): Path<(i64, i64)>, headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                let token = headers.get("api_access_token").and_then(|v| v.to_str().ok()).map(str::to_string);
                r.0.lock().expect("lock").push((format!("/api/v1/accounts/{a}/conversations/{c}/messages"), token, body.clone()));
                axum::Json(json!({"id": 999, "content": body["content"], "private": true, "message_type": 1}))
            }),
        )
        .with_state(recorded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), recorded)
}

/// A `message_created` payload as Chatwoot sends it.
fn message_created(id: i64, content: &str, message_type: &str, private: bool, sender_type: &str) -> Value {
    json!({
        "event": "message_created",
        "id": id,
        "content": content,
        "created_at": 1772414400 + id,
        "message_type": message_type,
        "content_type": "text",
        "content_attributes": {},
        "source_id": null,
        "private": private,
        "sender": if sender_type == "user" {
            json!({"id": 7, "name": "李娜", "email": "lina@example.com", "type": "user"})
        } else {
            json!({"id": 31, "name": "王先生", "avatar": "", "type": "contact", "account": {"id": 1, "name": "华业售后"}})
        },
        "conversation": {
            "additional_attributes": {},
            "can_reply": true,
            "channel": "Channel::WebWidget",
            "id": 4242,
            "display_id": 42,
            "inbox_id": 3,
            "contact_inbox": {"id": 11, "contact_id": 31, "inbox_id": 3, "source_id": "abc", "created_at": "2026-03-02T01:00:00.000Z", "updated_at": "2026-03-02T01:00:00.000Z", "hmac_verified": false},
            "messages": [],
            "meta": {"sender": {"id": 31, "name": "王先生", "type": "contact"}, "assignee": {"id": 7, "name": "李娜", "type": "user"}},
            "status": "open",
            "unread_count": 1,
            "agent_last_seen_at": 0,
            "contact_last_seen_at": 0,
            "timestamp": 1772414400
        },
        "account": {"id": 1, "name": "华业售后"},
        "inbox": {"id": 3, "name": "官网在线客服"}
    })
}

fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(server: &TestServer, payload: &Value, secret: Option<&str>, ts_offset: i64, query: &str) -> (StatusCode, Value) {
    let body = serde_json::to_vec(payload).expect("json");
    let ts = chrono::Utc::now().timestamp() + ts_offset;
    let mut req = reqwest::Client::new()
        .post(server.url(&format!("/api/v1/integrations/chatwoot{query}")))
        .header("content-type", "application/json")
        .header("x-chatwoot-timestamp", ts.to_string())
        .header("x-chatwoot-delivery", format!("delivery-{}", payload["id"]));
    if let Some(s) = secret {
        req = req.header("x-chatwoot-signature", sign(s, ts, &body));
    }
    let r = req.body(body).send().await.expect("deliver");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn wait_for(recorded: &Recorded, n: usize) -> Vec<Request> {
    for _ in 0..200 {
        if recorded.0.lock().expect("lock").len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    recorded.0.lock().expect("lock").clone()
}

#[tokio::test]
async fn agent_messages_are_linted_and_a_private_note_is_posted() {
    let (chatwoot, recorded) = standin().await;
    let server = TestServer::start("chatwoot").await;
    let admin = server.admin().await;
    let secret = "chatwoot-webhook-secret";
    let (status, view) = admin
        .call(Method::PUT, "/api/v1/settings/chatwoot", Some(json!({"url": format!("{chatwoot}/"), "api_token": "cw-access-token", "webhook_secret": secret})))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view, json!({"url": chatwoot, "api_token_set": true, "webhook_secret_set": true}), "secrets are never shown");

    // The customer writes: stored, not linted, no note.
    let (status, r) = deliver(&server, &message_created(1, "我的订单怎么还没到？我的电话13812345678", "incoming", false, "contact"), Some(secret), 0, "").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "stored");

    // The agent answers with a forbidden phrase: linted, a private note goes to Chatwoot.
    let (status, r) = deliver(&server, &message_created(2, "这事儿不归我管，你找快递去。", "outgoing", false, "user"), Some(secret), 0, "").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "linted");
    assert_eq!(r["violations"][0]["category"], "shirk");
    let notes = wait_for(&recorded, 1).await;
    assert_eq!(notes.len(), 1);
    let (path, token, body) = &notes[0];
    assert_eq!(path, "/api/v1/accounts/1/conversations/42/messages", "the conversation's display id");
    assert_eq!(token.as_deref(), Some("cw-access-token"));
    assert_eq!(body["private"], true);
    assert_eq!(body["message_type"], "outgoing");
    let note = body["content"].as_str().expect("note text");
    assert!(note.contains("不归我管") && note.contains("建议说") && note.contains("01-online-service-manual.md"), "{note}");

    // A redelivery of the same message: no second note.
    let (_, r) = deliver(&server, &message_created(2, "这事儿不归我管，你找快递去。", "outgoing", false, "user"), Some(secret), 0, "").await;
    assert_eq!(r["status"], "duplicate");
    // Our own private note comes back as a message_created: ignored (no loop).
    let (_, r) = deliver(&server, &message_created(3, note, "outgoing", true, "user"), Some(secret), 0, "").await;
    assert_eq!(r["status"], "ignored");
    // A compliant answer: linted clean, no note.
    let (_, r) = deliver(&server, &message_created(4, "您好，您的包裹已在派送中，请问还有什么可以帮到您？感谢您的咨询，再见！", "outgoing", false, "user"), Some(secret), 0, "").await;
    assert_eq!(r["status"], "linted");
    assert_eq!(r["violations"], json!([]));
    // Another event type.
    let mut other = message_created(5, "x", "outgoing", false, "user");
    other["event"] = json!("conversation_status_changed");
    assert_eq!(deliver(&server, &other, Some(secret), 0, "").await.1["status"], "ignored");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorded.0.lock().expect("lock").len(), 1, "only the one note");

    // Forged, stale, unsigned: refused.
    let payload = message_created(6, "烦死了", "outgoing", false, "user");
    assert_eq!(deliver(&server, &payload, Some("wrong-secret"), 0, "").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&server, &payload, Some(secret), -3600, "").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&server, &payload, None, 0, "").await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = deliver(&server, &json!("not an object"), Some(secret), 0, "").await;
    assert_eq!(status, StatusCode::OK, "a signed body that is no message is ignored, not an error");

    // The stored chat becomes a transcript and gets a scorecard.
    let (status, r) = admin.post("/api/v1/integrations/chatwoot/1/42/inspect", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["messages"], 3);
    assert_eq!(r["conversation"]["channel"], "chat");
    assert_eq!(r["conversation"]["score"], 0, "the forbidden phrase is a veto");
    let (_, view) = admin.get("/api/v1/conversations/chatwoot-1-42").await;
    assert_eq!(view["transcript"]["turns"][1]["text"], "这事儿不归我管，你找快递去。");
    assert_eq!(view["conversation"]["source"], "chatwoot");
    assert_eq!(admin.post("/api/v1/integrations/chatwoot/1/999/inspect", json!({})).await.0, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn without_a_secret_the_webhook_needs_a_token() {
    let server = TestServer::start("chatwoot-token").await;
    let admin = server.admin().await;
    let payload = message_created(1, "你自己看说明书", "outgoing", false, "user");
    assert_eq!(deliver(&server, &payload, None, 0, "").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&server, &payload, None, 0, "?token=kefu_wrong").await.0, StatusCode::UNAUTHORIZED);
    let (_, t) = admin.post("/api/v1/tokens", json!({"name": "Chatwoot"})).await;
    let token = t["token"].as_str().expect("token");
    let (status, r) = deliver(&server, &payload, None, 0, &format!("?token={token}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "linted");
    assert!(!r["violations"].as_array().expect("violations").is_empty(), "{r}");
    // No Chatwoot URL configured: nothing is posted, and that is recorded, not an error.
    server.stop().await;
}
