//! The HTTP application: the route table of every feature, the middleware
//! around it, and serving until shutdown.

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use axum::Router;

use crate::api::{self, conversations, engine, rulebook, users};
use crate::state::AppState;
use crate::{assist, console, follow, limits, listen, middleware, openapi, retention, sweeper};

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api_routes())
        .merge(console::routes())
        .route("/api/v1/assist", axum::routing::get(assist::upgrade))
        .route("/api/v1/openapi.json", axum::routing::get(openapi::document))
        .route("/healthz", axum::routing::get(api::health::healthz))
        .route("/metrics", axum::routing::get(api::health::prometheus))
        .fallback(api::conversations::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::track))
        .layer(axum::middleware::from_fn(middleware::request_scope))
        // The settings' max_body_bytes applies to JSON bodies (ApiJson); this
        // is the ceiling for every other extractor.
        .layer(DefaultBodyLimit::max(limits::HARD_BODY_LIMIT))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight
/// (see [`listen::serve_connections`] for the bounds on slow clients).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    // The background jobs live exactly as long as this future: dropped (a
    // server task aborted), they are aborted too.
    let sweeper = AbortOnDrop(tokio::spawn(sweeper::run(state.clone(), state.sweep_every)));
    let retention = AbortOnDrop(tokio::spawn(retention::run(state.clone(), state.retention_every)));
    let stop_following = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _stop_on_drop = StopOnDrop(stop_following.clone());
    let follower = AbortOnDrop(tokio::spawn(follow::run(state.clone(), stop_following.clone())));
    let connections = state.connections;
    let app = router(state.clone());
    let served = listen::serve_connections(listener, app, connections, shutdown).await;
    drop(sweeper);
    drop(retention);
    drop(follower);
    // A clean stop hands the sweeper over at once instead of when its lease runs out.
    let (store, instance) = (state.store.clone(), state.instance.clone());
    let _ = tokio::task::spawn_blocking(move || {
        for lease in [sweeper::LEASE, retention::LEASE] {
            let _ = store.release_lease(lease, &instance);
        }
    })
    .await;
    served
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Stops the listener thread of [`follow::run`] (a plain thread, not a task).
struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
    // Give in-flight requests a moment; axum's graceful shutdown waits for them.
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// The routes of the API under `/api/v1` (every handler takes an `Auth` or answers 401).
fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(users::login))
        .route("/api/v1/auth/logout", post(users::logout))
        .route("/api/v1/me", get(users::me))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route("/api/v1/people", get(users::people))
        .route("/api/v1/users/{id}", patch(users::update))
        .route("/api/v1/tokens", get(users::list_tokens).post(users::create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(users::revoke_token))
        .route("/api/v1/settings/limits", get(api::settings::get_limits).put(api::settings::put_limits))
        .route("/api/v1/settings/retention", get(api::settings::get_retention).put(api::settings::put_retention))
        .route("/api/v1/settings/retention/run", post(api::settings::run_retention))
        .route("/api/v1/settings/centre", get(api::settings::get_centre).put(api::settings::put_centre))
        .route("/api/v1/settings/qa", get(api::settings::get_qa).put(api::settings::put_qa))
        .route("/api/v1/conversations/export.xlsx", get(api::scorecard_export::export))
        .route("/api/v1/notifications/unread", get(crate::desk::unread))
        .route("/api/v1/notifications/read", post(crate::desk::mark_read))
        .route("/api/v1/lint", post(engine::lint))
        .route("/api/v1/feedback", get(crate::feedback::list).post(crate::feedback::create))
        .route("/api/v1/feedback/export.jsonl", get(crate::feedback::export))
        .route("/api/v1/classify", post(engine::classify))
        .route("/api/v1/reply", post(engine::reply))
        .route("/api/v1/inspect", post(engine::inspect))
        .route("/api/v1/conversations", get(conversations::search).post(conversations::create))
        .route("/api/v1/conversations/{id}", get(conversations::view))
        .route("/api/v1/conversations/{id}/appeals", post(conversations::file_appeal))
        .route("/api/v1/reports/summary", get(conversations::report))
        .route("/api/v1/appeals", get(conversations::list_appeals))
        .route("/api/v1/appeals/{id}/decision", post(conversations::decide))
        .route("/api/v1/rulebook", get(rulebook::overview))
        .route("/api/v1/rulebook/rules/{id}", get(rulebook::rule))
        .route("/api/v1/rulebook/file", get(rulebook::file).put(rulebook::edit))
        .route("/api/v1/rulebook/versions", get(rulebook::versions))
        .route("/api/v1/checks/validate", post(api::checks::validate))
        .route("/api/v1/checks/preview", post(api::checks::preview))
        .route("/api/v1/rulebook/versions/{version}/restore", post(rulebook::restore))
        .route("/api/v1/rulebook/rules/{id}/additions", post(rulebook::add_to_rule))
        .route("/api/v1/rulebook/try", post(rulebook::try_sentence))
        .route("/api/v1/audit", get(rulebook::audit))
        .route("/api/v1/webhooks/transcript", post(api::conversations::webhook_transcript))
        .route("/api/v1/integrations/chatwoot", post(crate::chatwoot::webhook))
        .route("/api/v1/integrations/chatwoot/{account_id}/{conversation_id}/inspect", post(crate::chatwoot::inspect_chat))
        .route("/api/v1/records", get(crate::desk::list).post(crate::desk::create))
        .route("/api/v1/records/export.xlsx", get(crate::mail::export))
        .route("/api/v1/records/call-log-draft", get(crate::desk::call_log_draft))
        .route("/api/v1/records/{id}", get(crate::desk::view).patch(crate::desk::edit))
        .route("/api/v1/records/{id}/send", post(crate::mail::send))
        .route("/api/v1/settings/smtp", get(crate::mail::get_smtp).put(crate::mail::put_smtp))
        .route("/api/v1/teams/{team}/mail", get(crate::mail::get_team_mail).put(crate::mail::put_team_mail))
        .route("/api/v1/records/{id}/events", post(crate::desk::event))
        .route("/api/v1/conversations/{id}/record", post(crate::desk::from_conversation))
        .route("/api/v1/obligations", get(crate::desk::obligations_list))
        .route("/api/v1/notifications", get(crate::desk::notifications))
        .route("/api/v1/teams/{team}/hours", get(crate::desk::get_hours).put(crate::desk::set_hours))
        .route("/api/v1/calendar/years", get(crate::desk::calendar_years))
        .route("/api/v1/calendar/years/{year}", axum::routing::put(crate::desk::import_year))
        .route("/api/v1/calendar/days/{date}", get(crate::desk::calendar_day))
        .route("/api/v1/attendance/clock-in", post(crate::attendance::clock_in))
        .route("/api/v1/attendance/requests", get(crate::attendance::requests).post(crate::attendance::request))
        .route("/api/v1/attendance/team", get(crate::attendance::team))
        .route("/api/v1/attendance/requests/{id}/approve", post(crate::attendance::approve))
        .route("/api/v1/attendance/report", get(crate::attendance::report))
        .route("/api/v1/attendance/report.xlsx", get(crate::attendance::report_xlsx))
        .route("/api/v1/settings/chatwoot", get(crate::chatwoot::get_settings).put(crate::chatwoot::put_settings))
}

