//! `kill -9` of one of two `kefu serve` processes on one PostgreSQL while
//! four writers write through both: every acknowledged write is there, the
//! other instance keeps serving, and the deadline sweeper moves to it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

mod common;
use common::{request, serve_with, temp_dir, Server};

const PASSWORD: &str = "pg-kill-admin-2026";

fn token(port: u16) -> String {
    common::admin_token(port, PASSWORD)
}

fn sweeps(port: u16, bearer: &str) -> Option<u64> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let _ = write!(s, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{bearer}\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().find_map(|l| l.strip_prefix("kefu_sweeper_rounds_total ")).and_then(|v| v.trim().parse().ok())
}

fn start(url: &str, name: &str) -> Server {
    serve_with(&temp_dir(name), PASSWORD, std::process::Stdio::null(), &[("KEFU_DATABASE_URL", url), ("KEFU_SWEEP_EVERY_MS", "200")])
}

#[test]
fn sigkill_of_one_instance_loses_no_acknowledged_write() {
    let Some(cluster) = kefu_testpg::Cluster::start() else { return };
    let url = cluster.new_database();
    let a = start(&url, "pgkill-a");
    let b = start(&url, "pgkill-b");
    let bearer = format!("Authorization: Bearer {}", token(a.port));
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = [a.port, a.port, b.port, b.port]
        .into_iter()
        .enumerate()
        .map(|(w, port)| {
            let (acknowledged, stop, bearer) = (acknowledged.clone(), stop.clone(), bearer.clone());
            std::thread::spawn(move || {
                let until = Instant::now() + Duration::from_secs(60);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) && Instant::now() < until && n < 2000 {
                    n += 1;
                    let body = json!({"kind": "walkin_complaint", "received_at": "2026-09-30T15:00:00+08:00", "fields": {"customer": format!("客户{w}-{n}"), "description": "测试"}});
                    match request(port, "POST", "/api/v1/records", Some(&bearer), Some(&body)) {
                        Some((201, v)) => acknowledged.lock().expect("lock").push(v["record"]["id"].as_i64().expect("id")),
                        Some((status, v)) => panic!("unexpected answer {status}: {v}"),
                        None => std::thread::sleep(Duration::from_millis(20)), // A is gone: not acknowledged
                    }
                }
            })
        })
        .collect();
    let until = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() < 100 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let holder_before = (sweeps(a.port, &bearer).unwrap_or(0), sweeps(b.port, &bearer).unwrap_or(0));
    let pid = a.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-KILL", &pid]).status().expect("kill").success());
    let killed = Instant::now();
    let b_before = sweeps(b.port, &bearer).unwrap_or(0);
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer");
    }
    drop(a);
    let acknowledged = acknowledged.lock().expect("lock").clone();
    for id in &acknowledged {
        let (status, v) = request(b.port, "GET", &format!("/api/v1/records/{id}"), Some(&bearer), None).expect("get");
        assert_eq!(status, 200, "record {id} lost: {v}");
    }
    assert_eq!(request(b.port, "GET", "/healthz", None, None).map(|(s, _)| s), Some(200), "B keeps serving");
    // The sweeper runs on B afterwards (at once if B held the lease, else once A's runs out).
    let mut moved = false;
    while killed.elapsed() < Duration::from_secs(20) {
        if sweeps(b.port, &bearer).unwrap_or(0) > b_before {
            moved = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(moved, "B sweeps after A was killed (before: A {}, B {})", holder_before.0, holder_before.1);
    assert!(holder_before.0 == 0 || holder_before.1 == 0, "only one instance swept before the kill: {holder_before:?}");
    eprintln!("{} acknowledged records survived SIGKILL of one instance; sweeper on B {} ms after", acknowledged.len(), killed.elapsed().as_millis());
    drop(b);
    drop(cluster);
}
