//! Every request gets an id: in the `x-request-id` response header, in every
//! log line written while it is handled, and in the body of a 5xx answer, so
//! that a caller's report can be found in the log (the middleware that sets
//! it is in `middleware`).

use axum::extract::Request;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// An id from a proxy in front (`x-request-id`) when it is short and plain,
/// else a new random one.
pub fn id_for(req: &Request) -> String {
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

/// Runs `work` with `id` as the request id of its task.
pub async fn scope<T>(id: String, work: impl std::future::Future<Output = T>) -> T {
    REQUEST_ID.scope(id, work).await
}
