//! Issue 9, items 2–5, against a real server on loopback: replacing a
//! conversation keeps its appeals; every write checks the team scope of the
//! read; agent ids and work numbers are unique; conversations stored before
//! an account existed are adopted by it; an agent's move leaves their
//! history with the team it was recorded in; replies carry the agent's own
//! 工号 and the centre's name.

mod common;

use common::{call, Session, TestServer};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

async fn score(s: &Session, id: &str) -> Value {
    let (status, v) = s.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["conversation"]["score"].clone()
}

fn failed_check(view: &Value) -> String {
    view["scorecard"]["checks"].as_array().expect("checks").iter().find(|c| c["result"] == "fail" && c["veto"] != true).and_then(|c| c["id"].as_str()).expect("a failed check that is not a veto").to_string()
}

/// A call whose only failure is a late answer (4 rings, no apology): 93 points.
fn late_call(id: &str, agent: &str) -> Value {
    let mut c = call(id, agent, "2026-11-20T10:00:00+08:00");
    c["rings"] = json!(5);
    c["turns"][4]["text"] = json!("好的，我这边马上为您登记上门维修。");
    c
}

#[tokio::test]
async fn replacing_a_conversation_keeps_its_appeals_and_is_audited() {
    let server = TestServer::start("teams-replace").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "limin", "agent", "售后一组", "A1001").await;
    let lead = server.user(&admin, "zhangsup", "supervisor", "售后一组", "").await;
    let (status, row) = lead.post("/api/v1/conversations", late_call("c-1", "A1001")).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    let before = row["score"].as_i64().expect("score");
    assert!(before < 100, "a check fails: {row}");
    let (_, view) = agent.get("/api/v1/conversations/c-1").await;
    let check = failed_check(&view);
    let (status, appeal) = agent.post("/api/v1/conversations/c-1/appeals", json!({"check": check, "reason": "录音显示两声内接起"})).await;
    assert_eq!(status, StatusCode::CREATED, "{appeal}");
    let (status, decided) = lead.post(&format!("/api/v1/appeals/{}/decision", appeal["id"]), json!({"decision": "overturned", "comment": "属实"})).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    let after_appeal = decided["conversation"]["score"].clone();
    assert!(after_appeal.as_i64() > Some(before));

    // Re-inspecting the same transcript: the appeal and its decision stay, and so does the score.
    let (status, row) = lead.call(Method::POST, "/api/v1/conversations?replace=true", Some(late_call("c-1", "A1001"))).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["score"], after_appeal, "the overturned check stays passed: {row}");
    assert_eq!(row["original_score"], before);
    let (_, view) = agent.get("/api/v1/conversations/c-1").await;
    assert_eq!(view["appeals"].as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(view["appeals"][0]["status"], "overturned");
    let (_, log) = admin.get("/api/v1/audit").await;
    let entry = log.as_array().expect("audit").iter().find(|e| e["action"] == "conversation.replace").cloned().expect("the replacement is audited");
    assert_eq!(entry["username"], "zhangsup");
    assert!(entry["detail"].as_str().is_some_and(|d| d.contains(&format!("{after_appeal} → {after_appeal}"))), "old and new score: {entry}");
    server.stop().await;
}

