//! Helpers shared by the CLI tests: the real `kefu` binary, run as a user would.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

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

/// A real `kefu serve` on a free loopback port; killed and reaped when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kefu serve` on `data` with the admin password `password` and waits until /healthz answers.
pub fn serve(data: &Path, password: &str, stdout: Stdio) -> Server {
    serve_with(data, password, stdout, &[])
}

/// The same with more environment (`KEFU_DATABASE_URL`, …).
pub fn serve_with(data: &Path, password: &str, stdout: Stdio, env: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port");
    let child = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .envs(env.iter().copied())
        .env("KEFU_ADMIN_PASSWORD", password)
        .env("RUST_LOG", "warn")
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("start kefu serve");
    let mut server = Server { child, port };
    let started = std::time::Instant::now();
    while request(port, "GET", "/healthz", None, None).map(|(s, _)| s) != Some(200) {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "kefu serve did not come up");
        assert!(server.child.try_wait().expect("status").is_none(), "kefu serve exited");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server
}

/// Logs in as `admin` with `password` and makes an API token (the session
/// cookie is in a header [`request`] does not keep, so the log-in is by hand).
pub fn admin_token(port: u16, password: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = serde_json::json!({"username": "admin", "password": password}).to_string();
    let _ = write!(s, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let cookie = out.lines().find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: "))).and_then(|c| c.split(';').next()).expect("cookie").to_string();
    let (status, t) = request(port, "POST", "/api/v1/tokens", Some(&format!("Cookie: {cookie}")), Some(&serde_json::json!({"name": "test"}))).expect("token");
    assert_eq!(status, 201, "{t}");
    t["token"].as_str().expect("token").to_string()
}

/// One HTTP/1.1 request on its own connection: (status, body), or `None` when the server is gone.
pub fn request(port: u16, method: &str, path: &str, auth: Option<&str>, body: Option<&Value>) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = auth.map(|a| format!("{a}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out);
    let status: u16 = text.split(' ').nth(1)?.parse().ok()?;
    let (headers, payload) = text.split_once("\r\n\r\n")?;
    let payload = if headers.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(payload) } else { payload.to_string() };
    Some((status, serde_json::from_str(&payload).unwrap_or(Value::Null)))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

