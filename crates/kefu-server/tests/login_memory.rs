//! 64 concurrent log-ins for unknown accounts used to grow the server by
//! over a gigabyte (Argon2's 19 MiB working memory, freed and kept by the
//! allocator each time). Alone in its test binary, so that the process's
//! peak memory is these log-ins'.

mod common;

use common::{status_kb, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_log_ins_for_unknown_accounts_stay_in_bounded_memory() {
    let server = TestServer::start("login-memory").await;
    let client = reqwest::Client::new();
    let peak_before = status_kb("VmHWM:");
    let attempts = (0..64).map(|i| {
        let request = client.post(server.url("/api/v1/auth/login")).json(&json!({"username": format!("nobody{i}"), "password": "wrong-password-x"}));
        tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
    });
    let mut answers = Vec::new();
    for a in attempts.collect::<Vec<_>>() {
        answers.push(a.await.expect("task").expect("an answer"));
    }
    assert!(answers.iter().all(|s| *s == 401 || *s == 429), "refused, never an error: {answers:?}");
    let growth_mb = status_kb("VmHWM:").saturating_sub(peak_before) / 1024;
    eprintln!("64 concurrent unknown log-ins: peak memory growth {growth_mb} MB");
    assert!(growth_mb < 200, "peak memory grew by {growth_mb} MB");
    server.stop().await;
}
