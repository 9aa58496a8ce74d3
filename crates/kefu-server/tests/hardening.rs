//! Hostile input, brute force and slow clients against a real server on
//! loopback: one bad conversation never fails a batch, limits are settings
//! with clear 413/422 answers, log-in is throttled, tokens expire and can be
//! revoked, slow clients are cut off.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{call, Session, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn hostile(id: &str, how: &str) -> Value {
    let mut c = call(id, "A1", "2026-03-02T10:00:00+08:00");
    match how {
        "huge_time" => c["turns"][0]["start"] = json!(1.8e19),
        "reversed" => c["turns"][1]["end"] = json!(1.0),
        "rings" => c["rings"] = json!(4_000_000_000u64),
        "year_9999" => c["started_at"] = json!("9999-12-31T23:59:59+00:00"),
        other => panic!("{other}"),
    }
    c
}

#[tokio::test]
async fn one_hostile_conversation_never_fails_a_batch() {
    let server = TestServer::start("hostile-batch").await;
    let admin = server.admin().await;
    // 100 conversations, one with a start of 1.8e19 seconds in the middle.
    let batch: Vec<Value> = (0..100).map(|i| if i == 50 { hostile("c-50", "huge_time") } else { call(&format!("c-{i}"), "A1", "2026-03-02T10:00:00+08:00") }).collect();
    let (status, r) = admin.post("/api/v1/conversations", Value::Array(batch)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["stored"].as_u64(), r["errors"].as_u64()), (Some(99), Some(1)), "{r}");
    let bad = &r["results"][50];
    assert_eq!((bad["index"].as_u64(), bad["status"].as_u64()), (Some(50), Some(422)), "{bad}");
    assert_eq!(bad["code"], "invalid_conversation");
    assert_eq!(bad["field"], "turns[0].start");
    assert!(bad["error"].as_str().is_some_and(|e| e.contains("turns[0].start") && e.contains("一天")), "{bad}");
    let (_, found) = admin.get("/api/v1/conversations?limit=500").await;
    assert_eq!(found["total"], 99);

    // The done-means batch: five transcripts of which three are hostile.
    let five = json!([call("ok-1", "A1", "2026-03-02T10:00:00+08:00"), hostile("h-1", "huge_time"), hostile("h-2", "reversed"), hostile("h-3", "rings"), call("ok-2", "A1", "2026-03-02T11:00:00+08:00")]);
    let (status, r) = admin.post("/api/v1/inspect", five.clone()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let items = r.as_array().expect("array");
    assert_eq!(items.len(), 5);
    assert!(items[0]["score"].is_u64() && items[4]["score"].is_u64());
    for (item, field) in items[1..4].iter().zip(["turns[0].start", "turns[1].end", "rings"]) {
        assert_eq!((item["status"].as_u64(), item["field"].as_str()), (Some(422), Some(field)), "{item}");
    }
    let (status, r) = admin.post("/api/v1/conversations", five).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((r["stored"].as_u64(), r["errors"].as_u64()), (Some(2), Some(3)), "{r}");
    // Through the webhook, with an integration token.
    let (_, token) = admin.post("/api/v1/tokens", json!({"name": "hook"})).await;
    let hook = admin.with_token(token["token"].as_str().expect("token"));
    let (status, r) = hook.post("/api/v1/webhooks/transcript", json!([hostile("w-1", "year_9999"), call("w-2", "A1", "2026-03-02T10:00:00+08:00")])).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["results"][0]["field"], "started_at");
    assert!(r["results"][1]["scorecard"]["score"].is_u64(), "{r}");
    // One conversation alone: 422 naming the field (the webhook always answers with its per-item results).
    for path in ["/api/v1/inspect", "/api/v1/conversations"] {
        let (status, r) = admin.post(path, hostile("alone", "huge_time")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {r}");
        assert_eq!(r["error"]["field"], "turns[0].start", "{path}: {r}");
    }
    let (status, r) = hook.post("/api/v1/webhooks/transcript", hostile("alone", "huge_time")).await;
    assert_eq!((status, r["results"][0]["status"].as_u64(), r["results"][0]["field"].as_str()), (StatusCode::OK, Some(422), Some("turns[0].start")), "{r}");
    assert_no_server_errors(&admin).await;
    server.stop().await;
}

