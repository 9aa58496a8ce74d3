//! Log-in, log-out, the caller, accounts and API tokens.

use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, cookie_header_clear, Auth, Role, Via, SESSION_COOKIE, SESSION_HOURS};
use crate::error::{ApiError, ApiJson};
use crate::store::{NewUser, User, UserPatch};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "logged in; sets the session cookie", body = User), (status = 401, body = crate::error::ErrorBody)))]
/// Logs in with a password and sets an HttpOnly, SameSite=Strict session cookie
/// (Secure whenever the browser can keep it: HTTPS, or a loopback host).
pub async fn login(State(state): State<AppState>, headers: HeaderMap, ApiJson(req): ApiJson<LoginRequest>) -> Result<Response, ApiError> {
    if req.username.len() > 200 || req.password.len() > 1024 {
        return Err(ApiError::unauthorized("用户名或密码错误"));
    }
    let store = state.store.clone();
    let username = req.username.clone();
    let found = tokio::task::spawn_blocking(move || store.credentials(&username)).await??;
    let password = req.password;
    let (user, ok) = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) => {
            let ok = auth::verify_password(&password, &hash);
            (Some(user), ok)
        }
        None => {
            let _ = auth::verify_password(&password, auth::dummy_hash());
            (None, false)
        }
    })
    .await?;
    let Some(user) = user.filter(|_| ok) else {
        state.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "kefu::audit", "failed log-in");
        return Err(ApiError::unauthorized("用户名或密码错误"));
    };
    let secret = auth::new_secret("")?;
    let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    let expires_at = expires.with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    let store = state.store.clone();
    let hash = auth::secret_hash(&secret);
    let user_id = user.id;
    tokio::task::spawn_blocking(move || store.create_session(&hash, user_id, &expires_at)).await??;
    tracing::info!(target: "kefu::audit", user = %user.username, "logged in");
    let secure = if auth::secure_context(&headers) { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly{secure}; SameSite=Strict; Max-Age={}", SESSION_HOURS * 3600);
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?);
    Ok((headers, Json(user)).into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204, description = "logged out")))]
/// Ends the session.
pub async fn logout(auth: Auth, State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if auth.via == Via::Session {
        let token = auth::cookie(&headers, SESSION_COOKIE).map(str::to_string);
        if let Some(t) = token {
            let store = state.store.clone();
            tokio::task::spawn_blocking(move || store.delete_session(&auth::secret_hash(&t))).await??;
        }
    }
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie_header_clear())]).into_response())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = User), (status = 401, body = crate::error::ErrorBody)))]
/// The logged-in user.
pub async fn me(auth: Auth) -> Json<User> {
    Json(auth.user)
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>), (status = 403, body = crate::error::ErrorBody)))]
/// All accounts (admins).
pub async fn list(auth: Auth, State(state): State<AppState>) -> Result<Json<Vec<User>>, ApiError> {
    auth.require(Role::Admin)?;
    let store = state.store.clone();
    Ok(Json(tokio::task::spawn_blocking(move || store.users()).await??))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub team: String,
    /// The agent id used in transcripts (`agent.id`).
    #[serde(default)]
    pub agent_id: String,
    pub password: String,
}

fn valid_username(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("invalid_field", "用户名只能由 1–64 个英文字母、数字和 . _ - 组成"))
    }
}

