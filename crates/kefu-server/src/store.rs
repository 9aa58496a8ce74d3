//! The embedded database (SQLite, WAL, synchronous=FULL: an acknowledged
//! write survives a crash). One connection behind a mutex: writes are
//! serialised, so concurrent writers never lose a scorecard or an appeal.
//! Every call is blocking; handlers run them on tokio's blocking pool.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kefu_core::inspect::{Conversation, Outcome, Scorecard};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::auth::Role;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    team TEXT NOT NULL DEFAULT '',
    agent_id TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    team TEXT NOT NULL,
    channel TEXT NOT NULL,
    started_at TEXT,
    day TEXT,
    score INTEGER NOT NULL,
    original_score INTEGER NOT NULL,
    vetoed INTEGER NOT NULL,
    source TEXT NOT NULL,
    rulebook_version INTEGER NOT NULL,
    transcript TEXT NOT NULL,
    scorecard TEXT NOT NULL,
    original_scorecard TEXT NOT NULL,
    inspected_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_agent ON conversations(agent, started_at);
CREATE INDEX IF NOT EXISTS conversations_team ON conversations(team, started_at);
CREATE INDEX IF NOT EXISTS conversations_day ON conversations(day);
CREATE TABLE IF NOT EXISTS check_results (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (conversation_id, check_id)
);
CREATE INDEX IF NOT EXISTS check_results_check ON check_results(check_id, result);
CREATE TABLE IF NOT EXISTS violations (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    day TEXT,
    turn INTEGER NOT NULL,
    rule TEXT NOT NULL,
    category TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS violations_conversation ON violations(conversation_id);
CREATE INDEX IF NOT EXISTS violations_day ON violations(day, category);
CREATE TABLE IF NOT EXISTS appeals (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    filed_by INTEGER NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'upheld', 'overturned')),
    decided_by INTEGER REFERENCES users(id),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS appeals_one_open ON appeals(conversation_id, check_id) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS rulebook_versions (
    version INTEGER PRIMARY KEY,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    comment TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_messages (
    source TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    violations TEXT NOT NULL,
    note_status TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, account_id, message_id)
);
CREATE INDEX IF NOT EXISTS chat_messages_conversation ON chat_messages(source, account_id, conversation_id);
CREATE TABLE IF NOT EXISTS health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#;

#[derive(Debug)]
pub enum StoreError {
    NotFound(String),
    Conflict(String),
    Invalid(String),
    /// Outside the caller's scope (another team's conversation or agent).
    Forbidden(String),
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Invalid(format!("stored JSON is unreadable: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A rulebook as `(path, TOML text)` pairs.
pub type RulebookFiles = Vec<(String, String)>;

pub fn now() -> String {
    chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team: String,
    /// The agent id used in transcripts (`agent.id`), for agents; unique.
    /// Chatwoot conversations name their agent by e-mail, so an agent who
    /// works in Chatwoot has their Chatwoot e-mail here.
    pub agent_id: String,
    pub active: bool,
    pub created_at: String,
    /// The agent's own 工号, told to customers in the standard replies; unique.
    pub work_no: String,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub team: &'a str,
    pub agent_id: &'a str,
    pub work_no: &'a str,
    pub password_hash: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub team: Option<String>,
    pub agent_id: Option<String>,
    pub work_no: Option<String>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
}

/// A page of a list: at most `limit` items from `offset` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    /// Everything (the exports and the views of one record or conversation).
    pub const ALL: Page = Page { limit: u32::MAX, offset: 0 };
}

/// One page of a list and how many items the whole list has.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// Whose conversations a writer may store or replace: the same scope as
/// reading them (admins and their tokens everything, a supervisor their
/// team, an agent their own agent id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteScope {
    All,
    Team(String),
    Agent(String),
}

impl WriteScope {
    pub fn allows(&self, agent: &str, team: &str) -> bool {
        match self {
            WriteScope::All => true,
            WriteScope::Team(t) => !t.is_empty() && t == team,
            WriteScope::Agent(a) => !a.is_empty() && a == agent,
        }
    }
}

/// A stored conversation's summary row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationRow {
    pub id: String,
    pub agent: String,
    pub team: String,
    pub channel: String,
    pub started_at: Option<String>,
    pub score: u32,
    pub original_score: u32,
    pub vetoed: bool,
    pub failed: Vec<String>,
    pub source: String,
    pub rulebook_version: i64,
    pub inspected_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appeal {
    pub id: i64,
    pub conversation_id: String,
    pub check_id: String,
    pub filed_by: i64,
    pub filed_by_name: String,
    pub reason: String,
    /// pending | upheld | overturned
    pub status: String,
    pub decided_by: Option<i64>,
    pub comment: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RulebookVersion {
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: String,
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckCount {
    pub check: String,
    pub applicable: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentScore {
    pub agent: String,
    pub conversations: i64,
    pub mean_score: f64,
    pub vetoed: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryDay {
    pub day: Option<String>,
    pub category: String,
    pub violations: i64,
}

/// The QA charts: most-failed checks, score by agent, violations by category over time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub conversations: i64,
    pub mean_score: Option<f64>,
    pub by_check: Vec<CheckCount>,
    pub by_agent: Vec<AgentScore>,
    pub by_category_day: Vec<CategoryDay>,
}

/// A message received from a help desk (Chatwoot), with its lint result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatMessage {
    pub source: String,
    pub account_id: i64,
    pub conversation_id: i64,
    pub message_id: i64,
    /// agent | customer
    pub speaker: String,
    pub sender: String,
    pub content: String,
    /// The violations as JSON (an array; empty for customer messages).
    pub violations: String,
    pub created_at: String,
    /// '' | posted | failed: <status> | skipped
    pub note_status: String,
}

/// Filters of the scorecard search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub agent: Option<String>,
    pub team: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub failed_check: Option<String>,
    pub min_score: Option<u32>,
    pub max_score: Option<u32>,
    pub limit: u32,
    pub offset: u32,
}

pub struct Store {
    conn: Mutex<Connection>,
}

/// The database cannot take writes: the disk is full, the file or its
/// directory is read-only, or the file system fails. Such a request gets 503
/// and a message saying nothing was saved, not a bare 500.
pub fn is_write_failure(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, DiskFull, ReadOnly, SystemIoFailure};
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, DiskFull | ReadOnly | CannotOpen | SystemIoFailure))
}