#[tokio::test]
async fn every_write_checks_the_team_scope_of_the_read() {
    let server = TestServer::start("teams-scope").await;
    let admin = server.admin().await;
    let limin = server.user(&admin, "limin", "agent", "售后一组", "A1001").await;
    let zhangsup = server.user(&admin, "zhangsup", "supervisor", "售后一组", "").await;
    let lisup = server.user(&admin, "lisup", "supervisor", "售后二组", "").await;
    let wangwu = server.user(&admin, "wangwu", "agent", "售后二组", "A2001").await;

    // Team one's data: a clean call, a late one with an appeal, a record, an attendance request.
    let clean = {
        let mut c = call("t1-clean", "A1001", "2026-11-20T10:00:00+08:00");
        c["turns"][4]["text"] = json!("好的，我这边马上为您登记上门维修。");
        c
    };
    assert_eq!(zhangsup.post("/api/v1/conversations", clean.clone()).await.0, StatusCode::CREATED);
    assert_eq!(zhangsup.post("/api/v1/conversations", late_call("t1-late", "A1001")).await.0, StatusCode::CREATED);
    let (_, view) = limin.get("/api/v1/conversations/t1-late").await;
    let (status, appeal) = limin.post("/api/v1/conversations/t1-late/appeals", json!({"check": failed_check(&view), "reason": "有误"})).await;
    assert_eq!(status, StatusCode::CREATED, "{appeal}");
    let (status, record) = limin.post("/api/v1/records", json!({"kind": "complaint", "received_at": "2026-11-20T10:00:00+08:00", "fields": {"customer": "周先生", "contact": "13800000000", "description": "安装质量"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    let record = record["record"]["id"].as_i64().expect("record id");
    let (status, leave) = limin.post("/api/v1/attendance/requests", json!({"kind": "notice", "day": "2026-11-23", "reason": "看病", "expected": "10:00"})).await;
    assert_eq!(status, StatusCode::CREATED, "{leave}");
    let score_before = score(&zhangsup, "t1-clean").await;

    // The other team's supervisor and agent try every write on it.
    let mut tried = Vec::new();
    for (who, session) in [("lisup", &lisup), ("wangwu", &wangwu)] {
        let renamed = {
            let mut c = clean.clone();
            c["agent"]["id"] = json!("A2001");
            c
        };
        let writes: Vec<(&str, Method, String, Value)> = vec![
            ("overwrite another team's conversation", Method::POST, "/api/v1/conversations?replace=true".into(), clean.clone()),
            ("re-attribute it to one's own agent", Method::POST, "/api/v1/conversations?replace=true".into(), renamed.clone()),
            ("store a new call of another team's agent", Method::POST, "/api/v1/conversations".into(), late_call("new-of-t1", "A1001")),
            ("the webhook, same", Method::POST, "/api/v1/webhooks/transcript".into(), json!([clean.clone()])),
            ("file an appeal", Method::POST, "/api/v1/conversations/t1-late/appeals".into(), json!({"check": "opening.late_answer_apology", "reason": "x"})),
            ("decide an appeal", Method::POST, format!("/api/v1/appeals/{}/decision", appeal["id"]), json!({"decision": "overturned"})),
            ("a record from the call", Method::POST, "/api/v1/conversations/t1-clean/record".into(), json!({"kind": "repair", "fields": {"contact": "1", "address": "x"}})),
            ("a record owned by another team's agent", Method::POST, "/api/v1/records".into(), json!({"kind": "complaint", "owner": "limin", "fields": {"customer": "周先生", "contact": "13800000000", "description": "x"}})),
            ("move a record on", Method::POST, format!("/api/v1/records/{record}/events"), json!({"action": "forwarded"})),
            ("send a record", Method::POST, format!("/api/v1/records/{record}/send"), json!({})),
            ("clock in for another team's agent", Method::POST, "/api/v1/attendance/clock-in".into(), json!({"user": "limin", "day": "2026-11-20", "time": "08:50"})),
            ("approve another team's request", Method::POST, format!("/api/v1/attendance/requests/{}/approve", leave["id"]), json!({})),
            ("set another team's hours", Method::PUT, "/api/v1/teams/售后一组/hours".into(), json!({"periods": [["09:00", "17:00"]]})),
            ("set another team's mail", Method::PUT, "/api/v1/teams/售后一组/mail".into(), json!({"direct": "x@example.com", "indirect": ""})),
        ];
        for (what, method, path, body) in writes {
            let (status, r) = session.call(method.clone(), &path, Some(body)).await;
            // A batch answers 200 with the item's own status.
            let item = if status == StatusCode::OK && r["results"].is_array() { r["results"][0]["status"].as_u64().unwrap_or(0) as u16 } else { status.as_u16() };
            assert!([403, 404].contains(&item), "{who}: {what} ({method} {path}) must be refused, got {status}: {r}");
            tried.push((who, what, item));
        }
    }
    assert_eq!(tried.len(), 28);
    // Nothing moved: the score, the agent, the appeal, the record.
    assert_eq!(score(&zhangsup, "t1-clean").await, score_before);
    let (_, view) = zhangsup.get("/api/v1/conversations/t1-clean").await;
    assert_eq!(view["conversation"]["agent"], "A1001");
    assert_eq!(lisup.get("/api/v1/conversations/t1-clean").await.0, StatusCode::NOT_FOUND, "still not theirs to read");
    let (_, view) = zhangsup.get("/api/v1/conversations/t1-late").await;
    assert_eq!(view["appeals"][0]["status"], "pending");
    let (_, r) = zhangsup.get(&format!("/api/v1/records/{record}")).await;
    assert_eq!(r["record"]["status"], "open");
    // The own team's supervisor may do the same writes.
    assert_eq!(zhangsup.call(Method::POST, "/api/v1/conversations?replace=true", Some(clean)).await.0, StatusCode::CREATED);
    let (status, r) = zhangsup.post("/api/v1/records", json!({"kind": "complaint", "owner": "limin", "fields": {"customer": "周先生", "contact": "13800000000", "description": "x"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    server.stop().await;
}

#[tokio::test]
async fn agent_ids_are_unique_orphans_are_adopted_and_history_stays_with_its_team() {
    let server = TestServer::start("teams-ids").await;
    let admin = server.admin().await;
    let limin = server.user(&admin, "limin", "agent", "售后一组", "A1001").await;
    let (_, me) = limin.get("/api/v1/me").await;
    let new_user = |username: &str, agent: &str, work_no: &str| {
        json!({"username": username, "display_name": username, "role": "agent", "team": "售后二组", "agent_id": agent, "work_no": work_no, "password": format!("{username}-password")})
    };
    let (status, r) = admin.post("/api/v1/users", new_user("copycat", "A1001", "")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("A1001") && m.contains("limin")), "{r}");
    let (status, r) = admin.call(Method::PATCH, &format!("/api/v1/users/{}", me["id"]), Some(json!({"work_no": "2077"}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, r) = admin.post("/api/v1/users", new_user("twin", "A1002", "2077")).await;
    assert_eq!(status, StatusCode::CONFLICT, "the work number is taken: {r}");
    let (status, twin) = admin.post("/api/v1/users", new_user("twin", "A1002", "2078")).await;
    assert_eq!(status, StatusCode::CREATED, "{twin}");
    let (status, r) = admin.call(Method::PATCH, &format!("/api/v1/users/{}", twin["id"]), Some(json!({"agent_id": "A1001"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "an update cannot take another's id either: {r}");

    // A call of an agent without an account has no team; the account adopts it.
    assert_eq!(admin.post("/api/v1/conversations", call("orphan-1", "chen@example.com", "2026-11-20T10:00:00+08:00")).await.0, StatusCode::CREATED);
    let lead3 = server.user(&admin, "lead3", "supervisor", "售后三组", "").await;
    assert_eq!(lead3.get("/api/v1/conversations/orphan-1").await.0, StatusCode::NOT_FOUND);
    let _chen = server.user(&admin, "chen", "agent", "售后三组", "chen@example.com").await;
    assert_eq!(lead3.get("/api/v1/conversations/orphan-1").await.0, StatusCode::OK, "adopted when the account takes the id");

    // Moving an agent: their history stays with the team it was recorded in;
    // new calls go to the new team; the agent sees all of their own.
    let lead1 = server.user(&admin, "lead1", "supervisor", "售后一组", "").await;
    let lead2 = server.user(&admin, "lead2", "supervisor", "售后二组", "").await;
    assert_eq!(lead1.post("/api/v1/conversations", call("before-move", "A1001", "2026-11-20T10:00:00+08:00")).await.0, StatusCode::CREATED);
    let (status, _) = admin.call(Method::PATCH, &format!("/api/v1/users/{}", me["id"]), Some(json!({"team": "售后二组"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lead2.post("/api/v1/conversations", call("after-move", "A1001", "2026-11-21T10:00:00+08:00")).await.0, StatusCode::CREATED);
    assert_eq!(lead1.get("/api/v1/conversations/before-move").await.0, StatusCode::OK);
    assert_eq!(lead2.get("/api/v1/conversations/before-move").await.0, StatusCode::NOT_FOUND);
    assert_eq!(lead2.get("/api/v1/conversations/after-move").await.0, StatusCode::OK);
    assert_eq!(lead1.get("/api/v1/conversations/after-move").await.0, StatusCode::NOT_FOUND);
    let limin = server.login("limin", "limin-password").await;
    assert_eq!(limin.get("/api/v1/conversations/before-move").await.0, StatusCode::OK);
    assert_eq!(limin.get("/api/v1/conversations/after-move").await.0, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn replies_carry_the_agents_own_work_number_and_the_centres_name() {
    let server = TestServer::start("teams-work-no").await;
    let admin = server.admin().await;
    let (status, r) = admin.post("/api/v1/users", json!({"username": "limin", "display_name": "李敏", "role": "agent", "team": "售后一组", "agent_id": "A1001", "work_no": "2077", "password": "limin-password"})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let limin = server.login("limin", "limin-password").await;
    let other = server.user(&admin, "other", "agent", "售后一组", "A1002").await;
    let ask = json!({"scenario": "reply.ask_agent_name", "at": "2026-11-24T10:00:00+08:00"});
    let (_, mine) = limin.post("/api/v1/reply", ask.clone()).await;
    assert!(mine["text"].as_str().is_some_and(|t| t.contains("2077") && !t.contains("1024")), "{mine}");
    let (_, theirs) = other.post("/api/v1/reply", ask).await;
    assert!(theirs["text"].as_str().is_some_and(|t| !t.contains("2077")), "without a work number: the rulebook's: {theirs}");

    let (status, r) = admin.call(Method::PUT, "/api/v1/settings/centre", Some(json!({"name": "测试家电服务中心"}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(limin.call(Method::PUT, "/api/v1/settings/centre", Some(json!({"name": "x"}))).await.0, StatusCode::FORBIDDEN);
    let (_, opening) = limin.post("/api/v1/reply", json!({"scenario": "opening", "at": "2026-11-24T10:00:00+08:00"})).await;
    assert!(opening["text"].as_str().is_some_and(|t| t.contains("测试家电服务中心") && t.contains("2077")), "{opening}");

    // Live assist: the suggested reply to "what is your number" is the agent's own.
    let common::Credential::Cookie(cookie) = limin.auth.clone() else { panic!("a cookie session") };
    let mut req = format!("ws://{}/api/v1/assist", server.addr).into_client_request().expect("request");
    req.headers_mut().insert("cookie", cookie.parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("socket");
    ws.send(Message::Text(json!({"type": "customer", "text": "你工号多少？我要记一下"}).to_string().into())).await.expect("send");
    let answer = loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next()).await.expect("in time").expect("open").expect("frame");
        if let Message::Text(t) = msg {
            break serde_json::from_str::<Value>(&t).expect("json");
        }
    };
    assert_eq!(answer["scenario"], "ask_agent_name", "{answer}");
    assert!(answer["reply"].as_str().is_some_and(|t| t.contains("2077")), "{answer}");
    server.stop().await;
}
