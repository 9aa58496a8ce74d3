//! Accounts, roles, sessions and API tokens.
//!
//! Passwords are hashed with Argon2id (memory-hard). Session cookies and API
//! tokens are 256-bit random strings; only their SHA-256 is stored, so a copy
//! of the database does not let anyone in. Every handler takes an [`Auth`]
//! (the extractor rejects anonymous requests with 401) and states the role it
//! needs with [`Auth::require`] (403 otherwise).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::store::User;
use crate::AppState;

pub const SESSION_COOKIE: &str = "kefu_session";
/// Sessions last a working day and a bit.
pub const SESSION_HOURS: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 坐席: own workspace and own scorecards.
    Agent,
    /// 班长/质检: the scorecards of their team, appeals, reports.
    Supervisor,
    /// 管理员: rulebook, users, settings (and everything else).
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "agent" => Some(Role::Agent),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "坐席",
            Role::Supervisor => "班长/质检",
            Role::Admin => "管理员",
        }
    }
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ApiError::internal(format!("系统随机数不可用: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("密码哈希失败: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new random secret (64 hex characters) with a prefix that says what it is.
pub fn new_secret(prefix: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(format!("系统随机数不可用: {e}")))?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A password that a person can type once: 16 characters of an unambiguous alphabet.
pub fn generated_password() -> Result<String, ApiError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(format!("系统随机数不可用: {e}")))?;
    Ok(bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect())
}

/// The shortest password accepted (OWASP ASVS 2.1.1 asks for 12; 10 is
/// what the centre's own rules asked for, with the checks below).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Passwords of 10 characters or more that lead every leaked-password list:
/// long enough to pass the length rule, and the first ones guessed.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890", "0123456789", "0987654321", "9876543210", "12345678910", "123456789a", "a123456789",
    "1qaz2wsx3edc", "1q2w3e4r5t", "1q2w3e4r5t6y", "q1w2e3r4t5", "qwertyuiop", "asdfghjkl;", "zxcvbnm123",
    "qwerty1234", "qwerty12345", "qwerty123456", "password12", "password123", "password1234", "passw0rd12",
    "p@ssw0rd123", "iloveyou12", "iloveyou123", "abc1234567", "abcd123456", "abcdefghij", "aa12345678",
    "woaini1314", "woaini520", "5201314520", "1314520520", "admin12345", "admin123456", "administrator",
    "changeme123", "welcome123", "letmein123", "football12", "sunshine12", "princess12", "11223344556",
    "1122334455", "1234512345", "1234567891", "12341234", "147258369", "1472583690", "3141592653",
];

/// The password policy: at least `MIN_PASSWORD_CHARS` characters, at most
/// 1024 bytes, not the username, not one character repeated, not a
/// well-known password. Each refusal says why, in Chinese.
pub fn validate_password(password: &str, username: &str) -> Result<(), ApiError> {
    let weak = |message: String| ApiError::bad_request("weak_password", message).with_field("password");
    if password.len() > 1024 {
        return Err(weak("密码过长（最多 1024 字节）".into()));
    }
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_PASSWORD_CHARS {
        return Err(weak(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符（现在 {} 个）", chars.len())));
    }
    if chars.iter().all(|&c| c == chars[0]) {
        return Err(weak("密码不能由同一个字符重复组成".into()));
    }
    let lower = password.to_lowercase();
    let name = username.trim().to_lowercase();
    // The username itself, or it with a few characters around it (zhangsan01).
    if !name.is_empty() && lower.contains(&name) && lower.replacen(&name, "", 1).chars().count() < 4 {
        return Err(weak("密码不能是用户名，也不能主要由用户名组成".into()));
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(weak("这是最常见的密码之一，很容易被猜到，请换一个".into()));
    }
    Ok(())
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub via: Via,
}

impl Auth {
    /// At least `role` (admin ≥ supervisor ≥ agent).
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.user.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("需要{}权限", role.name())))
        }
    }

    /// Whether the caller may see the scorecards of this agent in this team.
    pub fn may_see(&self, agent: &str, team: &str) -> bool {
        match self.user.role {
            Role::Admin => true,
            Role::Supervisor => !self.user.team.is_empty() && self.user.team == team,
            Role::Agent => !self.user.agent_id.is_empty() && self.user.agent_id == agent,
        }
    }
}

