//! Accounts, roles, sessions and API tokens.
//!
//! Passwords are hashed with Argon2id (memory-hard). Session cookies and API
//! tokens are 256-bit random strings; only their SHA-256 is stored, so a copy
//! of the database does not let anyone in. Every handler takes an [`Auth`]
//! (the extractor rejects anonymous requests with 401) and states the role it
//! needs with [`Auth::require`] (403 otherwise).

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use kefu_store::User;
use crate::AppState;

pub const SESSION_COOKIE: &str = "kefu_session";
/// Sessions last a working day and a bit.
pub const SESSION_HOURS: i64 = 12;

/// Roles live with the accounts in the store; the server checks them on every endpoint.
pub use kefu_store::Role;

/// Argon2's working memory (19 MiB for the default parameters), reused
/// from hash to hash. Allocating it afresh each time let the allocator keep
/// every freed copy (glibc raises its mmap threshold after the first free),
/// so 64 concurrent log-ins grew the server by over a gigabyte; with the
/// buffers kept here, memory is one buffer per concurrent hash (bounded by
/// `AppState::run_hashing`) whatever the allocator does.
static MEMORY: std::sync::Mutex<Vec<Vec<argon2::Block>>> = std::sync::Mutex::new(Vec::new());
/// Buffers kept for reuse at most (more are freed after use).
const MEMORY_KEPT: usize = 4;

/// Runs Argon2 with `blocks` blocks of memory from the pool.
fn with_memory<T>(blocks: usize, run: impl FnOnce(&mut [argon2::Block]) -> T) -> T {
    let taken = {
        let mut pool = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        pool.iter().position(|m| m.len() == blocks).map(|i| pool.swap_remove(i))
    };
    let mut memory = taken.unwrap_or_else(|| vec![argon2::Block::default(); blocks]);
    let out = run(&mut memory);
    let mut pool = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() < MEMORY_KEPT {
        pool.push(memory);
    }
    out
}

/// Argon2id with the default parameters; the hash in PHC string format.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ApiError::internal(format!("系统随机数不可用: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(e.to_string()))?;
    let failed = |e: &dyn std::fmt::Display| ApiError::internal(format!("密码哈希失败: {e}"));
    let params = argon2::Params::default();
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params.clone());
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut raw_salt).map_err(|e| failed(&e))?;
    with_memory(params.block_count(), |memory| argon.hash_password_into_with_memory(password.as_bytes(), raw_salt, &mut out, memory)).map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: params.try_into().map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches a PHC-format Argon2 hash (any variant and
/// parameters the hash names); constant-time comparison.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm) else { return false };
    let version = match hash.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&hash) else { return false };
    let mut raw_salt = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else { return false };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = with_memory(params.block_count(), |memory| argon.hash_password_into_with_memory(password.as_bytes(), raw_salt, &mut out, memory));
    // Output's equality is constant-time.
    computed.is_ok() && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
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

    /// Whose conversations the caller may see — and write: one scope for both.
    pub fn scope(&self) -> kefu_store::WriteScope {
        match self.user.role {
            Role::Admin => kefu_store::WriteScope::All,
            Role::Supervisor => kefu_store::WriteScope::Team(self.user.team.clone()),
            Role::Agent => kefu_store::WriteScope::Agent(self.user.agent_id.clone()),
        }
    }

    /// Whether the caller may see the scorecards of this agent in this team.
    pub fn may_see(&self, agent: &str, team: &str) -> bool {
        self.scope().allows(agent, team)
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
    fn pooled_hashing_agrees_with_the_stock_argon2_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Hashes stored by earlier versions (the crate's own hasher) still verify…
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let stock = Argon2::default().hash_password("旧版本的密码 1".as_bytes(), &salt).expect("stock hash").to_string();
        assert!(verify_password("旧版本的密码 1", &stock));
        assert!(!verify_password("旧版本的密码 2", &stock));
        // …other parameters too (a smaller memory cost: a buffer of another size)…
        let small = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon2::Params::new(8192, 2, 1, None).expect("params"));
        let other = small.hash_password(b"other-params-pw", &salt).expect("hash").to_string();
        assert!(verify_password("other-params-pw", &other));
        // …and the pooled hasher's hashes verify with the crate's verifier.
        let ours = hash_password("新版本的密码 3").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC string");
        assert!(Argon2::default().verify_password("新版本的密码 3".as_bytes(), &parsed).is_ok());
        assert!(MEMORY.lock().map(|p| p.len() <= MEMORY_KEPT).unwrap_or(false));
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
