//! The largest inspect request the default limits allow — 50 turns of
//! 100,000 characters of a repeated forbidden phrase, about a million hits —
//! is answered in bounded memory with the truncation marked, while live
//! assist keeps answering keystrokes. Alone in its test binary, so that the
//! process's peak memory is this request's.

mod common;

use std::time::{Duration, Instant};

use common::{status_kb, Credential, TestServer};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maximal_inspect_request_is_bounded_and_live_assist_keeps_answering() {
    let server = TestServer::start("bounded").await;
    let admin = server.admin().await;
    let Credential::Cookie(cookie) = admin.auth.clone() else { panic!("a cookie session") };

    let phrase = "这事儿不归我管。";
    let text = phrase.repeat(100_000 / phrase.chars().count());
    let turns: Vec<Value> = (0..50).map(|i| json!({"speaker": "agent", "start": i as f64 * 10.0, "end": i as f64 * 10.0 + 9.0, "text": text})).collect();
    let body = json!({"id": "maximal", "channel": "phone", "agent": {"id": "A1", "work_no": "1001"}, "turns": turns}).to_string();
    assert!(body.len() < 16 * 1024 * 1024, "within the default body limit: {} bytes", body.len());

    let mut req = format!("ws://{}/api/v1/assist", server.addr).into_client_request().expect("request");
    req.headers_mut().insert("cookie", cookie.parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("socket");

    let rss_before = status_kb("VmRSS:");
    let started = Instant::now();
    let heavy = {
        let request = admin.request(reqwest::Method::POST, "/api/v1/inspect").header("content-type", "application/json").body(body);
        tokio::spawn(async move {
            let response = request.send().await.expect("inspect");
            let status = response.status();
            (status, response.json::<Value>().await.expect("json"), Instant::now())
        })
    };
    // Keystrokes while the inspection runs: a 200-character draft, the answer awaited before the next.
    let draft = format!("{}这事儿不归我管", "您好，请问还有什么可以帮您？".repeat(13));
    let mut round_trips = Vec::new();
    let mut health = Vec::new();
    let client = reqwest::Client::new();
    while !heavy.is_finished() && round_trips.len() < 20_000 && started.elapsed() < Duration::from_secs(300) {
        let sent = Instant::now();
        ws.send(Message::Text(json!({"type": "draft", "id": round_trips.len(), "text": draft}).to_string().into())).await.expect("send");
        let answer = loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), ws.next()).await.expect("an answer in time").expect("open").expect("frame");
            if let Message::Text(t) = msg {
                break serde_json::from_str::<Value>(&t).expect("json");
            }
        };
        assert_eq!(answer["type"], "lint");
        assert!(answer["violations"].as_array().is_some_and(|v| !v.is_empty()));
        round_trips.push(sent.elapsed());
        if round_trips.len() % 50 == 0 {
            let asked = Instant::now();
            assert_eq!(client.get(server.url("/healthz")).send().await.expect("healthz").status(), 200);
            health.push(asked.elapsed());
        }
    }
    let (status, card, done) = heavy.await.expect("inspect task");
    let took = done - started;
    let growth_mb = status_kb("VmHWM:").saturating_sub(rss_before) / 1024;
    assert_eq!(status, 200, "{card}");
    let forbidden = card["checks"].as_array().expect("checks").iter().find(|c| c["id"] == "language.forbidden").expect("check").clone();
    assert_eq!(forbidden["result"], "fail");
    assert_eq!(forbidden["evidence"].as_array().map(Vec::len), Some(1_000), "max_hits_per_conversation");
    assert_eq!(forbidden["truncated"], true);
    assert_eq!(forbidden["evidence_total"].as_u64(), Some(50 * 12_500), "every hit counted");
    round_trips.sort();
    let (p50, p99) = (percentile(&round_trips, 0.5), percentile(&round_trips, 0.99));
    eprintln!(
        "maximal inspect: {:.1} s, peak memory growth {growth_mb} MB; {} keystrokes meanwhile: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; /healthz max {:.2} ms",
        took.as_secs_f64(),
        round_trips.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        round_trips.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        health.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    assert!(growth_mb < 200, "memory grew by {growth_mb} MB");
    assert!(round_trips.len() >= 20, "keystrokes were checked while the inspection ran: {}", round_trips.len());
    assert!(p99 < Duration::from_millis(50), "p99 of keystroke checks during the inspection: {p99:?}");
    server.stop().await;
}
