//! Log-in, log-out, the caller, accounts and API tokens.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, cookie_header_clear, Auth, Role, Via, SESSION_COOKIE, SESSION_HOURS};
use crate::error::ApiError;
use crate::extract::ApiJson;
use kefu_store::{NewUser, User, UserPatch};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "logged in; sets the session cookie", body = User), (status = 401, body = crate::error::ErrorBody),
        (status = 429, description = "too many failed log-ins for this username or from this address; see Retry-After", body = crate::error::ErrorBody)))]
/// Logs in with a password and sets an HttpOnly, SameSite=Strict session cookie
/// (Secure whenever the browser can keep it: HTTPS, or a loopback host). A
/// session cookie sent with the request is ended: log-in always starts a new
/// session. Failed attempts are throttled per username and per address.
pub async fn login(State(state): State<AppState>, ClientAddr(remote): ClientAddr, headers: HeaderMap, ApiJson(req): ApiJson<LoginRequest>) -> Result<Response, ApiError> {
    let limits = state.limits();
    let address = client_address(&headers, remote, limits.trust_forwarded_for);
    let guard = LoginGuard::new(&state, &req.username, address);
    guard.check().await?;
    if req.username.len() > 200 || req.password.len() > 1024 {
        guard.failed().await;
        return Err(ApiError::unauthorized("用户名或密码错误"));
    }
    let store = state.store.clone();
    let username = req.username.clone();
    let found = tokio::task::spawn_blocking(move || store.credentials(&username)).await??;
    let password = req.password;
    let (user, ok) = state
        .run_hashing(move || match found {
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
        guard.failed().await;
        return Err(ApiError::unauthorized("用户名或密码错误"));
    };
    guard.succeeded();
    // Session rotation: whatever session the browser had ends here.
    if let Some(old) = auth::cookie(&headers, SESSION_COOKIE) {
        let (store, old) = (state.store.clone(), auth::secret_hash(old));
        tokio::task::spawn_blocking(move || store.delete_session(&old)).await??;
    }
    let cookie = new_session(&state, &headers, user.id).await?;
    tracing::info!(target: "kefu::audit", user = %user.username, "logged in");
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie);
    Ok((headers, Json(user)).into_response())
}

/// Creates a session for `user_id` and returns its Set-Cookie header.
async fn new_session(state: &AppState, headers: &HeaderMap, user_id: i64) -> Result<HeaderValue, ApiError> {
    let secret = auth::new_secret("")?;
    let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    let expires_at = expires.with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    let store = state.store.clone();
    let hash = auth::secret_hash(&secret);
    tokio::task::spawn_blocking(move || store.create_session(&hash, user_id, &expires_at)).await??;
    let secure = if auth::secure_context(headers) { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly{secure}; SameSite=Strict; Max-Age={}", SESSION_HOURS * 3600);
    HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))
}

/// The peer address of the connection (unspecified when unknown).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(ClientAddr(ip))
    }
}

/// The client's address: the connection's, or behind a trusted reverse proxy
/// the last address it appended to X-Forwarded-For.
fn client_address(headers: &HeaderMap, remote: IpAddr, trust_forwarded_for: bool) -> IpAddr {
    if !trust_forwarded_for {
        return remote;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(remote)
}

/// Throttling and auditing of the attempts of one log-in (or of a password
/// change, which proves the current password the same way).
struct LoginGuard<'a> {
    state: &'a AppState,
    username: String,
    address: IpAddr,
    window: std::time::Duration,
    max: u32,
}

impl<'a> LoginGuard<'a> {
    fn new(state: &'a AppState, username: &str, address: IpAddr) -> Self {
        let limits = state.limits();
        let window = std::time::Duration::from_secs(u64::from(limits.login_window_seconds));
        // Phone numbers typed as usernames are personal data: masked in the audit.
        let username: String = crate::privacy::mask_phones(username).chars().take(64).collect();
        LoginGuard { state, username, address, window, max: limits.login_max_failures }
    }

