//! Paging of the list endpoints: `?limit=&offset=` in, the items as the JSON
//! array they always were, and the whole list's size in `X-Total-Count`
//! (with `X-Offset` and `X-Limit`), so that a client — the console's
//! "1–50 / 205" and its next page — knows what it is not seeing. The
//! conversation search carries the same numbers in its body (`total`).

use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use kefu_store::{Page, Paged};

/// Items per page when the request does not say.
pub const DEFAULT_LIMIT: u32 = 200;
/// The most items one page may hold.
pub const MAX_LIMIT: u32 = 2_000;

/// The page a request asks for; a limit outside 1–2000 is a 400 naming it.
pub fn requested(limit: Option<u32>, offset: Option<u32>) -> Result<Page, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", format!("limit 应在 1–{MAX_LIMIT} 之间")).with_field("limit"));
    }
    Ok(Page { limit, offset: offset.unwrap_or(0) })
}

/// The page's items as a JSON array, the totals in headers.
pub fn respond<T: Serialize>(paged: Paged<T>, page: Page) -> Response {
    let mut response = Json(paged.items).into_response();
    let headers = response.headers_mut();
    for (name, value) in [("x-total-count", paged.total), ("x-offset", u64::from(page.offset)), ("x-limit", u64::from(page.limit))] {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    response
}
