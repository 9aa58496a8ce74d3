//! The console end to end: the real `kefu serve` binary on a loopback port,
//! driven in Debian's headless Chromium by tools/browser/console-e2e.mjs
//! (log in, a forbidden phrase underlined while typing, the standard reply,
//! a scorecard, an appeal filed and overturned). Screenshots are saved in
//! target/screenshots/console/. Skipped where Chromium is not installed,
//! unless KEFU_REQUIRE_BROWSER is set (as .ci/run does).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{serve, temp_dir};

#[test]
fn console_in_headless_chromium() {
    let Some(tools) = common::browser_tools() else { return };
    let data = temp_dir("console-e2e");
    let password = "e2e-admin-密码-2026";
    let mut server = serve(&data, password, Stdio::piped());
    let port = server.port;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/console");
    let qa_dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/qa_dev.jsonl");
    let out = Command::new("node")
        .arg(tools.join("console-e2e.mjs"))
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&shots)
        .env("KEFU_ADMIN_PASSWORD", password)
        .env("QA_DEV", &qa_dev)
        .output()
        .expect("run node");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(result["underlined"], "不归我管");
    for shot in ["workspace.png", "scorecards.png", "appeal-filed.png", "qa-charts.png", "appeal-overturned.png", "rulebook.png", "record.png", "deadlines.png", "attendance.png", "settings.png"] {
        assert!(std::fs::metadata(shots.join(shot)).map(|m| m.len() > 10_000).unwrap_or(false), "screenshot {shot}");
    }
    // Ctrl-C / SIGTERM: a graceful stop with exit code 0.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.child.try_wait().expect("status") {
            assert!(status.success(), "graceful shutdown exits 0: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "kefu serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stdout = String::new();
    if let Some(mut s) = server.child.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    assert!(stdout.contains(&format!("http://127.0.0.1:{port}/")), "prints the URL: {stdout}");
    assert!(stdout.contains("KEFU_ADMIN_PASSWORD") && !stdout.contains(password), "says how to log in, never echoes a given password: {stdout}");
    assert!(stdout.contains("已停止"));
}