async fn assert_no_server_errors(admin: &Session) {
    let (_, metrics) = admin.get("/metrics").await;
    let metrics = metrics.as_str().expect("text").to_string();
    assert!(metrics.contains("kefu_http_requests_total{status=\"5xx\"} 0"), "never a 500:\n{metrics}");
}

#[tokio::test]
async fn limits_are_settings_with_clear_answers() {
    let server = TestServer::start("limits").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "limits-agent", "agent", "一组", "A1").await;
    let (status, defaults) = admin.get("/api/v1/settings/limits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((defaults["max_text_chars"].as_u64(), defaults["login_max_failures"].as_u64(), defaults["login_window_seconds"].as_u64()), (Some(100_000), Some(10), Some(900)));
    assert_eq!(agent.call(Method::PUT, "/api/v1/settings/limits", Some(json!({}))).await.0, StatusCode::FORBIDDEN);
    let (status, r) = admin.call(Method::PUT, "/api/v1/settings/limits", Some(json!({"max_turns": 0}))).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("max_turns")), "{r}");
    let small = json!({"max_turns": 6, "max_text_chars": 60, "max_batch": 3, "max_body_bytes": 8192, "max_hits_per_turn": 2, "max_hits_per_conversation": 3});
    let (status, r) = admin.call(Method::PUT, "/api/v1/settings/limits", Some(small)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["max_turns"], 6);

    // Too many turns, a turn too long: 422 naming the field.
    let mut long_call = call("turns", "A1", "2026-03-02T10:00:00+08:00");
    let (status, r) = admin.post("/api/v1/inspect", long_call.clone()).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("turns")), "8 turns > 6: {r}");
    long_call["turns"] = json!(long_call["turns"].as_array().expect("turns")[..5].to_vec());
    long_call["turns"][1]["text"] = json!("好".repeat(61));
    let (status, r) = admin.post("/api/v1/inspect", long_call.clone()).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("turns[1].text")), "{r}");
    // A batch over max_batch, a body over max_body_bytes, a text over max_text_chars: 413.
    let small_call = json!({"id": "s", "channel": "chat", "turns": [{"speaker": "agent", "start": 0, "text": "您好"}]});
    let (status, r) = admin.post("/api/v1/inspect", json!([small_call, small_call, small_call, small_call])).await;
    assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")), "{r}");
    let (status, r) = admin.post("/api/v1/lint", json!({"text": "好".repeat(5_000)})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "a 15 kB body over 8 kB: {r}");
    let (status, r) = admin.post("/api/v1/lint", json!({"text": "好".repeat(61)})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "61 characters over 60: {r}");
    // Hits beyond max_hits_per_turn are counted and marked.
    let (status, r) = admin.post("/api/v1/lint", json!({"text": "不归我管，不归我管，不知道，真烦人！"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["violations"].as_array().map(Vec::len), Some(2));
    assert_eq!((r["truncated"].as_bool(), r["total"].as_u64()), (Some(true), Some(4)), "{r}");
    let mut noisy = call("noisy", "A1", "2026-03-02T10:00:00+08:00");
    noisy["turns"] = json!(noisy["turns"].as_array().expect("turns")[..5].to_vec());
    noisy["turns"][4]["text"] = json!("不归我管，不知道，真烦人！");
    noisy["turns"][2]["text"] = json!("不归我管，不知道，真烦人！");
    let (status, card) = admin.post("/api/v1/inspect", noisy).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    let forbidden = card["checks"].as_array().expect("checks").iter().find(|c| c["id"] == "language.forbidden").expect("check").clone();
    assert_eq!(forbidden["evidence"].as_array().map(Vec::len), Some(3), "two from one turn, one from the other: {forbidden}");
    assert_eq!((forbidden["truncated"].as_bool(), forbidden["evidence_total"].as_u64()), (Some(true), Some(6)));
    // The limits survive a restart (they are stored), and bodies within them still work.
    let data = server.data.clone();
    server.stop().await;
    let server = TestServer::start_with("limits-again", |c| c.data = Some(data)).await;
    let admin = server.admin().await;
    assert_eq!(admin.get("/api/v1/settings/limits").await.1["max_turns"], 6);
    assert_no_server_errors(&admin).await;
    server.stop().await;
}

/// A log-in from one client address (`X-Forwarded-For`, trusted in this test).
async fn login_from(server: &TestServer, username: &str, password: &str, address: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut r = reqwest::Client::new().post(server.url("/api/v1/auth/login")).json(&json!({"username": username, "password": password}));
    if let Some(a) = address {
        r = r.header("x-forwarded-for", a);
    }
    let resp = r.send().await.expect("login");
    let status = resp.status();
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, retry, body)
}