fn valid_label(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid_field", format!("{field} 最多 100 个字符，且不能含控制字符")));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
/// Creates an account (admins).
pub async fn create(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<NewUserRequest>) -> Result<(StatusCode, Json<User>), ApiError> {
    auth.require(Role::Admin)?;
    valid_username(&req.username)?;
    for (field, value) in [("display_name", &req.display_name), ("team", &req.team), ("agent_id", &req.agent_id)] {
        valid_label(field, value)?;
    }
    if req.display_name.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_field", "请填写姓名（display_name）"));
    }
    auth::validate_password(&req.password)?;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&req.password).map(|h| (h, req))).await??;
    let (hash, req) = hash;
    let store = state.store.clone();
    let admin = auth.user.clone();
    let user = tokio::task::spawn_blocking(move || {
        let user = store.create_user(&NewUser {
            username: &req.username,
            display_name: &req.display_name,
            role: req.role,
            team: &req.team,
            agent_id: &req.agent_id,
            password_hash: &hash,
        })?;
        store.audit(Some(&admin), "user.create", &format!("user {}", user.username), &format!("role={} team={}", user.role.as_str(), user.team))?;
        Ok::<_, crate::store::StoreError>(user)
    })
    .await??;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UserPatchRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub team: Option<String>,
    pub agent_id: Option<String>,
    pub password: Option<String>,
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserPatchRequest,
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody)))]
/// Changes an account (admins; anyone may change their own password).
pub async fn update(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>, ApiJson(req): ApiJson<UserPatchRequest>) -> Result<Json<User>, ApiError> {
    let own_password_only = auth.user.id == id && req.display_name.is_none() && req.role.is_none() && req.team.is_none() && req.agent_id.is_none() && req.active.is_none();
    if !own_password_only {
        auth.require(Role::Admin)?;
    }
    if auth.user.id == id && (req.role.is_some_and(|r| r != Role::Admin) || req.active == Some(false)) && auth.user.role == Role::Admin {
        return Err(ApiError::conflict("不能降低或停用自己的管理员账号"));
    }
    for (field, value) in [("display_name", &req.display_name), ("team", &req.team), ("agent_id", &req.agent_id)] {
        if let Some(v) = value {
            valid_label(field, v)?;
        }
    }
    let password_hash = match &req.password {
        Some(p) => {
            auth::validate_password(p)?;
            let p = p.clone();
            Some(tokio::task::spawn_blocking(move || auth::hash_password(&p)).await??)
        }
        None => None,
    };
    let patch = UserPatch { display_name: req.display_name, role: req.role, team: req.team, agent_id: req.agent_id, password_hash, active: req.active };
    let store = state.store.clone();
    let admin = auth.user.clone();
    let user = tokio::task::spawn_blocking(move || {
        let user = store.update_user(id, &patch)?;
        let mut changed = Vec::new();
        if patch.display_name.is_some() {
            changed.push("display_name".to_string());
        }
        if let Some(r) = patch.role {
            changed.push(format!("role={}", r.as_str()));
        }
        if let Some(t) = &patch.team {
            changed.push(format!("team={t}"));
        }
        if let Some(a) = &patch.agent_id {
            changed.push(format!("agent_id={a}"));
        }
        if patch.password_hash.is_some() {
            changed.push("password".into());
        }
        if let Some(a) = patch.active {
            changed.push(format!("active={a}"));
        }
        store.audit(Some(&admin), "user.update", &format!("user {}", user.username), &changed.join(" "))?;
        Ok::<_, crate::store::StoreError>(user)
    })
    .await??;
    Ok(Json(user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for (e.g. "Chatwoot", "Prometheus").
    pub name: String,
    /// The account the token acts as (default: the caller).
    pub user_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: i64,
    pub name: String,
    /// Shown once; only its hash is stored. Send as `Authorization: Bearer …`.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 403, body = crate::error::ErrorBody)))]
/// Creates an API token for an integration (admins).
pub async fn create_token(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TokenRequest>) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    auth.require(Role::Admin)?;
    valid_label("name", &req.name)?;
    let token = auth::new_secret("kefu_")?;
    let hash = auth::secret_hash(&token);
    let store = state.store.clone();
    let admin = auth.user.clone();
    let user_id = req.user_id.unwrap_or(admin.id);
    let name = req.name.clone();
    let id = tokio::task::spawn_blocking(move || {
        let id = store.create_token(&hash, user_id, &name)?;
        store.audit(Some(&admin), "token.create", &format!("token {id}"), &format!("name={name} user={user_id}"))?;
        Ok::<_, crate::store::StoreError>(id)
    })
    .await?
    .map_err(|e| match e {
        crate::store::StoreError::Db(e) if crate::store::is_constraint_violation(&e) => {
            ApiError::not_found(format!("用户 {user_id} 不存在"))
        }
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(TokenResponse { id, name: req.name, token })))
}
