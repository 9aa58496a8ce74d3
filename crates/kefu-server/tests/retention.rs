//! Deletion on schedule over HTTP: an admin sets the periods, the job (here
//! run at once) deletes old transcripts and erases old customers' personal
//! data, the audit log says what went; nobody else may change the periods.

mod common;

use common::{call, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn old_transcripts_and_personal_data_are_deleted_by_the_periods_set() {
    let server = TestServer::start("retention").await;
    let admin = server.admin().await;
    let (status, got) = admin.get("/api/v1/settings/retention").await;
    assert_eq!((status, got.clone()), (StatusCode::OK, json!({"transcript_days": 0, "personal_days": 0})), "kept for ever until a centre decides");

    assert_eq!(admin.post("/api/v1/conversations", call("old-call", "A0731", "2025-01-02T10:00:00+08:00")).await.0, StatusCode::CREATED);
    let recent = chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339();
    assert_eq!(admin.post("/api/v1/conversations", call("new-call", "A0731", &recent)).await.0, StatusCode::CREATED);

    // Nothing runs while the periods are 0.
    let (_, report) = admin.post("/api/v1/settings/retention/run", json!({})).await;
    assert_eq!(report["conversations"], 0);

    let (status, r) = admin.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"transcript_days": 40000}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "transcript_days");
    let lead = server.user(&admin, "ret_lead", "supervisor", "售后一组", "").await;
    assert_eq!(lead.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"transcript_days": 1}))).await.0, StatusCode::FORBIDDEN);

    let (status, saved) = admin.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"transcript_days": 180, "personal_days": 90}))).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, report) = admin.post("/api/v1/settings/retention/run", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["conversations"], 1, "{report}");
    assert_eq!(admin.get("/api/v1/conversations/old-call").await.0, StatusCode::NOT_FOUND);
    assert_eq!(admin.get("/api/v1/conversations/new-call").await.0, StatusCode::OK);
    let (_, audit) = admin.get("/api/v1/audit?limit=20").await;
    let entries = audit.as_array().cloned().or_else(|| audit["entries"].as_array().cloned()).unwrap_or_default();
    assert!(entries.iter().any(|e| e["action"] == "retention.delete"), "{audit}");
    server.stop().await;
}
