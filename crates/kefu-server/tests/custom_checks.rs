//! Issue 13's example through the server: the bank's check added to the
//! rulebook as a new file (validated, versioned), then a phone inquiry
//! inspected with and without identity verification.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BANK: &str = "[[check]]\nid = \"bank.verify_identity\"\nname = \"办理业务前核实身份\"\npoints = 10\nsource = \"本中心质检细则 2026 第 3 条\"\nlogic = \"a && !b\"\n[check.when]\nchannel = \"phone\"\n[[check.condition]]\nid = \"a\"\noperator = \"scenario\"\nscenarios = [\"inquiry\", \"complaint\"]\n[[check.condition]]\nid = \"b\"\noperator = \"keywords\"\nspeaker = \"agent\"\nany = [\"核实一下您的身份\", \"验证一下您的身份\"]\nposition = { first_turns = 3 }\n";

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
