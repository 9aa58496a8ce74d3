//! The middleware around every route: a request id and a 500 (never a
//! dropped connection) for a handler that panics; metrics and a log line per request.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::error::ApiError;
use crate::request_id;
use crate::state::AppState;

/// Every request gets an id: in the `x-request-id` response header, in every
/// log line written while it is handled, and in the body of a 5xx answer. A
/// handler that panics (a fault of kefu, never of the input) is answered 500
/// with that id and logged; the connection is never dropped.
pub async fn request_scope(req: Request, next: Next) -> Response {
    let id = request_id::id_for(&req);
    let span = tracing::info_span!("request", request_id = %id);
    let handled = request_id::scope(id.clone(), async move {
        match AssertUnwindSafe(next.run(req)).catch_unwind().await {
            Ok(response) => response,
            Err(panic) => {
                let message = crate::privacy::mask_phones(&kefu_core::panic_message(panic.as_ref()).unwrap_or_default());
                ApiError::internal(format!("handler panicked: {message}")).into_response()
            }
        }
    });
    let mut response = handled.instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The route template (/api/v1/conversations/{id}), never the concrete path with its ids.
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "(unmatched)".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.metrics.observe(status, seconds);
    tracing::info!(target: "kefu::http", %method, %route, status, micros = (seconds * 1e6) as u64, "request");
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    #[allow(clippy::unnecessary_literal_unwrap)] // the point: a panic nobody foresaw
    async fn boom() -> &'static str {
        let fault: Option<&str> = None;
        fault.expect("a fault of kefu, call 13812345678")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_with_the_request_id() {
        let app = Router::new().route("/boom", get(boom)).route("/fine", get(|| async { "ok" })).layer(axum::middleware::from_fn(super::request_scope));
        let response = app.clone().oneshot(Request::get("/boom").body(Body::empty()).expect("request")).await.expect("answered");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("request id header").to_string();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(json["error"]["code"], "internal");
        assert_eq!(json["error"]["request_id"], id.as_str());
        assert!(json["error"]["message"].as_str().is_some_and(|m| m.contains(&id)), "{json}");
        assert!(!body.windows(11).any(|w| w == b"13812345678"), "no panic text reaches the caller");
        // The same service goes on answering.
        let fine = app.oneshot(Request::get("/fine").header("x-request-id", "lb-42").body(Body::empty()).expect("request")).await.expect("answered");
        assert_eq!(fine.status(), StatusCode::OK);
        assert_eq!(fine.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("lb-42"), "a proxy's id is kept");
    }
}
