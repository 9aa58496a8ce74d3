//! API errors: every failure is JSON `{"error":{"code":"…","message":"…"}}`
//! with a 4xx status for anything the caller can fix; 503 when the database
//! cannot write (a full disk, a read-only directory); 500 only for faults of
//! the server itself (their details go to the log with the request id, and
//! the caller gets the request id).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use kefu_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault (`turns[3].start`), when there is one.
    pub field: Option<String>,
    /// Every field at fault when there are several (all missing required
    /// fields of a form at once), so a form can mark each.
    pub fields: Vec<String>,
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
    /// Every field at fault, when there are several (e.g. all missing required fields).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// For 5xx: the id of the request in the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None, fields: Vec::new(), retry_after: None }
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
    /// The fields at fault, all of them; the first is also `field`.
    pub fn with_fields(self, fields: Vec<String>) -> ApiError {
        ApiError { field: fields.first().cloned().or(self.field.clone()), fields, ..self }
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
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_string(), message, field: self.field, fields: self.fields, request_id } };
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