    /// 429 with Retry-After while too many attempts failed; the first refusal
    /// of a blocked period is audited.
    async fn check(&self) -> Result<(), ApiError> {
        let Some((wait, first)) = self.state.throttle.check(&self.username, self.address, self.window, self.max) else { return Ok(()) };
        self.state.metrics.logins_throttled.fetch_add(1, Ordering::Relaxed);
        if first {
            self.audit("login.throttled").await;
        }
        let seconds = wait.as_secs() + 1;
        Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", format!("登录失败次数过多，请 {} 分钟后再试", seconds.div_ceil(60))).with_retry_after(seconds))
    }

    async fn failed(&self) {
        self.state.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
        self.state.throttle.failed(&self.username, self.address, self.window, self.max);
        tracing::warn!(target: "kefu::audit", "failed log-in");
        self.audit("login.failed").await;
    }

    fn succeeded(&self) {
        self.state.throttle.succeeded(&self.username);
    }

    async fn audit(&self, action: &'static str) {
        let (store, target, detail) = (self.state.store.clone(), format!("user {}", self.username), format!("from {}", self.address));
        // An audit row that cannot be written (a full disk) must not turn a
        // refused log-in into a different answer; it is logged instead.
        match tokio::task::spawn_blocking(move || store.audit(None, action, &target, &detail)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = ?e, action, "audit entry not written"),
            Err(e) => tracing::warn!(error = %e, action, "audit entry not written"),
        }
    }
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

/// An account as others see it: who it is, never how it logs in.
#[derive(Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team: String,
    /// The agent id of transcripts (empty for accounts that take no calls).
    pub agent_id: String,
    pub active: bool,
}