/// The value of one cookie in the Cookie headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Whether the browser will keep a `Secure` cookie for this request: it came
/// over HTTPS (directly or through a proxy that says so), or to a loopback
/// host, which browsers treat as secure. On plain HTTP to any other host a
/// Secure cookie would be dropped and nobody could log in; kefu then sets
/// the cookie without it and says in the log that HTTPS belongs in front.
pub fn secure_context(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("x-forwarded-proto").eq_ignore_ascii_case("https") || header("origin").starts_with("https://") {
        return true;
    }
    let host = header("host");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host });
    let loopback = host == "localhost" || host.ends_with(".localhost") || host == "[::1]" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        tracing::warn!(target: "kefu::audit", "session cookie without Secure: plain HTTP to a non-loopback host; put HTTPS in front of kefu");
    }
    loopback
}

/// A Set-Cookie value that removes the session cookie.
pub fn cookie_header_clear() -> HeaderValue {
    HeaderValue::from_static("kefu_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// A valid Argon2 hash to verify against when the user does not exist, so
/// that the time of a failed log-in does not tell which names exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("kefu dummy password").unwrap_or_default())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| (secret_hash(t.trim()), Via::Token));
        let session = cookie(&parts.headers, SESSION_COOKIE).map(|t| (secret_hash(t), Via::Session));
        let Some((hash, via)) = bearer.or(session) else {
            return Err(ApiError::unauthorized("请先登录"));
        };
        let store = state.store.clone();
        let user = tokio::task::spawn_blocking(move || match via {
            Via::Token => store.token_user(&hash),
            Via::Session => store.session_user(&hash),
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
        match user {
            Some(user) => Ok(Auth { user, via }),
            None => Err(ApiError::unauthorized(if via == Via::Token { "API 令牌无效或已撤销" } else { "登录已过期，请重新登录" })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("正确的密码 horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码 horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secure_cookies_where_browsers_keep_them() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            secure_context(&h)
        };
        assert!(with(&[("host", "127.0.0.1:8080")]));
        assert!(with(&[("host", "localhost:8080")]));
        assert!(with(&[("host", "[::1]:8080")]));
        assert!(with(&[("host", "kefu.example.com"), ("x-forwarded-proto", "https")]));
        assert!(!with(&[("host", "10.0.0.5:8080")]), "plain HTTP on the LAN: the browser would drop a Secure cookie");
    }

    #[test]
    fn password_policy_says_why() {
        let why = |p: &str, user: &str| validate_password(p, user).err().map(|e| e.message);
        assert!(why("12345678", "li").is_some_and(|m| m.contains("至少 10 个字符")));
        assert!(why("password", "li").is_some_and(|m| m.contains("至少")));
        assert!(why("        ", "li").is_some_and(|m| m.contains("至少")));
        assert!(why("          ", "li").is_some_and(|m| m.contains("同一个字符")));
        assert!(why("zhangsan-password", "zhangsan").is_none(), "contains the name and more besides");
        assert!(why("ZhangSan01", "zhangsan").is_some_and(|m| m.contains("用户名")));
        assert!(why("zhangsan", "zhangsan").is_some());
        assert!(why("1234567890", "li").is_some_and(|m| m.contains("常见")));
        assert!(why("Password123", "li").is_some_and(|m| m.contains("常见")));
        assert!(why("正确的密码 horse", "li").is_none());
        assert_eq!(validate_password("short", "li").unwrap_err().field.as_deref(), Some("password"));
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Agent);
        assert_eq!(Role::parse("supervisor"), Some(Role::Supervisor));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("kefu_").expect("secret");
        let b = new_secret("kefu_").expect("secret");
        assert_ne!(a, b);
        assert_eq!(a.len(), 5 + 64);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_eq!(generated_password().expect("password").len(), 16);
    }
}
