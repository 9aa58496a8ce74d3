//! Helpers shared by the CLI tests: the real `kefu` binary, run as a user would.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub fn kefu(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kefu");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kefu-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn repo_rulebook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulebook")
}

/// tools/browser, when Debian's Chromium and playwright-core are installed;
/// `None` (the test skips) otherwise, unless KEFU_REQUIRE_BROWSER is set (as
/// .ci/run does), in which case the missing browser fails the test.
pub fn browser_tools() -> Option<PathBuf> {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/browser");
    let ready = Path::new("/usr/bin/chromium").exists() && tools.join("node_modules/playwright-core").exists();
    if ready {
        return Some(tools);
    }
    assert!(std::env::var_os("KEFU_REQUIRE_BROWSER").is_none(), "chromium or tools/browser/node_modules missing (run `npm ci` in tools/browser)");
    eprintln!("skipped: headless Chromium not installed");
    None
}