/// An API token as listed to admins (never the secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub username: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked: bool,
}

const TOKEN_COLUMNS: &str = "t.id, t.name, t.user_id, u.username, t.created_at, t.expires_at, t.revoked FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    Ok(TokenInfo { id: r.get(0)?, name: r.get(1)?, user_id: r.get(2)?, username: r.get(3)?, created_at: r.get(4)?, expires_at: r.get(5)?, revoked: r.get::<_, i64>(6)? != 0 })
}

/// A UNIQUE, CHECK or foreign-key constraint refused the write.
pub fn is_constraint_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn role_of(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Agent)
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: role_of(&role),
        team: r.get(4)?,
        agent_id: r.get(5)?,
        active: r.get::<_, i64>(6)? != 0,
        created_at: r.get(7)?,
        work_no: r.get(8)?,
    })
}

const USER_COLUMNS: &str = "id, username, display_name, role, team, agent_id, active, created_at, work_no";
/// The same columns of `users u` in a join.
const USER_COLUMNS_U: &str = "u.id, u.username, u.display_name, u.role, u.team, u.agent_id, u.active, u.created_at, u.work_no";

fn appeal_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Appeal> {
    Ok(Appeal {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        check_id: r.get(2)?,
        filed_by: r.get(3)?,
        filed_by_name: r.get(4)?,
        reason: r.get(5)?,
        status: r.get(6)?,
        decided_by: r.get(7)?,
        comment: r.get(8)?,
        created_at: r.get(9)?,
        decided_at: r.get(10)?,
    })
}

const APPEAL_SELECT: &str = "SELECT a.id, a.conversation_id, a.check_id, a.filed_by, u.display_name, a.reason, a.status, a.decided_by, a.comment, a.created_at, a.decided_at FROM appeals a JOIN users u ON u.id = a.filed_by";

