//! Several instances on one PostgreSQL database (a throw-away cluster on
//! loopback): a session begun on one is valid on the other, a rule added on
//! one flags drafts on the other at once, and the deadline sweeper runs on
//! exactly one of them — and moves to the survivor when its holder dies.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The sweeper rounds an instance has run (from its /metrics).
async fn sweeps(admin: &common::Session) -> u64 {
    let (status, text) = admin.text("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    text.lines().find_map(|l| l.strip_prefix("kefu_sweeper_rounds_total ")).and_then(|v| v.trim().parse().ok()).expect("sweeper counter")
}

#[test]
fn two_instances_share_sessions_rules_and_one_sweeper() {
    // The cluster is made outside the runtime (its client is a blocking one).
    let Some(cluster) = kefu_testpg::Cluster::start() else { return };
    let url = cluster.new_database();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    runtime.block_on(two_instances(url));
    drop(cluster);
}

async fn two_instances(url: String) {
    let config = |url: String| {
        move |c: &mut kefu_server::Config| {
            c.database = Some(url);
            c.sweep_every = Duration::from_millis(200);
        }
    };
    // Both start at once: migrations, the first rulebook and the first admin are made once.
    let (a, b) = tokio::join!(TestServer::start_with("inst-a", config(url.clone())), TestServer::start_with("inst-b", config(url.clone())));

    // A log-in on A is valid on B.
    let on_a = a.admin().await;
    let on_b = on_a.on(&b.base);
    let (status, me) = on_b.get("/api/v1/me").await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("admin")), "{me}");
    // So is an API token made on B, on A.
    let (status, token) = on_b.post("/api/v1/tokens", json!({"name": "集成", "expires_days": 30})).await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let bearer = on_a.with_token(token["token"].as_str().expect("token"));
    assert_eq!(bearer.get("/api/v1/me").await.0, StatusCode::OK);

    // A rule added on A flags a draft on B.
    let (_, rule) = on_a.get("/api/v1/rulebook/rules/shirk.not_my_job").await;
    let (_, file) = on_a.get(&format!("/api/v1/rulebook/file?path={}", rule["file"].as_str().expect("file"))).await;
    let (_, book) = on_a.get("/api/v1/rulebook").await;
    let version = book["version"].as_i64().expect("version");
    let text = format!(
        "{}\n[[rule]]\nid = \"shirk.multi_instance\"\ncategory = \"shirk\"\nseverity = \"error\"\nmessage = \"测试规则\"\nsuggestion = \"请换一种说法\"\nsource = \"test\"\npatterns = [\"青蛙跳水\"]\nbad = [\"你这是青蛙跳水\"]\n",
        file["text"].as_str().expect("text")
    );
    let (_, before) = on_b.post("/api/v1/lint", json!({"text": "您这是青蛙跳水"})).await;
    // (the semantic layer may read 您这是… as sarcasm; what matters is that the new rule is not there yet)
    assert!(before["violations"].as_array().is_some_and(|v| v.iter().all(|v| v["rule"] != "shirk.multi_instance")), "{before}");
    let (status, edit) = on_a.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": file["path"], "text": text, "base_version": version}))).await;
    assert_eq!(status, StatusCode::OK, "{edit}");
    let saved = Instant::now();
    let mut seen = None;
    while saved.elapsed() < Duration::from_secs(10) {
        let (_, probe) = on_b.post("/api/v1/lint", json!({"text": "您这是青蛙跳水"})).await;
        if probe["violations"].as_array().is_some_and(|v| v.iter().any(|v| v["rule"] == "shirk.multi_instance")) {
            seen = Some(saved.elapsed());
            assert_eq!(probe["rulebook_version"], edit["version"]);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = seen.expect("the rule added on A reaches B");
    eprintln!("rule added on A flagged a draft on B after {} ms", seen.as_millis());

    // Live assist on B, with the session begun on A, checks drafts with the new rule.
    {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::Message;
        let common::Credential::Cookie(cookie) = &on_a.auth else { panic!("a cookie session") };
        let mut req = format!("ws://{}/api/v1/assist", b.addr).into_client_request().expect("request");
        req.headers_mut().insert("cookie", cookie.parse().expect("header"));
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("live assist on B");
        ws.send(Message::Text(json!({"type": "draft", "id": 1, "text": "您这是青蛙跳水"}).to_string().into())).await.expect("send");
        let answer = loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), ws.next()).await.expect("an answer in time").expect("open").expect("frame");
            if let Message::Text(t) = msg {
                let v: serde_json::Value = serde_json::from_str(&t).expect("JSON");
                if v["type"] == "lint" {
                    break v;
                }
            }
        };
        assert!(answer["violations"].as_array().expect("violations").iter().any(|v| v["rule"] == "shirk.multi_instance"), "{answer}");
    }

    // One sweeper between them.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (sa, sb) = (sweeps(&on_a).await, sweeps(&on_b).await);
    assert!((sa > 0) != (sb > 0), "exactly one instance sweeps: A {sa}, B {sb}");
    let (holder, survivor, survivor_admin) = if sa > 0 { (a, b, on_b) } else { (b, a, on_a) };
    let before = sweeps(&survivor_admin).await;
    assert_eq!(before, 0);
    // The holder dies without a word (no clean shutdown, its lease stays): the survivor takes over once it runs out.
    holder.kill();
    let died = Instant::now();
    let mut took_over = false;
    while died.elapsed() < Duration::from_secs(20) {
        if sweeps(&survivor_admin).await > 0 {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(took_over, "the survivor sweeps after the holder died");
    eprintln!("sweeper moved to the survivor {} ms after the holder died", died.elapsed().as_millis());
    survivor.stop().await;
}
