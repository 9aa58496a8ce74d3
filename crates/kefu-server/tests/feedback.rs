//! The feedback loop on loopback: marks stored with who, when and the
//! versions they were made against, listed by scope, and exported as the
//! labelled JSON Lines that `kefu eval --lint` reads (the round trip).

mod common;

use common::TestServer;
use kefu_core::eval::{evaluate_lint, LintExample};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn marks_round_trip_through_the_export_into_the_evaluation() {
    let server = TestServer::start("feedback").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "limin", "agent", "售后一组", "A1001").await;
    let other = server.user(&admin, "wangwu", "agent", "售后二组", "A2001").await;
    let lead = server.user(&admin, "lead1", "supervisor", "售后一组", "").await;

    let (status, r) = agent.post("/api/v1/feedback", json!({"kind": "false_alarm", "text": "这家的凉拌木耳很好吃", "rule": "arrogant.who_do_you_think"})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["username"], "limin");
    assert!(r["rulebook_version"].as_i64().is_some_and(|v| v >= 1));
    assert!(r["model_version"].as_str().is_some_and(|v| v.starts_with("agent-")), "{r}");
    let (status, _) = lead.post("/api/v1/feedback", json!({"kind": "missed", "text": "您这都第三次问了，记性真好", "category": "arrogant", "conversation_id": "c-1", "turn": 4})).await;
    assert_eq!(status, StatusCode::CREATED);
    // Refused with the field named.
    let (status, r) = agent.post("/api/v1/feedback", json!({"kind": "missed", "text": "x"})).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("category")), "{r}");
    let (status, _) = agent.post("/api/v1/feedback", json!({"kind": "maybe", "text": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(other.post("/api/v1/feedback", json!({"kind": "false_alarm", "text": "另一组的标记"})).await.0, StatusCode::CREATED);

    // Review lists by scope.
    let (_, mine) = agent.get("/api/v1/feedback").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let (_, team) = lead.get("/api/v1/feedback").await;
    assert_eq!(team.as_array().map(Vec::len), Some(2), "the team's marks, not the other team's");
    let (_, all) = admin.get("/api/v1/feedback").await;
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    assert_eq!(agent.call(Method::GET, "/api/v1/feedback/export.jsonl", None).await.0, StatusCode::FORBIDDEN);

    // The export is the lint format: it evaluates the engine directly.
    let response = lead.request(Method::GET, "/api/v1/feedback/export.jsonl").send().await.expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().is_ok_and(|c| c.starts_with("application/x-ndjson")));
    let body = response.text().await.expect("body");
    let examples: Vec<LintExample> = body.lines().map(|l| serde_json::from_str(l).expect("a lint example")).collect();
    assert_eq!(examples.len(), 2);
    assert!(examples.iter().any(|e| !e.violation && e.text == "这家的凉拌木耳很好吃"));
    assert!(examples.iter().any(|e| e.violation && e.categories == ["arrogant"]));
    let report = evaluate_lint(&kefu_core::Engine::embedded().expect("engine"), &examples);
    assert_eq!(report.examples, 2);
    server.stop().await;
}
