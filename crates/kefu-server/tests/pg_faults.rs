//! Faults with several instances on one PostgreSQL (a throw-away cluster on
//! loopback): an instance killed in the middle of writes, and the database
//! server restarted under load. Every write a client was told succeeded is
//! there afterwards; the instances recover by themselves. Every loop is
//! bounded in count and time.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{call, Session, TestServer};
use reqwest::StatusCode;

#[test]
fn acknowledged_writes_survive_a_killed_instance_and_a_database_restart() {
    let Some(cluster) = kefu_testpg::Cluster::start() else { return };
    let url = cluster.new_database();
    let cluster = Arc::new(cluster);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    runtime.block_on(faults(url, cluster.clone()));
}

fn config(url: &str) -> impl FnOnce(&mut kefu_server::Config) {
    let url = url.to_string();
    move |c: &mut kefu_server::Config| {
        c.database = Some(url);
        c.sweep_every = Duration::from_millis(200);
    }
}

/// Stores conversations `prefix-0…` through `session` until `count` are
/// tried or `deadline` passes; the ids whose store was acknowledged (201).
async fn writer(session: Session, prefix: String, count: usize, pause: Duration, deadline: Instant) -> (Vec<String>, usize) {
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for i in 0..count {
        if Instant::now() > deadline {
            break;
        }
        let id = format!("{prefix}-{i}");
        let sent = session.request(reqwest::Method::POST, "/api/v1/conversations").json(&call(&id, "A0731", "2026-03-02T10:00:00+08:00")).timeout(Duration::from_secs(15)).send().await;
        match sent {
            Ok(r) if r.status() == StatusCode::CREATED => acknowledged.push(id),
            Ok(r) => {
                // While the database is down: 503 with a Chinese message, never a panic or a 500.
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{id}: {body}");
                assert!(body.contains("未保存"), "{body}");
                refused += 1;
            }
            Err(_) => refused += 1, // the instance is gone: not acknowledged
        }
        tokio::time::sleep(pause).await;
    }
    (acknowledged, refused)
}

async fn all_present(reader: &Session, ids: &[String]) {
    for id in ids {
        let (status, v) = reader.get(&format!("/api/v1/conversations/{id}")).await;
        assert_eq!(status, StatusCode::OK, "acknowledged conversation {id} is missing: {v}");
    }
}

async fn healthy_within(session: &Session, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if session.anonymous_get_status("/healthz").await == StatusCode::OK {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

async fn faults(url: String, cluster: Arc<kefu_testpg::Cluster>) {
    let a = TestServer::start_with("fault-a", config(&url)).await;
    let b = TestServer::start_with("fault-b", config(&url)).await;
    let admin_a = a.admin().await;
    let (status, token) = admin_a.post("/api/v1/tokens", serde_json::json!({"name": "负载"})).await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let token = token["token"].as_str().expect("token").to_string();
    let on_a = admin_a.with_token(&token);
    let on_b = on_a.on(&b.base);

    // Four writers, two on each instance; A is killed while they write.
    let deadline = Instant::now() + Duration::from_secs(60);
    let pause = Duration::from_millis(30);
    let writers: Vec<_> = [("a1", &on_a), ("a2", &on_a), ("b1", &on_b), ("b2", &on_b)]
        .into_iter()
        .map(|(name, s)| tokio::spawn(writer(s.clone(), format!("kill-{name}"), 40, pause, deadline)))
        .collect();
    tokio::time::sleep(Duration::from_millis(600)).await;
    a.kill();
    let mut acknowledged = Vec::new();
    for w in writers {
        let (ok, _) = w.await.expect("writer");
        acknowledged.extend(ok);
    }
    assert!(acknowledged.iter().any(|id| id.starts_with("kill-b")), "B kept serving");
    assert!(acknowledged.iter().any(|id| id.starts_with("kill-a")), "A took writes before it died");
    all_present(&on_b, &acknowledged).await;
    eprintln!("killed instance: {} writes acknowledged, all present on the survivor", acknowledged.len());

    // A second instance again, then PostgreSQL restarts under load.
    let c = TestServer::start_with("fault-c", config(&url)).await;
    let on_c = on_b.on(&c.base);
    let deadline = Instant::now() + Duration::from_secs(90);
    let pause = Duration::from_millis(50);
    let writers: Vec<_> = [("b1", &on_b), ("b2", &on_b), ("c1", &on_c), ("c2", &on_c)]
        .into_iter()
        .map(|(name, s)| tokio::spawn(writer(s.clone(), format!("restart-{name}"), 60, pause, deadline)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let restarted = cluster.clone();
    tokio::task::spawn_blocking(move || {
        restarted.stop();
        std::thread::sleep(Duration::from_secs(1));
        restarted.restart();
    })
    .await
    .expect("restart PostgreSQL");
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for w in writers {
        let (ok, no) = w.await.expect("writer");
        acknowledged.extend(ok);
        refused += no;
    }
    // Both instances answer again without anyone touching them.
    assert!(healthy_within(&on_b, Duration::from_secs(20)).await, "B recovers");
    assert!(healthy_within(&on_c, Duration::from_secs(20)).await, "C recovers");
    let (status, _) = on_c.post("/api/v1/conversations", call("after-restart", "A0731", "2026-03-02T11:00:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED, "writes work again after the restart");
    all_present(&on_b, &acknowledged).await;
    all_present(&on_c, &acknowledged).await;
    eprintln!("PostgreSQL restart: {} writes acknowledged (all present), {refused} refused with 503 while it was down", acknowledged.len());
    b.stop().await;
    c.stop().await;
}