#[tokio::test]
async fn log_in_is_throttled_per_username_and_address() {
    let server = TestServer::start("throttle").await;
    let admin = server.admin().await;
    server.user(&admin, "zhangsan", "agent", "一组", "A1").await;

    // Ten wrong passwords in a row: 401; the eleventh and later: 429, also with the right password.
    for i in 0..10 {
        let (status, _, _) = login_from(&server, "zhangsan", "wrong-password", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
    }
    let (status, retry, body) = login_from(&server, "zhangsan", "wrong-password", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((800..=901).contains(&retry), "about a quarter of an hour: {retry}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("登录失败次数过多")), "{body}");
    let (status, _, _) = login_from(&server, "zhangsan", "zhangsan-password", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the right password waits too");
    // The same answer for a username that does not exist: nothing is revealed.
    let (status, _, _) = login_from(&server, "nobody-here", "whatever-password", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the address is over its limit too");
    // Until the window passes: shortened to one second here so that the test can see it pass.
    let (status, _) = admin.call(Method::PUT, "/api/v1/settings/limits", Some(json!({"login_window_seconds": 1}))).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (status, _, body) = login_from(&server, "zhangsan", "zhangsan-password", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Per username, whatever the address (behind a trusted proxy).
    let (status, _) = admin.call(Method::PUT, "/api/v1/settings/limits", Some(json!({"login_window_seconds": 60, "trust_forwarded_for": true}))).await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..10 {
        let (status, _, _) = login_from(&server, "lisi", "wrong-password", Some(&format!("10.0.0.{i}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = login_from(&server, "LiSi", "wrong-password", Some("10.0.1.1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the username is blocked from a new address, whatever its case");
    // A successful log-in clears the username's count.
    for i in 0..9 {
        login_from(&server, "zhangsan", "wrong-password", Some(&format!("10.1.0.{i}"))).await;
    }
    assert_eq!(login_from(&server, "zhangsan", "zhangsan-password", Some("10.2.0.1")).await.0, StatusCode::OK);
    for i in 0..9 {
        let (status, _, _) = login_from(&server, "zhangsan", "wrong-password", Some(&format!("10.3.0.{i}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "counting starts again after a success");
    }
    // API tokens are not affected.
    let (_, token) = admin.post("/api/v1/tokens", json!({"name": "unaffected"})).await;
    assert_eq!(admin.with_token(token["token"].as_str().expect("token")).get("/api/v1/me").await.0, StatusCode::OK);
    // Attempts are audited.
    let (_, audit) = admin.get("/api/v1/audit?limit=500").await;
    let actions: Vec<&str> = audit.as_array().expect("audit").iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.iter().filter(|a| **a == "login.failed").count() >= 38, "10 + 10 + 9 + 9 wrong passwords: {actions:?}");
    assert!(actions.contains(&"login.throttled"));
    server.stop().await;
}

#[tokio::test]
async fn api_tokens_expire_and_are_revoked_for_good() {
    let server = TestServer::start("tokens").await;
    let admin = server.admin().await;
    let (_, lead) = admin.post("/api/v1/users", json!({"username": "hooker", "display_name": "接口", "role": "supervisor", "team": "一组", "password": "hooker-password"})).await;
    let lead_id = lead["id"].as_i64().expect("id");
    let (status, created) = admin.post("/api/v1/tokens", json!({"name": "Chatwoot", "user_id": lead_id})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let expires = chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().expect("expires_at")).expect("rfc3339");
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((89..=90).contains(&days), "the default is 90 days: {days}");
    let token = admin.with_token(created["token"].as_str().expect("token"));
    assert_eq!(token.get("/api/v1/me").await.0, StatusCode::OK);
    let (status, r) = admin.post("/api/v1/tokens", json!({"name": "x", "expires_days": 0})).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_days")));
    // Listed without the secret; revoked at once; not revived.
    let (status, list) = admin.get("/api/v1/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.to_string().contains(created["token"].as_str().expect("token")), "the secret is never listed");
    let id = created["id"].as_i64().expect("id");
    let (status, revoked) = admin.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
    assert_eq!((status, revoked["revoked"].as_bool()), (StatusCode::OK, Some(true)), "{revoked}");
    assert_eq!(token.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(admin.call(Method::DELETE, "/api/v1/tokens/9999", None).await.0, StatusCode::NOT_FOUND);
    // Deactivating the account revokes its tokens; reactivating does not bring them back.
    let (_, second) = admin.post("/api/v1/tokens", json!({"name": "second", "user_id": lead_id, "expires_days": 1})).await;
    let second = admin.with_token(second["token"].as_str().expect("token"));
    assert_eq!(second.get("/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(admin.call(Method::PATCH, &format!("/api/v1/users/{lead_id}"), Some(json!({"active": false}))).await.0, StatusCode::OK);
    assert_eq!(admin.call(Method::PATCH, &format!("/api/v1/users/{lead_id}"), Some(json!({"active": true}))).await.0, StatusCode::OK);
    assert_eq!(second.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "revoked with the account, for good");
    // An expired token stops working (its expiry moved into the past in the database).
    let (_, third) = admin.post("/api/v1/tokens", json!({"name": "third", "user_id": lead_id})).await;
    let third_id = third["id"].as_i64().expect("id");
    let third = admin.with_token(third["token"].as_str().expect("token"));
    assert_eq!(third.get("/api/v1/me").await.0, StatusCode::OK);
    let db = rusqlite::Connection::open(server.data.join("kefu.sqlite3")).expect("open the database");
    db.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    db.execute("UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00.000+08:00' WHERE id = ?1", [third_id]).expect("expire");
    assert_eq!(third.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (_, audit) = admin.get("/api/v1/audit").await;
    assert!(audit.as_array().expect("audit").iter().any(|e| e["action"] == "token.revoke"));
    server.stop().await;
}

/// Reads until the server closes the connection (true) or `within` passes (false).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let _ = stream.set_read_timeout(Some(left.min(Duration::from_millis(200))));
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_numerous_clients_are_cut_off() {
    let server = TestServer::start_with("slow", |c| {
        c.connections.header_read_timeout = Duration::from_secs(1);
        c.connections.max_connections = 64;
    })
    .await;
    let addr = server.addr;
    let health = server.url("/healthz");
    let outcome = tokio::task::spawn_blocking(move || {
        // 60 connections that send nothing or half a request.
        let mut idle: Vec<TcpStream> = (0..60)
            .map(|i| {
                let mut s = TcpStream::connect(addr).expect("connect");
                if i % 2 == 1 {
                    let _ = s.write_all(b"POST /api/v1/lint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
                }
                s
            })
            .collect();
        // The 65th connection is over the cap: closed on arrival.
        let mut extra: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(addr).expect("connect")).collect();
        let mut over = TcpStream::connect(addr).expect("connect");
        let refused = closed_within(&mut over, Duration::from_secs(2));
        let all_closed = idle.iter_mut().chain(extra.iter_mut()).all(|s| closed_within(s, Duration::from_secs(5)));
        (refused, all_closed)
    })
    .await
    .expect("clients");
    assert!(outcome.0, "a connection over max_connections is closed at once");
    assert!(outcome.1, "idle and half-sent connections are closed after the header timeout");
    // The server still answers, on new connections.
    assert_eq!(reqwest::get(&health).await.expect("healthz").status(), StatusCode::OK);
    server.stop().await;
}

/// A tmpfs of `megabytes` at `dir`, or `None` when this machine does not
/// allow mounting (then the test is skipped, unless KEFU_REQUIRE_MOUNT is set,
/// as `.ci/run` does: CI runs as root).
fn mount_tmpfs(dir: &std::path::Path, megabytes: u32) -> Option<Mounted> {
    std::fs::create_dir_all(dir).expect("mount point");
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(Mounted(dir.to_path_buf()));
    }
    assert!(std::env::var_os("KEFU_REQUIRE_MOUNT").is_none(), "cannot mount a tmpfs at {} (root needed)", dir.display());
    eprintln!("skipped: cannot mount a tmpfs (not root)");
    None
}

struct Mounted(std::path::PathBuf);

impl Mounted {
    /// Remounting read-only works only while no file on it is open for writing.
    fn remount(&self, how: &str) {
        let ok = std::process::Command::new("mount").args(["-o", &format!("remount,{how}")]).arg(&self.0).status().is_ok_and(|s| s.success());
        assert!(ok, "remount {how}");
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes a file until the disk is full; returns its path.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 1 << 16];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    path
}

async fn health(server: &TestServer) -> (StatusCode, Value) {
    // /healthz probes at most every 2 seconds: wait for a fresh probe.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    server.anonymous().get("/healthz").await
}

#[tokio::test]
async fn a_full_disk_is_a_chinese_503_not_a_500() {
    let mount = common::temp_dir("full-disk").join("mnt");
    let Some(mounted) = mount_tmpfs(&mount, 48) else { return };
    let server = TestServer::start_with("full-disk", |c| c.data = Some(mount.join("data"))).await;
    let admin = server.admin().await;
    assert_eq!(admin.post("/api/v1/conversations", call("before", "A1", "2026-03-02T10:00:00+08:00")).await.0, StatusCode::CREATED);
    assert_eq!(health(&server).await.0, StatusCode::OK);

    // The disk fills up.
    let filler = fill(&mount);
    let mut big = call("big", "A1", "2026-03-02T10:00:00+08:00");
    for t in big["turns"].as_array_mut().expect("turns") {
        t["text"] = json!(format!("{}您好", "请稍等，".repeat(20_000)));
    }
    let (status, r) = admin.post("/api/v1/conversations", big.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{r}");
    assert_eq!(r["error"]["code"], "storage_unavailable");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("磁盘已满") && m.contains("未保存")), "{r}");
    let (status, r) = health(&server).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{r}");
    assert!(r["message"].as_str().is_some_and(|m| m.contains("数据库无法写入")), "{r}");
    // Reading still works.
    let (status, found) = admin.get("/api/v1/conversations").await;
    assert_eq!((status, found["total"].as_u64()), (StatusCode::OK, Some(1)));
    // Room again: writes and health are back.
    std::fs::remove_file(&filler).expect("free the disk");
    assert_eq!(health(&server).await.0, StatusCode::OK);
    assert_eq!(admin.post("/api/v1/conversations", big).await.0, StatusCode::CREATED);

    let (_, metrics) = admin.get("/metrics").await;
    assert!(metrics.as_str().is_some_and(|m| m.contains("kefu_http_requests_total{status=\"5xx\"} 2")), "the two 503s and no 500: {metrics}");
    server.stop().await;
    // A data directory that cannot be written at all: kefu says so at start.
    mounted.remount("ro");
    let refused = kefu_server::start(&kefu_server::Config { data: Some(mount.join("data")), ..kefu_server::Config::default() }).err().expect("no start on a read-only directory");
    assert!(refused.contains("只读"), "{refused}");
    mounted.remount("rw");
    drop(mounted);
}