/// Teams and people the caller may see and choose: an agent sees
/// themselves and the supervisors and admins (to name a 相关主管), a
/// supervisor their team and the other supervisors and admins, an admin
/// everyone. Active accounts first, by team and name.
#[derive(Serialize, ToSchema)]
pub struct Directory {
    pub people: Vec<Person>,
    /// The teams of the accounts in view, each once (trimmed, sorted).
    pub teams: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/people", tag = "users", responses((status = 200, body = Directory), (status = 401, body = crate::error::ErrorBody)))]
/// Names for ids: the accounts (display names, teams, agent ids) and teams in the caller's view, for pickers and for showing names instead of ids.
pub async fn people(auth: Auth, State(state): State<AppState>) -> Result<Json<Directory>, ApiError> {
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users()).await??;
    let me = &auth.user;
    let visible = |u: &User| match me.role {
        Role::Admin => true,
        Role::Supervisor => u.role != Role::Agent || (!me.team.is_empty() && u.team == me.team),
        Role::Agent => u.id == me.id || u.role != Role::Agent,
    };
    let mut people: Vec<Person> = users
        .into_iter()
        .filter(|u| visible(u))
        .map(|u| Person { id: u.id, username: u.username, display_name: u.display_name, role: u.role, team: u.team.trim().to_string(), agent_id: u.agent_id, active: u.active })
        .collect();
    people.sort_by(|a, b| (!a.active, &a.team, &a.display_name).cmp(&(!b.active, &b.team, &b.display_name)));
    let mut teams: Vec<String> = people.iter().map(|p| p.team.clone()).filter(|t| !t.is_empty()).collect();
    teams.sort();
    teams.dedup();
    Ok(Json(Directory { people, teams }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub team: String,
    /// The agent id used in transcripts (`agent.id`); unique. For Chatwoot,
    /// the agent's Chatwoot e-mail (Chatwoot names agents by e-mail).
    #[serde(default)]
    pub agent_id: String,
    /// The agent's own 工号, used in the standard replies; unique.
    #[serde(default)]
    pub work_no: String,
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
    for (field, value) in [("display_name", &req.display_name), ("team", &req.team), ("agent_id", &req.agent_id), ("work_no", &req.work_no)] {
        valid_label(field, value)?;
    }
    if req.display_name.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_field", "请填写姓名（display_name）"));
    }
    auth::validate_password(&req.password, &req.username)?;
    let hash = state.run_hashing(move || auth::hash_password(&req.password).map(|h| (h, req))).await??;
    let (hash, req) = hash;
    let store = state.store.clone();
    let admin = auth.user.clone();
    let user = tokio::task::spawn_blocking(move || {
        let user = store.create_user(&NewUser {
            username: &req.username,
            display_name: req.display_name.trim(),
            role: req.role,
            // "售后一组 " is 售后一组: a stray space never makes a new team.
            team: req.team.trim(),
            agent_id: req.agent_id.trim(),
            work_no: req.work_no.trim(),
            password_hash: &hash,
        })?;
        store.audit(Some(&admin), "user.create", &format!("user {}", user.username), &format!("role={} team={}", user.role.as_str(), user.team))?;
        Ok::<_, kefu_store::StoreError>(user)
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
    pub work_no: Option<String>,
    pub password: Option<String>,
    /// Required to change one's own password.
    pub current_password: Option<String>,
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserPatchRequest,
    responses((status = 200, body = User), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "the password is refused by the policy (the message says why)", body = crate::error::ErrorBody)))]
/// Changes an account (admins; anyone may change their own password, giving
/// the current one). A new password ends every session of the account; the
/// caller changing their own gets a fresh session cookie.
pub async fn update(auth: Auth, State(state): State<AppState>, ClientAddr(remote): ClientAddr, headers: HeaderMap, Path(id): Path<i64>, ApiJson(req): ApiJson<UserPatchRequest>) -> Result<Response, ApiError> {
    let own = auth.user.id == id;
    let own_password_only = own && req.display_name.is_none() && req.role.is_none() && req.team.is_none() && req.agent_id.is_none() && req.work_no.is_none() && req.active.is_none();
    if !own_password_only {
        auth.require(Role::Admin)?;
    }
    if own && (req.role.is_some_and(|r| r != Role::Admin) || req.active == Some(false)) && auth.user.role == Role::Admin {
        return Err(ApiError::conflict("不能降低或停用自己的管理员账号"));
    }
    for (field, value) in [("display_name", &req.display_name), ("team", &req.team), ("agent_id", &req.agent_id), ("work_no", &req.work_no)] {
        if let Some(v) = value {
            valid_label(field, v)?;
        }
    }
    let password_hash = match &req.password {
        Some(p) => {
            let username = if own { auth.user.username.clone() } else { username_of(&state, id).await? };
            auth::validate_password(p, &username)?;
            if own {
                verify_current_password(&state, &auth.user, &headers, remote, req.current_password.as_deref()).await?;
            }
            let p = p.clone();
            Some(state.run_hashing(move || auth::hash_password(&p)).await??)
        }
        None => None,
    };
    let new_password = password_hash.is_some();
    let trimmed = |v: Option<String>| v.map(|s| s.trim().to_string());
    let patch = UserPatch { display_name: trimmed(req.display_name), role: req.role, team: trimmed(req.team), agent_id: trimmed(req.agent_id), work_no: trimmed(req.work_no), password_hash, active: req.active };
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
        if let Some(w) = &patch.work_no {
            changed.push(format!("work_no={w}"));
        }
        if patch.password_hash.is_some() {
            changed.push("password (all sessions ended)".into());
        }
        if let Some(a) = patch.active {
            changed.push(format!("active={a}"));
        }
        store.audit(Some(&admin), "user.update", &format!("user {}", user.username), &changed.join(" "))?;
        Ok::<_, kefu_store::StoreError>(user)
    })
    .await??;
    let mut response = Json(user).into_response();
    if own && new_password {
        // Every session ended with the old password, this one too: the
        // person who just proved the current password gets a new one.
        let cookie = new_session(&state, &headers, id).await?;
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn username_of(state: &AppState, id: i64) -> Result<String, ApiError> {
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users()).await??;
    users.into_iter().find(|u| u.id == id).map(|u| u.username).ok_or_else(|| ApiError::not_found(format!("用户 {id} 不存在")))
}

