//! A real server on a loopback port for each test, and a small client.
#![allow(dead_code)]

use std::path::PathBuf;

use kefu_server::{Config, Started};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-pass-测试-1";

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub data: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kefu-server-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl TestServer {
    pub async fn start(name: &str) -> TestServer {
        Self::start_with(name, |_| {}).await
    }

    pub async fn start_with(name: &str, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let data = temp_dir(name);
        let mut config = Config { data: Some(data.clone()), admin_password: Some(ADMIN_PASSWORD.into()), ..Config::default() };
        tweak(&mut config);
        // Start-up talks to the database synchronously (as `kefu serve` does before its runtime starts).
        let Started { state, .. } = tokio::task::spawn_blocking(move || kefu_server::start(&config)).await.expect("start task").expect("server starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let _ = kefu_server::serve(listener, state, async move {
                let _ = rx.await;
            })
            .await;
        });
        TestServer { base: format!("http://{addr}"), addr, data, shutdown: Some(tx), handle: Some(handle) }
    }

    /// Ends the server abruptly, as `kill -9` would: no clean shutdown, so
    /// it gives up none of its leases (the database is shared and stays).
    pub fn kill(mut self) {
        self.shutdown.take();
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in and returns a client whose requests carry the session cookie.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let r = Client::new().post(self.url("/api/v1/auth/login")).json(&json!({"username": username, "password": password})).send().await.expect("login request");
        assert_eq!(r.status(), StatusCode::OK, "login as {username}");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("kefu_session="))
            .expect("session cookie")
            .to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"), "{cookie}");
        let pair = cookie.split(';').next().expect("cookie pair").to_string();
        Session { base: self.base.clone(), auth: Credential::Cookie(pair), client: Client::new() }
    }

    pub async fn admin(&self) -> Session {
        self.login("admin", ADMIN_PASSWORD).await
    }

    pub fn anonymous(&self) -> Session {
        Session { base: self.base.clone(), auth: Credential::None, client: Client::new() }
    }

    /// Creates an account and logs in as it.
    pub async fn user(&self, admin: &Session, username: &str, role: &str, team: &str, agent_id: &str) -> Session {
        let password = format!("{username}-password");
        let (status, body) = admin
            .call(Method::POST, "/api/v1/users", Some(json!({"username": username, "display_name": username, "role": role, "team": team, "agent_id": agent_id, "password": password})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.login(username, &password).await
    }
}

#[derive(Clone)]
pub enum Credential {
    None,
    Cookie(String),
    Bearer(String),
}

#[derive(Clone)]
pub struct Session {
    pub base: String,
    pub auth: Credential,
    pub client: Client,
}

impl Session {
    /// The same credentials against another server (an instance on the same database).
    pub fn on(&self, base: &str) -> Session {
        Session { base: base.to_string(), auth: self.auth.clone(), client: Client::new() }
    }

    /// The status of a GET without credentials (`/healthz`), or 599 when the server cannot be reached.
    pub async fn anonymous_get_status(&self, path: &str) -> StatusCode {
        match Client::new().get(format!("{}{path}", self.base)).timeout(std::time::Duration::from_secs(5)).send().await {
            Ok(r) => r.status(),
            Err(_) => StatusCode::from_u16(599).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        }
    }

    /// A text answer (e.g. /metrics): status and body.
    pub async fn text(&self, path: &str) -> (StatusCode, String) {
        let resp = self.request(Method::GET, path).send().await.expect("request");
        (resp.status(), resp.text().await.expect("body"))
    }

    pub fn with_token(&self, token: &str) -> Session {
        Session { base: self.base.clone(), auth: Credential::Bearer(token.to_string()), client: Client::new() }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Credential::None => r,
            Credential::Cookie(c) => r.header("cookie", c),
            Credential::Bearer(t) => r.bearer_auth(t),
        }
    }

    /// A JSON call: status and body (the body as a string value when it is not JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
}

pub fn qa_dev() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/qa_dev.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).expect("qa_dev line")["conversation"].clone())
        .collect()
}

/// A phone call by `agent` with one forbidden phrase, and `id`.
pub fn call(id: &str, agent: &str, started_at: &str) -> Value {
    json!({
        "id": id, "channel": "phone", "started_at": started_at,
        "agent": {"id": agent, "work_no": agent.trim_start_matches('A'), "name": "测试"},
        "rings": 2,
        "turns": [
            {"speaker": "agent", "start": 0.3, "end": 9.0, "text": format!("您好，华业售后，工号{}，请问有什么可以帮到您？", agent.trim_start_matches('A'))},
            {"speaker": "customer", "start": 9.5, "end": 14.0, "text": "我家冰箱不制冷了，能派人来修吗？"},
            {"speaker": "agent", "start": 14.5, "end": 22.0, "text": "好的，您是说冰箱不制冷需要上门维修，对吗？"},
            {"speaker": "customer", "start": 22.5, "end": 23.5, "text": "对。"},
            {"speaker": "agent", "start": 24.0, "end": 29.0, "text": "这事儿不归我管，你找别的部门。"},
            {"speaker": "agent", "start": 30.0, "end": 36.0, "text": "请问您还有其他需要帮助的吗？"},
            {"speaker": "customer", "start": 36.5, "end": 37.5, "text": "没有了。"},
            {"speaker": "agent", "start": 38.0, "end": 44.0, "text": "感谢您的来电，祝您生活愉快，再见。"}
        ],
        "events": [{"type": "hangup", "at": 45.0, "by": "customer"}]
    })
}

/// kB of a line of /proc/self/status (VmRSS, VmHWM).
pub fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}
