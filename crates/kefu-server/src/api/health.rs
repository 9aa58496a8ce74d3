//! `/healthz` for load balancers (database reachability and room on disk)
//! and `/metrics` for Prometheus.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::metrics::BUCKETS;
use crate::state::{AppState, Health};

/// How long one probe of the database's writes stands for `/healthz`: load
/// balancers ask every few seconds, and a public endpoint must not turn into
/// a stream of fsyncs.
const HEALTH_PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Below this much free space on the data directory's disk kefu reports
/// itself unavailable: SQLite may still fit a small write into its journal,
/// but the next batch of transcripts will not fit.
pub const MIN_FREE_BYTES: u64 = 8 * 1024 * 1024;

/// Free bytes for an unprivileged writer on the disk of `dir`, and whether
/// it is mounted read-only (`None` if the file system cannot say).
fn disk_of(dir: &std::path::Path) -> Option<(u64, bool)> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some((s.f_bavail.saturating_mul(s.f_frsize), s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY)))
}

/// Liveness and readiness: 200 while the database takes writes and its disk
/// has room, else 503 with the reason in Chinese (a full disk, a read-only
/// data directory, an unreachable PostgreSQL), so that a load balancer sends
/// the traffic elsewhere.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let cached = state.health.lock().unwrap_or_else(|p| p.into_inner()).filter(|(at, _)| at.elapsed() < HEALTH_PROBE_EVERY).map(|(_, h)| h);
    let health = match cached {
        Some(h) => h,
        None => {
            let store = state.store.clone();
            let room = state.data_dir.as_deref().and_then(disk_of).is_none_or(|(free, read_only)| free >= MIN_FREE_BYTES && !read_only);
            let health = if !room {
                Health::NotWritable
            } else {
                match tokio::task::spawn_blocking(move || store.probe_write()).await {
                    Ok(Ok(())) => Health::Ok,
                    Ok(Err(e)) if e.is_unavailable() && state.store.dialect() == kefu_store::Dialect::Postgres => Health::Unreachable,
                    _ => Health::NotWritable,
                }
            };
            *state.health.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), health));
            health
        }
    };
    let backend = match state.store.dialect() {
        kefu_store::Dialect::Sqlite => "sqlite",
        kefu_store::Dialect::Postgres => "postgres",
    };
    let (database, message) = match health {
        Health::Ok => {
            let body = serde_json::json!({"status": "ok", "database": "ok", "backend": backend, "instance": state.instance, "rulebook_version": state.current().version});
            return (axum::http::StatusCode::OK, axum::Json(body)).into_response();
        }
        Health::NotWritable => ("not_writable", "数据库无法写入（磁盘已满或数据目录只读），新数据无法保存；请管理员检查数据目录所在磁盘"),
        Health::Unreachable => ("unreachable", "无法连接数据库（PostgreSQL 未运行或网络不通），新数据无法保存；恢复后本实例会自动重连"),
    };
    let body = serde_json::json!({"status": "unavailable", "database": database, "backend": backend, "instance": state.instance, "message": message});
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, "30")], axum::Json(body)).into_response()
}

/// Admins only (Prometheus scrapes with an admin's API token).
pub async fn prometheus(auth: crate::auth::Auth, State(state): State<AppState>) -> Result<Response, crate::error::ApiError> {
    use std::fmt::Write;
    auth.require(crate::auth::Role::Admin)?;
    let m = &state.metrics;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::new();
    let _ = writeln!(out, "# HELP kefu_http_requests_total HTTP requests by status class.\n# TYPE kefu_http_requests_total counter");
    for (class, counter) in [("2xx", &m.requests_2xx), ("3xx", &m.requests_3xx), ("4xx", &m.requests_4xx), ("5xx", &m.requests_5xx)] {
        let _ = writeln!(out, "kefu_http_requests_total{{status=\"{class}\"}} {}", get(counter));
    }
    let _ = writeln!(out, "# HELP kefu_http_request_duration_seconds Time to answer a request.\n# TYPE kefu_http_request_duration_seconds histogram");
    let mut cumulative = 0;
    for (i, bound) in BUCKETS.iter().enumerate() {
        cumulative += get(&m.duration_buckets[i]);
        let _ = writeln!(out, "kefu_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    cumulative += get(&m.duration_buckets[BUCKETS.len()]);
    let _ = writeln!(out, "kefu_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
    let _ = writeln!(out, "kefu_http_request_duration_seconds_sum {}", get(&m.duration_micros) as f64 / 1e6);
    let _ = writeln!(out, "kefu_http_request_duration_seconds_count {cumulative}");
    for (name, help, counter) in [
        ("kefu_lint_checks_total", "Utterances and drafts checked against the forbidden phrases.", &m.lint_checks),
        ("kefu_lint_violations_total", "Forbidden phrases found.", &m.lint_violations),
        ("kefu_conversations_inspected_total", "Conversations scored.", &m.conversations_inspected),
        ("kefu_assist_messages_total", "Live-assist WebSocket messages handled.", &m.assist_messages),
        ("kefu_logins_failed_total", "Failed log-ins.", &m.logins_failed),
        ("kefu_logins_throttled_total", "Log-in attempts refused with 429 (too many failures).", &m.logins_throttled),
        ("kefu_sweeper_rounds_total", "Rounds of the deadline sweeper run by this instance (the lease holder).", &m.sweeps),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", get(counter));
    }
    let _ = writeln!(out, "# HELP kefu_assist_connections Open live-assist WebSockets.\n# TYPE kefu_assist_connections gauge\nkefu_assist_connections {}", get(&m.assist_connections));
    let store = state.store.clone();
    if let Ok(Ok((conversations, appeals, users))) = tokio::task::spawn_blocking(move || store.counts()).await {
        let _ = writeln!(out, "# HELP kefu_stored_conversations Conversations in the database.\n# TYPE kefu_stored_conversations gauge\nkefu_stored_conversations {conversations}");
        let _ = writeln!(out, "# HELP kefu_pending_appeals Appeals awaiting a decision.\n# TYPE kefu_pending_appeals gauge\nkefu_pending_appeals {appeals}");
        let _ = writeln!(out, "# HELP kefu_users Accounts.\n# TYPE kefu_users gauge\nkefu_users {users}");
    }
    let _ = writeln!(out, "# HELP kefu_rulebook_version Rulebook version in use.\n# TYPE kefu_rulebook_version gauge\nkefu_rulebook_version {}", state.current().version);
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response())
}
