//! Issue 13's example through the server: the bank's check added to the
//! rulebook as a new file (validated, versioned), then a phone inquiry
//! inspected with and without identity verification.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The example (examples/checks/bank.toml).
const BANK: &str = include_str!("../../../examples/checks/bank.toml");

fn call(id: &str, third: &str) -> Value {
    json!({
        "id": id, "channel": "phone", "started_at": "2026-11-23T10:00:00+08:00", "agent": {"id": "A1", "work_no": "0731"},
        "turns": [
            {"speaker": "agent", "start": 0.0, "end": 4.0, "text": "您好，工号0731，请问有什么可以帮您？"},
            {"speaker": "customer", "start": 4.5, "end": 8.0, "text": "我想问一下我信用卡这个月的账单是多少"},
            {"speaker": "agent", "start": 8.5, "end": 14.0, "text": third}
        ]
    })
}

#[tokio::test]
async fn a_custom_check_added_through_the_api_scores_calls() {
    let server = TestServer::start("custom-checks").await;
    let admin = server.admin().await;
    let (_, book) = admin.get("/api/v1/rulebook").await;
    let version = book["version"].as_i64().expect("version");
    // Before saving: validated as typed, and previewed on the stored calls.
    let (status, _) = admin.post("/api/v1/conversations", json!([call("s-no", "好的，您这个月的账单是三千二百元。"), call("s-yes", "好的，先帮您核实一下您的身份。"), {
        "id": "s-chat", "channel": "chat", "turns": [{"speaker": "customer", "start": 0, "text": "我想问一下账单"}, {"speaker": "agent", "start": 5, "text": "您好，请稍等"}]
    }])).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = admin.post("/api/v1/checks/validate", json!({"path": "inspection/bank.toml", "text": BANK.replace("&& !b", "&& !x")})).await;
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["errors"][0].as_str().is_some_and(|e| e.contains("inspection/bank.toml:1") && e.contains("不存在的条件“x”")), "{v}");
    let (_, v) = admin.post("/api/v1/checks/validate", json!({"path": "inspection/bank.toml", "text": BANK})).await;
    assert_eq!((v["ok"].as_bool(), v["checks"][0]["name"].as_str()), (Some(true), Some("办理业务前核实身份")), "{v}");
    let (status, p) = admin.post("/api/v1/checks/preview", json!({"path": "inspection/bank.toml", "text": BANK, "limit": 50})).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["conversations"], 3, "{p}");
    let c = &p["checks"][0];
    assert_eq!((c["fail"].as_u64(), c["pass"].as_u64(), c["not_applicable"].as_u64()), (Some(1), Some(1), Some(1)), "{p}");
    assert_eq!(c["failed"][0]["conversation_id"], "s-no");
    assert_eq!(c["failed"][0]["evidence"][0]["turn"], 1);
    assert_eq!(admin.post("/api/v1/checks/preview", json!({"path": "../x.toml", "text": BANK})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let agent = server.user(&admin, "a.one", "agent", "一组", "A9").await;
    assert_eq!(agent.post("/api/v1/checks/preview", json!({"path": "inspection/bank.toml", "text": BANK})).await.0, StatusCode::FORBIDDEN);
    // A broken one first: refused with file:line and the reason, nothing saved.
    let broken = BANK.replace("operator = \"keywords\"", "operator = \"keyword\"");
    let (status, r) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": "inspection/bank.toml", "text": broken, "base_version": version}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("inspection/bank.toml:") && m.contains("没有算子“keyword”")), "{r}");
    let (status, r) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": "inspection/bank.toml", "text": BANK, "base_version": version, "comment": "新增：核实身份"}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (_, book) = admin.get("/api/v1/rulebook").await;
    assert!(book["check_list"].as_array().is_some_and(|c| c.iter().any(|c| c["id"] == "bank.verify_identity" && c["name"] == "办理业务前核实身份")), "listed with its name");
    let (status, cards) = admin.post("/api/v1/inspect", json!([call("no", "好的，您这个月的账单是三千二百元。"), call("yes", "好的，先帮您核实一下您的身份。")])).await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let result = |card: &Value| card["checks"].as_array().and_then(|c| c.iter().find(|c| c["id"] == "bank.verify_identity")).map(|c| c["result"].clone());
    assert_eq!(result(&cards[0]), Some(json!("fail")), "{}", cards[0]);
    assert_eq!(result(&cards[1]), Some(json!("pass")));
    server.stop().await;
}
