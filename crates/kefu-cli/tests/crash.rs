//! The crash test: `kefu serve` is killed with SIGKILL while records are
//! being written, restarted on the same data directory, and every record
//! (with its deadlines) whose creation was acknowledged is still there.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

mod common;
use common::{request, serve, temp_dir, Server};

const PASSWORD: &str = "crash-test-admin-2026";

type Acknowledged = (i64, Vec<(String, String)>);

fn start(data: &Path) -> Server {
    serve(data, PASSWORD, Stdio::null())
}

fn token(port: u16) -> String {
    common::admin_token(port, PASSWORD)
}

#[test]
fn no_acknowledged_record_or_deadline_is_lost_on_sigkill() {
    let data = temp_dir("crash");
    let server = start(&data);
    let bearer = format!("Authorization: Bearer {}", token(server.port));
    // (record id, its obligations as (kind, due_at)) for every acknowledged write.
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (acknowledged, stop, bearer, port) = (Arc::clone(&acknowledged), Arc::clone(&stop), bearer.clone(), server.port);
        writers.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let customer = format!("客户{w}-{n}");
                let body = if n % 2 == 0 {
                    json!({"kind": "repair", "received_at": "2026-09-30T15:00:00+08:00",
                        "fields": {"customer": customer, "contact": "13800000000", "address": "XX路1号", "description": "测试", "promised_reply_hours": 8}})
                } else {
                    json!({"kind": "walkin_complaint", "received_at": "2026-09-30T15:00:00+08:00", "fields": {"customer": customer, "description": "测试"}})
                };
                match request(port, "POST", "/api/v1/records", Some(&bearer), Some(&body)) {
                    Some((201, v)) => {
                        let id = v["record"]["id"].as_i64().expect("id");
                        let owed = v["obligations"]
                            .as_array()
                            .expect("obligations")
                            .iter()
                            .map(|o| (o["kind"].as_str().unwrap_or("").to_string(), o["due_at"].as_str().unwrap_or("").to_string()))
                            .collect();
                        acknowledged.lock().expect("lock").push((id, owed));
                    }
                    Some((status, v)) => panic!("unexpected answer {status}: {v}"),
                    None => {} // the server is gone (killed): not acknowledged
                }
            }
        }));
    }
    // Let the writers run, then kill the server in the middle of their writes.
    let until = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() < 200 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-KILL", &pid]).status().expect("kill").success());
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer");
    }
    drop(server);
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 50, "enough writes before the kill: {}", acknowledged.len());

    // Restart on the same data directory: every acknowledged record and deadline is there.
    let server = start(&data);
    let bearer = format!("Authorization: Bearer {}", token(server.port));
    for (id, owed) in &acknowledged {
        let (status, v) = request(server.port, "GET", &format!("/api/v1/records/{id}"), Some(&bearer), None).expect("get");
        assert_eq!(status, 200, "record {id} lost: {v}");
        let stored: Vec<(String, String)> = v["obligations"]
            .as_array()
            .expect("obligations")
            .iter()
            .map(|o| (o["kind"].as_str().unwrap_or("").to_string(), o["due_at"].as_str().unwrap_or("").to_string()))
            .collect();
        assert_eq!(&stored, owed, "deadlines of record {id}");
    }
    eprintln!("{} acknowledged records survived SIGKILL", acknowledged.len());
}
