//! Request extractors whose rejections are API errors in kefu's format:
//! JSON bodies and raw bodies within the size and time limits in force, and
//! query strings.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// The longest a client may take to send a request body.
pub const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// A JSON body whose rejections (not JSON, wrong types, unknown fields, too
/// large, sent too slowly) are 4xx errors in the API's format with a clear
/// message. The size limit is the `max_body_bytes` setting.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type", "请求头 Content-Type 应为 application/json"));
        }
        let LimitedBytes(bytes) = LimitedBytes::from_request(req, state).await?;
        parse_json(strip_bom(&bytes)).map(ApiJson)
    }
}

/// A raw request body within the `max_body_bytes` setting and sent within
/// [`BODY_DEADLINE`] (413 and 408 otherwise), for handlers that need the
/// bytes themselves (a signed webhook).
pub struct LimitedBytes(pub axum::body::Bytes);

impl FromRequest<AppState> for LimitedBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.limits().max_body_bytes;
        let too_large = || ApiError::too_large(format!("请求体过大（最多 {} 字节）", limit));
        let declared = req.headers().get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        match tokio::time::timeout(BODY_DEADLINE, axum::body::to_bytes(req.into_body(), limit)).await {
            Err(_) => Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", format!("请求体在 {} 秒内没有发送完", BODY_DEADLINE.as_secs()))),
            Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
            Ok(Err(_)) => Err(ApiError::bad_request("bad_request", "无法读取请求体（连接中断）")),
            Ok(Ok(bytes)) => Ok(LimitedBytes(bytes)),
        }
    }
}

/// A body without the UTF-8 byte-order mark that some Windows tools put
/// first (JSON parsers refuse it; it is not part of the text).
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

pub(crate) fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let mime = mime_of(headers);
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The media type of a request, lower case, without parameters ("" when none).
pub(crate) fn mime_of(headers: &axum::http::HeaderMap) -> String {
    let value = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    value.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Whether reading a body failed because it was longer than allowed.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// A JSON body as a `T`, or a 400 that says in Chinese what is wrong and
/// where (`field` names the field at fault).
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    kefu_core::json_errors::from_slice(bytes).map_err(json_problem)
}

pub(crate) fn json_problem(p: kefu_core::json_errors::JsonProblem) -> ApiError {
    if p.syntax {
        ApiError::bad_request("invalid_json", format!("请求体不是有效的 JSON（{}）", p.message))
    } else {
        // 422 as before: the JSON is well formed but its content cannot be taken.
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", p.message);
        e.field = p.field;
        e
    }
}

/// Query parameters with 400 errors in the API's format.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(e: QueryRejection) -> ApiError {
    let text = e.body_text();
    let text = text.trim_start_matches("Failed to deserialize query string: ");
    // "min_score: invalid digit found in string" — the parameter, then serde's words.
    let (path, message) = match text.split_once(": ") {
        Some((path, message)) if !path.contains(' ') => (path, message),
        _ => ("", text),
    };
    let p = kefu_core::json_errors::explain_message(message, path);
    let message = p.message.replace("没有字段", "没有查询参数").replace("缺少必填字段", "缺少查询参数");
    let mut err = ApiError::bad_request("invalid_query", format!("查询参数不符合要求：{message}"));
    err.field = p.field;
    err
}

