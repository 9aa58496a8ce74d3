//! API errors: every failure is JSON `{"error":{"code":"…","message":"…"}}`
//! with a 4xx status for anything the caller can fix; 503 when the database
//! cannot write (a full disk, a read-only directory); 500 only for faults of
//! the server itself (their details go to the log with the request id, and
//! the caller gets the request id).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use kefu_store::StoreError;
use crate::AppState;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault (`turns[3].start`), when there is one.
    pub field: Option<String>,
    /// Seconds to wait before trying again (429, 503): the Retry-After header.
    pub retry_after: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable English id: bad_request, unauthorized, forbidden, not_found, conflict, too_large, invalid_rulebook, …
    pub code: String,
    /// What is wrong, in Chinese.
    pub message: String,
    /// The request field at fault, as a JSON path (`turns[3].start`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For 5xx: the id of the request in the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None, retry_after: None }
    }
    /// 422 for a field that holds what cannot be accepted.
    pub fn invalid_field(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let field = field.into();
        ApiError { field: (!field.is_empty()).then_some(field), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message) }
    }
    /// 413 for a body, batch or text over a limit.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
    pub fn with_field(self, field: &str) -> ApiError {
        ApiError { field: Some(field.to_string()), ..self }
    }
    pub fn with_retry_after(self, seconds: u64) -> ApiError {
        ApiError { retry_after: Some(seconds.max(1)), ..self }
    }
    /// 503: the database cannot take writes, so nothing was saved.
    pub fn storage_unavailable(detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        tracing::error!(%detail, "database unavailable");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", "数据库暂时不可用（无法连接、磁盘已满或数据目录只读），本次操作未保存；服务会自动重连，请稍后重试，持续出现请联系管理员").with_retry_after(30)
    }
    /// 503: too much heavy work is queued.
    pub fn busy() -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "服务器正忙（质检任务排队过多），请稍后重试").with_retry_after(5)
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn internal(detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        tracing::error!(%detail, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = self.status.is_server_error().then(crate::request_id::current).flatten();
        let message = match &request_id {
            Some(id) if self.status == StatusCode::INTERNAL_SERVER_ERROR => format!("{}（请求编号 {id}）", self.message),
            _ => self.message,
        };
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_string(), message, field: self.field, request_id } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(m),
            StoreError::Conflict(m) => ApiError::conflict(m),
            StoreError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
            StoreError::Forbidden(m) => ApiError::forbidden(m),
            e if e.is_unavailable() => ApiError::storage_unavailable(e.to_string()),
            StoreError::Db(e) => ApiError::internal(format!("database: {e}")),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("blocking task: {e}"))
    }
}

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
        match Json::<T>::from_bytes(strip_bom(&bytes)) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
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
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let mime = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
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

pub(crate) fn json_rejection(r: JsonRejection) -> ApiError {
    let status = r.status();
    let (code, message) = match &r {
        JsonRejection::JsonDataError(e) => ("invalid_field", format!("请求体字段不符合要求: {}", e.body_text().trim_start_matches("Failed to deserialize the JSON body into the target type: "))),
        JsonRejection::JsonSyntaxError(e) => ("invalid_json", format!("请求体不是有效的 JSON: {}", e.body_text().trim_start_matches("Failed to parse the request body as JSON: "))),
        other => ("bad_request", format!("无法读取请求体: {}", other.body_text())),
    };
    let status = if status.is_client_error() { status } else { StatusCode::BAD_REQUEST };
    ApiError::new(status, code, message)
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
    ApiError::bad_request("invalid_query", format!("查询参数不符合要求: {}", e.body_text().trim_start_matches("Failed to deserialize query string: ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_store::db::{DbError, DbErrorKind};

    #[test]
    fn an_unavailable_database_is_a_503_that_says_nothing_was_saved() {
        let api = ApiError::from(StoreError::Db(DbError::new(DbErrorKind::Unavailable, "attempt to write a readonly database")));
        assert_eq!((api.status.as_u16(), api.code), (503, "storage_unavailable"));
        assert!(api.message.contains("只读") && api.message.contains("未保存"), "{}", api.message);
        assert!(api.retry_after.is_some());
        let other = ApiError::from(StoreError::Db(DbError::new(DbErrorKind::Other, "syntax error")));
        assert_eq!(other.status.as_u16(), 500);
        let conflict = ApiError::from(StoreError::Conflict("用户名 a 已存在".into()));
        assert_eq!(conflict.status.as_u16(), 409);
    }
}