/// The Shanghai calendar day of an RFC 3339 time, for day filters.
fn day_of(started_at: Option<&str>) -> Option<String> {
    started_at
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&kefu_core::calendar::SHANGHAI).format("%Y-%m-%d").to_string())
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        migrate_tokens(&conn)?;
        migrate_users(&conn)?;
        conn.execute_batch(crate::desk_store::SCHEMA)?;
        crate::desk_store::migrate(&conn)?;
        conn.execute_batch(crate::attendance::SCHEMA)?;
        conn.execute_batch(crate::feedback::SCHEMA)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    /// Writes one row, to find out whether the database still takes writes
    /// (`/healthz`); reads alone would say ok on a full disk.
    pub fn probe_write(&self) -> Result<()> {
        self.conn().execute("INSERT INTO health (id, at) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET at = excluded.at", [now()])?;
        Ok(())
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent
        // (each call is its own transaction), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ——— users, sessions, tokens ———

    pub fn user_count(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
    }

    pub fn create_user(&self, u: &NewUser<'_>) -> Result<User> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        Self::unique_ids(&tx, None, u.agent_id, u.work_no)?;
        let inserted = tx.execute(
            "INSERT INTO users (username, display_name, role, team, agent_id, work_no, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![u.username, u.display_name, u.role.as_str(), u.team, u.agent_id, u.work_no, u.password_hash, now()],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if is_constraint_violation(&e) => {
                return Err(StoreError::Conflict(format!("用户名 {} 已存在", u.username)));
            }
            Err(e) => return Err(e.into()),
        }
        let id = tx.last_insert_rowid();
        Self::adopt_conversations(&tx, u.agent_id, u.team)?;
        let user = tx.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), [id], user_from_row)?;
        Self::adopt_conversations(&tx, &user.agent_id, &user.team)?;
        tx.commit()?;
        Ok(user)
    }

    /// Agent ids and work numbers are unique among accounts (empty ones aside):
    /// a second account with an agent's id would see that agent's scorecards.
    fn unique_ids(tx: &Connection, except: Option<i64>, agent_id: &str, work_no: &str) -> Result<()> {
        let taken = |column: &str, value: &str| -> Result<Option<String>> {
            if value.is_empty() {
                return Ok(None);
            }
            Ok(tx
                .query_row(&format!("SELECT username FROM users WHERE {column} = ?1 AND id != ?2"), params![value, except.unwrap_or(-1)], |r| r.get(0))
                .optional()?)
        };
        if let Some(owner) = taken("agent_id", agent_id)? {
            return Err(StoreError::Conflict(format!("坐席编号 {agent_id} 已被账号 {owner} 使用")));
        }
        if let Some(owner) = taken("work_no", work_no)? {
            return Err(StoreError::Conflict(format!("工号 {work_no} 已被账号 {owner} 使用")));
        }
        Ok(())
    }

    /// Conversations stored before any account had this agent id (team
    /// empty) become the team's when an account takes the id. Conversations
    /// that already have a team keep it: an agent who moves leaves their
    /// history with the team they were in when it was recorded.
    fn adopt_conversations(tx: &Connection, agent_id: &str, team: &str) -> Result<usize> {
        if agent_id.is_empty() || team.is_empty() {
            return Ok(0);
        }
        Ok(tx.execute("UPDATE conversations SET team = ?1 WHERE agent = ?2 AND team = ''", params![team, agent_id])?)
    }

    pub fn update_user(&self, id: i64, p: &UserPatch) -> Result<User> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: Option<i64> = tx.query_row("SELECT id FROM users WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("用户 {id} 不存在")));
        }
        Self::unique_ids(&tx, Some(id), p.agent_id.as_deref().unwrap_or(""), p.work_no.as_deref().unwrap_or(""))?;
        if let Some(v) = &p.display_name {
            tx.execute("UPDATE users SET display_name = ?1 WHERE id = ?2", params![v, id])?;
        }
        if let Some(v) = p.role {
            tx.execute("UPDATE users SET role = ?1 WHERE id = ?2", params![v.as_str(), id])?;
        }
        if let Some(v) = &p.team {
            tx.execute("UPDATE users SET team = ?1 WHERE id = ?2", params![v, id])?;
        }
        if let Some(v) = &p.agent_id {
            tx.execute("UPDATE users SET agent_id = ?1 WHERE id = ?2", params![v, id])?;
        }
        if let Some(v) = &p.work_no {
            tx.execute("UPDATE users SET work_no = ?1 WHERE id = ?2", params![v, id])?;
        }
        if let Some(v) = &p.password_hash {
            tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![v, id])?;
            // A new password ends every session of that user.
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        }
        if let Some(v) = p.active {
            tx.execute("UPDATE users SET active = ?1 WHERE id = ?2", params![i64::from(v), id])?;
            if !v {
                // Deactivating ends the sessions and revokes the API tokens for
                // good: reactivating the account later does not bring them back.
                tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
                tx.execute("UPDATE api_tokens SET revoked = 1 WHERE user_id = ?1", [id])?;
            }
        }
        let user = tx.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), [id], user_from_row)?;
        tx.commit()?;
        Ok(user)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))?;
        let rows = st.query_map([], user_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The user and password hash of an active account.
    pub fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1 AND active = 1"),
                [username],
                |r| Ok((user_from_row(r)?, r.get::<_, String>(9)?)),
            )
            .optional()?)
    }

    pub fn create_session(&self, token_hash: &str, user_id: i64, expires_at: &str) -> Result<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user_id, now(), expires_at],
        )?;
        Ok(())
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn().execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// The active user of a live session.
    pub fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        // A read only: expired sessions are refused here and purged at log-in,
        // so checking a cookie never costs a write (and its fsync).
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("SELECT {USER_COLUMNS_U} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active = 1"),
                [token_hash, &now()],
                user_from_row,
            )
            .optional()?)
    }

    /// Stores a token's hash; it stops working at `expires_at` (RFC 3339).
    pub fn create_token(&self, token_hash: &str, user_id: i64, name: &str, expires_at: &str) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, name, now(), expires_at],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// The active user of a token that is neither revoked nor expired.
    pub fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("SELECT {USER_COLUMNS_U} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1 AND t.revoked = 0 AND t.expires_at > ?2 AND u.active = 1"),
                [token_hash, &now()],
                user_from_row,
            )
            .optional()?)
    }

    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {TOKEN_COLUMNS} ORDER BY t.id"))?;
        let rows = st
            .query_map([], token_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Revokes a token for good; the revocation is audited in the same transaction.
    pub fn revoke_token(&self, id: i64, by: &User) -> Result<TokenInfo> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id])?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("API 令牌 {id} 不存在")));
        }
        Store::audit_in(&tx, Some(by), "token.revoke", &format!("token {id}"), "")?;
        let info = tx.query_row(&format!("SELECT {TOKEN_COLUMNS} WHERE t.id = ?1"), [id], token_from_row)?;
        tx.commit()?;
        Ok(info)
    }

    /// The team of the user whose agent id this is ('' when none).
    fn team_of_agent(conn: &Connection, agent: &str) -> Result<String> {
        Ok(conn
            .query_row("SELECT team FROM users WHERE agent_id = ?1 AND agent_id != '' ORDER BY id LIMIT 1", [agent], |r| r.get(0))
            .optional()?
            .unwrap_or_default())
    }

    // ——— conversations and scorecards ———

    /// Stores an inspected conversation; `replace` re-inspects an existing id.
    ///
    /// `scope` is the writer's: the stored conversation (when replacing) and
    /// the new one must both be within it, else [`StoreError::Forbidden`].
    /// A replacement keeps the conversation's appeals and their decisions:
    /// an overturned check that fails again in the new scorecard is passed
    /// again, and the replacement is audited with the old and new score.
    /// `violations`: (turn, rule, category) of every forbidden phrase, for the charts.
    #[allow(clippy::too_many_arguments)]
    pub fn put_conversation(
        &self,
        conv: &Conversation,
        card: &Scorecard,
        violations: &[(usize, String, String)],
        source: &str,
        rulebook_version: i64,
        replace: bool,
        scope: &WriteScope,
        by: Option<&User>,
    ) -> Result<ConversationRow> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let old: Option<(String, String, i64)> =
            tx.query_row("SELECT agent, team, score FROM conversations WHERE id = ?1", [&conv.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
        if let Some((agent, team, _)) = &old {
            if !replace {
                return Err(StoreError::Conflict(format!("会话 {} 已存在（如需重新质检请加 replace=true）", conv.id)));
            }
            if !scope.allows(agent, team) {
                return Err(StoreError::Forbidden(format!("会话 {} 不属于你的班组，不能覆盖", conv.id)));
            }
        }
        let team = Self::team_of_agent(&tx, &card.agent)?;
        if !scope.allows(&card.agent, &team) {
            return Err(StoreError::Forbidden(format!("坐席 {} 不属于你的班组，不能为其保存会话", card.agent)));
        }
        // The decisions of appeals stand on the new scorecard.
        let overturned: Vec<String> = {
            let mut st = tx.prepare_cached("SELECT check_id FROM appeals WHERE conversation_id = ?1 AND status = 'overturned'")?;
            let rows = st.query_map([&conv.id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        let mut current = card.clone();
        let mut reapplied = 0;
        for c in current.checks.iter_mut().filter(|c| c.result == Outcome::Fail && overturned.contains(&c.id)) {
            c.result = Outcome::Pass;
            reapplied += 1;
        }
        if reapplied > 0 {
            current.rescore();
        }
        let day = day_of(card.started_at.as_deref());
        let values = params![
            conv.id,
            card.agent,
            team,
            channel_id(card),
            card.started_at,
            day,
            current.score,
            card.score,
            i64::from(current.vetoed),
            source,
            rulebook_version,
            serde_json::to_string(conv)?,
            serde_json::to_string(&current)?,
            serde_json::to_string(card)?,
            now()
        ];
        if let Some((_, _, old_score)) = &old {
            tx.execute("DELETE FROM check_results WHERE conversation_id = ?1", [&conv.id])?;
            tx.execute("DELETE FROM violations WHERE conversation_id = ?1", [&conv.id])?;
            tx.execute(
                "UPDATE conversations SET agent = ?2, team = ?3, channel = ?4, started_at = ?5, day = ?6, score = ?7, original_score = ?8, vetoed = ?9,
                     source = ?10, rulebook_version = ?11, transcript = ?12, scorecard = ?13, original_scorecard = ?14, inspected_at = ?15 WHERE id = ?1",
                values,
            )?;
            Self::audit_in(
                &tx,
                by,
                "conversation.replace",
                &conv.id,
                &format!("重新质检：{old_score} → {} 分（规则库 v{rulebook_version}，沿用已改判的申诉 {reapplied} 项）", current.score),
            )?;
        } else {
            tx.execute(
                "INSERT INTO conversations (id, agent, team, channel, started_at, day, score, original_score, vetoed, source, rulebook_version, transcript, scorecard, original_scorecard, inspected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                values,
            )?;
        }
        Self::put_check_results(&tx, &conv.id, &current)?;
        {
            let mut st = tx.prepare_cached("INSERT INTO violations (conversation_id, day, turn, rule, category) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for (turn, rule, category) in violations {
                st.execute(params![conv.id, day, *turn as i64, rule, category])?;
            }
        }
        tx.commit()?;
        drop(conn);
        self.conversation_row(&conv.id)?.ok_or_else(|| StoreError::NotFound(conv.id.clone()))
    }

    fn put_check_results(tx: &Connection, id: &str, card: &Scorecard) -> Result<()> {
        let mut st = tx.prepare_cached("INSERT OR REPLACE INTO check_results (conversation_id, check_id, result) VALUES (?1, ?2, ?3)")?;
        for c in &card.checks {
            st.execute(params![id, c.id, outcome_id(c.result)])?;
        }
        Ok(())
    }

    pub fn conversation_row(&self, id: &str) -> Result<Option<ConversationRow>> {
        let conn = self.conn();
        let row = conn.query_row(&format!("{ROW_SELECT} WHERE c.id = ?1"), [id], row_from).optional()?;
        Ok(row)
    }

    /// The transcript and the current scorecard (with overturned checks) of a conversation.
    pub fn conversation(&self, id: &str) -> Result<Option<(ConversationRow, Conversation, Scorecard)>> {
        let conn = self.conn();
        let found = conn
            .query_row(&format!("{FULL_SELECT} WHERE c.id = ?1"), [id], |r| Ok((row_from(r)?, r.get::<_, String>(12)?, r.get::<_, String>(13)?)))
            .optional()?;
        match found {
            None => Ok(None),
            Some((row, conv, card)) => Ok(Some((row, serde_json::from_str(&conv)?, serde_json::from_str(&card)?))),
        }
    }

    pub fn search(&self, s: &Search) -> Result<(u64, Vec<ConversationRow>)> {
        let (filter, values) = filter_sql(s);
        let conn = self.conn();
        let total: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM conversations c{filter}"), rusqlite::params_from_iter(values.iter()), |r| r.get(0))?;
        let mut st = conn.prepare(&format!("{ROW_SELECT}{filter} ORDER BY c.started_at DESC, c.id LIMIT {} OFFSET {}", s.limit, s.offset))?;
        let rows = st.query_map(rusqlite::params_from_iter(values.iter()), row_from)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((total.max(0) as u64, rows))
    }

    // ——— appeals ———

    pub fn file_appeal(&self, conversation_id: &str, check_id: &str, user_id: i64, reason: &str) -> Result<Appeal> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let result: Option<String> = tx
            .query_row("SELECT result FROM check_results WHERE conversation_id = ?1 AND check_id = ?2", [conversation_id, check_id], |r| r.get(0))
            .optional()?;
        match result.as_deref() {
            None => return Err(StoreError::NotFound(format!("会话 {conversation_id} 没有检查项 {check_id}"))),
            Some("fail") => {}
            Some(_) => return Err(StoreError::Invalid(format!("检查项 {check_id} 未判为不通过，无需申诉"))),
        }
        let inserted = tx.execute(
            "INSERT INTO appeals (conversation_id, check_id, filed_by, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![conversation_id, check_id, user_id, reason, now()],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if is_constraint_violation(&e) => {
                return Err(StoreError::Conflict(format!("检查项 {check_id} 已有待处理的申诉")));
            }
            Err(e) => return Err(e.into()),
        }
        let id = tx.last_insert_rowid();
        let appeal = tx.query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row)?;
        tx.commit()?;
        Ok(appeal)
    }

    pub fn appeal(&self, id: i64) -> Result<Option<Appeal>> {
        Ok(self.conn().query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row).optional()?)
    }

    /// Appeals, newest first; `team`/`filed_by` restrict to what the caller may see.
    /// Appeals, newest first, one page of them and the total.
    pub fn appeals(&self, status: Option<&str>, team: Option<&str>, filed_by: Option<i64>, conversation: Option<&str>, page: Page) -> Result<Paged<Appeal>> {
        let conn = self.conn();
        let filter = "JOIN conversations c ON c.id = a.conversation_id
             WHERE (?1 IS NULL OR a.status = ?1) AND (?2 IS NULL OR c.team = ?2) AND (?3 IS NULL OR a.filed_by = ?3) AND (?4 IS NULL OR a.conversation_id = ?4)";
        let total: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM appeals a {filter}"), params![status, team, filed_by, conversation], |r| r.get(0))?;
        let mut st = conn.prepare(&format!("{APPEAL_SELECT} {filter} ORDER BY a.id DESC LIMIT ?5 OFFSET ?6"))?;
        let items = st.query_map(params![status, team, filed_by, conversation, i64::from(page.limit), i64::from(page.offset)], appeal_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Paged { total: total.max(0) as u64, items })
    }

    /// Decides a pending appeal. Overturning turns the check into a pass and
    /// the score follows (recomputed from the scorecard's points and vetoes).
    pub fn decide_appeal(&self, id: i64, overturn: bool, user_id: i64, comment: &str) -> Result<(Appeal, ConversationRow)> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let appeal = tx
            .query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("申诉 {id} 不存在")))?;
        if appeal.status != "pending" {
            return Err(StoreError::Conflict(format!("申诉 {id} 已处理（{}）", appeal.status)));
        }
        let status = if overturn { "overturned" } else { "upheld" };
        tx.execute(
            "UPDATE appeals SET status = ?1, decided_by = ?2, comment = ?3, decided_at = ?4 WHERE id = ?5",
            params![status, user_id, comment, now(), id],
        )?;
        if overturn {
            let text: String = tx.query_row("SELECT scorecard FROM conversations WHERE id = ?1", [&appeal.conversation_id], |r| r.get(0))?;
            let mut card: Scorecard = serde_json::from_str(&text)?;
            for c in card.checks.iter_mut().filter(|c| c.id == appeal.check_id) {
                c.result = Outcome::Pass;
            }
            card.rescore();
            tx.execute(
                "UPDATE conversations SET scorecard = ?1, score = ?2, vetoed = ?3 WHERE id = ?4",
                params![serde_json::to_string(&card)?, card.score, i64::from(card.vetoed), appeal.conversation_id],
            )?;
            tx.execute(
                "UPDATE check_results SET result = 'pass' WHERE conversation_id = ?1 AND check_id = ?2",
                params![appeal.conversation_id, appeal.check_id],
            )?;
        }
        let appeal = tx.query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row)?;
        let row = tx.query_row(&format!("{ROW_SELECT} WHERE c.id = ?1"), [&appeal.conversation_id], row_from)?;
        tx.commit()?;
        Ok((appeal, row))
    }

    // ——— rulebook versions and audit ———

    pub fn latest_rulebook(&self) -> Result<Option<(i64, RulebookFiles)>> {
        let conn = self.conn();
        let found: Option<(i64, String)> =
            conn.query_row("SELECT version, files FROM rulebook_versions ORDER BY version DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        match found {
            None => Ok(None),
            Some((v, files)) => Ok(Some((v, serde_json::from_str(&files)?))),
        }
    }

    /// Saves a new rulebook version (and its audit entry) in one transaction.
    pub fn save_rulebook(&self, files: &[(String, String)], user: Option<&User>, comment: &str, detail: &str) -> Result<i64> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO rulebook_versions (created_by, created_at, comment, files) VALUES (?1, ?2, ?3, ?4)",
            params![user.map(|u| u.id), now(), comment, serde_json::to_string(files)?],
        )?;
        let version = tx.last_insert_rowid();
        Self::audit_in(&tx, user, "rulebook.update", &format!("rulebook v{version}"), detail)?;
        tx.commit()?;
        Ok(version)
    }

    pub fn rulebook_versions(&self) -> Result<Vec<RulebookVersion>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT version, created_by, created_at, comment FROM rulebook_versions ORDER BY version DESC")?;
        let rows = st
            .query_map([], |r| Ok(RulebookVersion { version: r.get(0)?, created_by: r.get(1)?, created_at: r.get(2)?, comment: r.get(3)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub(crate) fn audit_in(conn: &Connection, user: Option<&User>, action: &str, target: &str, detail: &str) -> Result<()> {
        conn.execute(
            "INSERT INTO audit (at, user_id, username, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now(), user.map(|u| u.id), user.map_or("system", |u| u.username.as_str()), action, target, detail],
        )?;
        Ok(())
    }

    pub fn audit(&self, user: Option<&User>, action: &str, target: &str, detail: &str) -> Result<()> {
        Self::audit_in(&self.conn(), user, action, target, detail)
    }

    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT id, at, user_id, username, action, target, detail FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = st
            .query_map([limit], |r| {
                Ok(AuditEntry { id: r.get(0)?, at: r.get(1)?, user_id: r.get(2)?, username: r.get(3)?, action: r.get(4)?, target: r.get(5)?, detail: r.get(6)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The QA charts over the conversations a search selects (its paging ignored).
    pub fn report(&self, s: &Search) -> Result<Report> {
        let (filter, values) = filter_sql(s);
        let conn = self.conn();
        let params = || rusqlite::params_from_iter(values.iter());
        let mut st = conn.prepare(&format!(
            "SELECT r.check_id, SUM(r.result != 'n/a'), SUM(r.result = 'fail') FROM check_results r JOIN conversations c ON c.id = r.conversation_id{filter} GROUP BY r.check_id ORDER BY 3 DESC, 1"
        ))?;
        let by_check = st
            .query_map(params(), |r| Ok(CheckCount { check: r.get(0)?, applicable: r.get(1)?, failed: r.get(2)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = conn.prepare(&format!(
            "SELECT c.agent, COUNT(*), AVG(c.score), SUM(c.vetoed) FROM conversations c{filter} GROUP BY c.agent ORDER BY 3, 1 LIMIT 200"
        ))?;
        let by_agent = st
            .query_map(params(), |r| Ok(AgentScore { agent: r.get(0)?, conversations: r.get(1)?, mean_score: r.get(2)?, vetoed: r.get(3)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = conn.prepare(&format!(
            "SELECT v.day, v.category, COUNT(*) FROM violations v JOIN conversations c ON c.id = v.conversation_id{filter} GROUP BY v.day, v.category ORDER BY 1, 2 LIMIT 5000"
        ))?;
        let by_category_day = st
            .query_map(params(), |r| Ok(CategoryDay { day: r.get(0)?, category: r.get(1)?, violations: r.get(2)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (conversations, mean): (i64, Option<f64>) =
            conn.query_row(&format!("SELECT COUNT(*), AVG(c.score) FROM conversations c{filter}"), params(), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(Report { conversations, mean_score: mean, by_check, by_agent, by_category_day })
    }

    // ——— settings and chat messages from integrations ———

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str, user: Option<&User>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])?;
        // The value itself may hold secrets: the audit log says only what changed.
        Self::audit_in(&tx, user, "settings.update", key, "")?;
        tx.commit()?;
        Ok(())
    }

    /// Stores one chat message; `false` when this message was already stored (a redelivery).
    pub fn put_chat_message(&self, m: &ChatMessage) -> Result<bool> {
        let conn = self.conn();
        let n = conn.execute(
            "INSERT OR IGNORE INTO chat_messages (source, account_id, conversation_id, message_id, speaker, sender, content, violations, created_at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![m.source, m.account_id, m.conversation_id, m.message_id, m.speaker, m.sender, m.content, m.violations, m.created_at, now()],
        )?;
        Ok(n == 1)
    }

    pub fn set_note_status(&self, source: &str, account_id: i64, message_id: i64, status: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE chat_messages SET note_status = ?1 WHERE source = ?2 AND account_id = ?3 AND message_id = ?4",
            params![status, source, account_id, message_id],
        )?;
        Ok(())
    }

    /// The stored messages of one chat, in order.
    pub fn chat_messages(&self, source: &str, account_id: i64, conversation_id: i64) -> Result<Vec<ChatMessage>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT source, account_id, conversation_id, message_id, speaker, sender, content, violations, created_at, note_status FROM chat_messages
             WHERE source = ?1 AND account_id = ?2 AND conversation_id = ?3 ORDER BY created_at, message_id",
        )?;
        let rows = st
            .query_map(params![source, account_id, conversation_id], |r| {
                Ok(ChatMessage {
                    source: r.get(0)?,
                    account_id: r.get(1)?,
                    conversation_id: r.get(2)?,
                    message_id: r.get(3)?,
                    speaker: r.get(4)?,
                    sender: r.get(5)?,
                    content: r.get(6)?,
                    violations: r.get(7)?,
                    created_at: r.get(8)?,
                    note_status: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Counts for /metrics.
    pub fn counts(&self) -> Result<(i64, i64, i64)> {
        let conn = self.conn();
        let conversations = conn.query_row("SELECT COUNT(*) FROM conversations", [], |r| r.get(0))?;
        let appeals = conn.query_row("SELECT COUNT(*) FROM appeals WHERE status = 'pending'", [], |r| r.get(0))?;
        let users = conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        Ok((conversations, appeals, users))
    }
}

/// Databases made before work numbers get the `work_no` column, and agent
/// ids and work numbers a unique index each — unless existing accounts
/// already share one, which is logged (the accounts API refuses new
/// duplicates either way; an admin resolves the old ones).
fn migrate_users(conn: &Connection) -> Result<()> {
    let has: bool = conn.query_row("SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'work_no'", [], |r| r.get::<_, i64>(0))? > 0;
    if !has {
        conn.execute("ALTER TABLE users ADD COLUMN work_no TEXT NOT NULL DEFAULT ''", [])?;
    }
    for column in ["agent_id", "work_no"] {
        let shared: Vec<String> = {
            let mut st = conn.prepare(&format!("SELECT {column} FROM users WHERE {column} != '' GROUP BY {column} HAVING COUNT(*) > 1"))?;
            let rows = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        if shared.is_empty() {
            conn.execute_batch(&format!("CREATE UNIQUE INDEX IF NOT EXISTS users_{column}_unique ON users({column}) WHERE {column} != ''"))?;
        } else {
            tracing::warn!(target: "kefu::store", column, shared = ?shared, "accounts share these ids; give each its own (no unique index until then)");
        }
    }
    Ok(())
}

/// Databases made before tokens expired get the `expires_at` column; their
/// tokens expire 90 days after this upgrade rather than never.
fn migrate_tokens(conn: &Connection) -> Result<()> {
    let has: bool = conn.query_row("SELECT COUNT(*) FROM pragma_table_info('api_tokens') WHERE name = 'expires_at'", [], |r| r.get::<_, i64>(0))? > 0;
    if !has {
        let later = (chrono::Utc::now() + chrono::Duration::days(90)).with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        conn.execute("ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT ''", [])?;
        conn.execute("UPDATE api_tokens SET expires_at = ?1", [later])?;
    }
    Ok(())
}

/// The WHERE clause (over `conversations c`) of a search, and its values.
fn filter_sql(s: &Search) -> (String, Vec<rusqlite::types::Value>) {
    let mut clauses = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut push = |clause: &str, v: rusqlite::types::Value| {
        values.push(v);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    };
    if let Some(a) = &s.agent {
        push("c.agent = ?", a.clone().into());
    }
    if let Some(t) = &s.team {
        push("c.team = ?", t.clone().into());
    }
    if let Some(f) = &s.from {
        push("c.day >= ?", f.clone().into());
    }
    if let Some(t) = &s.to {
        push("c.day <= ?", t.clone().into());
    }
    if let Some(c) = &s.failed_check {
        push("EXISTS (SELECT 1 FROM check_results r2 WHERE r2.conversation_id = c.id AND r2.check_id = ? AND r2.result = 'fail')", c.clone().into());
    }
    if let Some(m) = s.min_score {
        push("c.score >= ?", i64::from(m).into());
    }
    if let Some(m) = s.max_score {
        push("c.score <= ?", i64::from(m).into());
    }
    let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (filter, values)
}

fn channel_id(card: &Scorecard) -> &'static str {
    match card.channel {
        kefu_core::inspect::Channel::Phone => "phone",
        kefu_core::inspect::Channel::Chat => "chat",
    }
}

fn outcome_id(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::NotApplicable => "n/a",
    }
}

macro_rules! row_fields {
    () => {
        "c.id, c.agent, c.team, c.channel, c.started_at, c.score, c.original_score, c.vetoed,
        (SELECT group_concat(r.check_id, ',') FROM check_results r WHERE r.conversation_id = c.id AND r.result = 'fail'),
        c.source, c.rulebook_version, c.inspected_at"
    };
}
/// The summary row (without the transcript and scorecard texts).
const ROW_SELECT: &str = concat!("SELECT ", row_fields!(), " FROM conversations c");
/// The summary row, then the transcript (12) and the scorecard (13).
const FULL_SELECT: &str = concat!("SELECT ", row_fields!(), ", c.transcript, c.scorecard FROM conversations c");

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationRow> {
    let failed: Option<String> = r.get(8)?;
    Ok(ConversationRow {
        id: r.get(0)?,
        agent: r.get(1)?,
        team: r.get(2)?,
        channel: r.get(3)?,
        started_at: r.get(4)?,
        score: r.get(5)?,
        original_score: r.get(6)?,
        vetoed: r.get::<_, i64>(7)? != 0,
        failed: failed.map(|f| f.split(',').map(str::to_string).collect()).unwrap_or_default(),
        source: r.get(9)?,
        rulebook_version: r.get(10)?,
        inspected_at: r.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_refused_by_the_file_system_are_write_failures() {
        let dir = std::env::temp_dir().join(format!("kefu-store-ro-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("kefu.sqlite3");
        drop(Store::open(&path).expect("create"));
        // A read-only connection stands for a file system remounted read-only
        // under a running server (which SQLite reports the same way).
        let ro = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open read-only");
        let store = Store { conn: Mutex::new(ro) };
        let err = store.probe_write().expect_err("cannot write");
        let StoreError::Db(db) = &err else { panic!("{err:?}") };
        assert!(is_write_failure(db), "{db:?}");
        let api = crate::error::ApiError::from(err);
        assert_eq!((api.status.as_u16(), api.code), (503, "storage_unavailable"));
        assert!(api.message.contains("只读"));
        // Reads go on.
        assert!(store.user_count().is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