/// Changing one's own password needs the current one, checked (and
/// throttled) like a log-in, so that a session left open is not enough.
async fn verify_current_password(state: &AppState, user: &User, headers: &HeaderMap, remote: IpAddr, current: Option<&str>) -> Result<(), ApiError> {
    let address = client_address(headers, remote, state.limits().trust_forwarded_for);
    let guard = LoginGuard::new(state, &user.username, address);
    guard.check().await?;
    let Some(current) = current.filter(|c| !c.is_empty() && c.len() <= 1024).map(str::to_string) else {
        return Err(ApiError::invalid_field("current_password_required", "current_password", "修改自己的密码需要填写当前密码"));
    };
    let store = state.store.clone();
    let username = user.username.clone();
    let found = tokio::task::spawn_blocking(move || store.credentials(&username)).await??;
    let ok = state.run_hashing(move || found.is_some_and(|(_, hash)| auth::verify_password(&current, &hash))).await?;
    if !ok {
        guard.failed().await;
        return Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_password", "当前密码不正确").with_field("current_password"));
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for (e.g. "Chatwoot", "Prometheus").
    pub name: String,
    /// The account the token acts as (default: the caller).
    pub user_id: Option<i64>,
    /// Days until the token stops working (1–3650; default: the `token_days` setting, 90).
    pub expires_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: i64,
    pub name: String,
    /// Shown once; only its hash is stored. Send as `Authorization: Bearer …`.
    pub token: String,
    /// RFC 3339 (Asia/Shanghai): the token stops working then.
    pub expires_at: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
/// Creates an API token for an integration (admins); it expires.
pub async fn create_token(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TokenRequest>) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    auth.require(Role::Admin)?;
    valid_label("name", &req.name)?;
    let days = req.expires_days.unwrap_or(state.limits().token_days);
    if !(1..=3_650).contains(&days) {
        return Err(ApiError::invalid_field("invalid_field", "expires_days", "expires_days 应在 1–3650 天之间"));
    }
    let expires_at = (chrono::Utc::now() + chrono::Duration::days(i64::from(days))).with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    let token = auth::new_secret("kefu_")?;
    let hash = auth::secret_hash(&token);
    let store = state.store.clone();
    let admin = auth.user.clone();
    let user_id = req.user_id.unwrap_or(admin.id);
    let (name, until) = (req.name.clone(), expires_at.clone());
    let id = tokio::task::spawn_blocking(move || {
        let id = store.create_token(&hash, user_id, &name, &until)?;
        store.audit(Some(&admin), "token.create", &format!("token {id}"), &format!("name={name} user={user_id} expires={until}"))?;
        Ok::<_, kefu_store::StoreError>(id)
    })
    .await?
    .map_err(|e| match e {
        e if e.is_constraint_violation() => ApiError::not_found(format!("用户 {user_id} 不存在")),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(TokenResponse { id, name: req.name, token, expires_at })))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "users", responses((status = 200, body = Vec<kefu_store::TokenInfo>), (status = 403, body = crate::error::ErrorBody)))]
/// Every API token with its account, expiry and whether it is revoked (admins; never the secret).
pub async fn list_tokens(auth: Auth, State(state): State<AppState>) -> Result<Json<Vec<kefu_store::TokenInfo>>, ApiError> {
    auth.require(Role::Admin)?;
    let store = state.store.clone();
    Ok(Json(tokio::task::spawn_blocking(move || store.tokens()).await??))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = kefu_store::TokenInfo), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
/// Revokes an API token for good (admins); audited.
pub async fn revoke_token(auth: Auth, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<kefu_store::TokenInfo>, ApiError> {
    auth.require(Role::Admin)?;
    let (store, admin) = (state.store.clone(), auth.user.clone());
    Ok(Json(tokio::task::spawn_blocking(move || store.revoke_token(id, &admin)).await??))
}
