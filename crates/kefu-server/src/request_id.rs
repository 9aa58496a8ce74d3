//! Every request gets an id: in the `x-request-id` response header, in every
//! log line written while it is handled, and in the body of a 5xx answer, so
//! that a caller's report can be found in the log. A handler that panics
//! (a fault of kefu, never of the input) is answered 500 with that id and
//! logged; the connection is never dropped.

use std::panic::AssertUnwindSafe;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::error::ApiError;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// An id from a proxy in front (`x-request-id`) when it is short and plain,
/// else a new random one.
fn id_for(req: &Request) -> String {
    let given = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).filter(|v| {
        !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if let Some(id) = given {
        return id.to_string();
    }
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No randomness: a counter still tells requests apart in the log.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        bytes = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_be_bytes();
    }
    hex::encode(bytes)
}

pub async fn middleware(req: Request, next: Next) -> Response {
    let id = id_for(&req);
    let span = tracing::info_span!("request", request_id = %id);
    let handled = REQUEST_ID.scope(id.clone(), async move {
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
        let app = Router::new().route("/boom", get(boom)).route("/fine", get(|| async { "ok" })).layer(axum::middleware::from_fn(super::middleware));
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
