//! Accounts, log-in sessions and API tokens. Sessions and tokens are rows
//! (by the hash of their secret), so every instance on one database accepts
//! a session begun on another.

use crate::clock::now;
use crate::db::{params, Conn, DbResult, OptionalExt, Row};
use crate::error::{Result, StoreError};
use crate::store::Store;
use crate::user::{NewUser, Role, TokenInfo, User, UserPatch};

const TOKEN_COLUMNS: &str = "t.id, t.name, t.user_id, u.username, t.created_at, t.expires_at, t.revoked FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_from_row(r: &Row) -> DbResult<TokenInfo> {
    Ok(TokenInfo { id: r.get(0)?, name: r.get(1)?, user_id: r.get(2)?, username: r.get(3)?, created_at: r.get(4)?, expires_at: r.get(5)?, revoked: r.get(6)? })
}

pub(crate) fn user_from_row(r: &Row) -> DbResult<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        team: r.get(4)?,
        agent_id: r.get(5)?,
        active: r.get(6)?,
        created_at: r.get(7)?,
        work_no: r.get(8)?,
    })
}

const USER_COLUMNS: &str = "id, username, display_name, role, team, agent_id, active, created_at, work_no";
/// The same columns of `users u` in a join.
const USER_COLUMNS_U: &str = "u.id, u.username, u.display_name, u.role, u.team, u.agent_id, u.active, u.created_at, u.work_no";

/// Agent ids and work numbers are unique among accounts (empty ones aside):
/// a second account with an agent's id would see that agent's scorecards.
fn unique_ids(tx: &Conn<'_>, except: Option<i64>, agent_id: &str, work_no: &str) -> Result<()> {
    let taken = |column: &str, value: &str| -> Result<Option<String>> {
        if value.is_empty() {
            return Ok(None);
        }
        Ok(tx.query_row(&format!("SELECT username FROM users WHERE {column} = ?1 AND id != ?2"), params![value, except.unwrap_or(-1)], |r| r.get(0)).optional()?)
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
fn adopt_conversations(tx: &Conn<'_>, agent_id: &str, team: &str) -> Result<usize> {
    if agent_id.is_empty() || team.is_empty() {
        return Ok(0);
    }
    tx.execute("UPDATE failed_checks SET team = ?1 WHERE agent = ?2 AND team = ''", params![team, agent_id])?;
    Ok(tx.execute("UPDATE conversations SET team = ?1 WHERE agent = ?2 AND team = ''", params![team, agent_id])?)
}

/// The team of the user whose agent id this is ('' when none).
pub(crate) fn team_of_agent(c: &Conn<'_>, agent: &str) -> Result<String> {
    Ok(c.query_row("SELECT team FROM users WHERE agent_id = ?1 AND agent_id != '' ORDER BY id LIMIT 1", [agent], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

impl Store {
    pub fn user_count(&self) -> Result<i64> {
        self.db.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM users", (), |r| r.get(0))?))
    }

    pub fn create_user(&self, u: &NewUser<'_>) -> Result<User> {
        self.db.write(|tx| {
            unique_ids(tx, None, u.agent_id, u.work_no)?;
            let inserted = tx.query_row(
                "INSERT INTO users (username, display_name, role, team, agent_id, work_no, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                params![u.username, u.display_name, u.role.as_str(), u.team, u.agent_id, u.work_no, u.password_hash, now()],
                |r| r.get::<_, i64>(0),
            );
            let id = match inserted.map_err(StoreError::from) {
                Ok(id) => id,
                Err(e) if e.is_constraint_violation() => return Err(StoreError::Conflict(format!("用户名 {} 已存在", u.username))),
                Err(e) => return Err(e),
            };
            let user = tx.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), [id], user_from_row)?;
            adopt_conversations(tx, &user.agent_id, &user.team)?;
            Ok(user)
        })
    }

    pub fn update_user(&self, id: i64, p: &UserPatch) -> Result<User> {
        self.db.write(|tx| {
            let exists: Option<i64> = tx.query_row("SELECT id FROM users WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("用户 {id} 不存在")));
            }
            unique_ids(tx, Some(id), p.agent_id.as_deref().unwrap_or(""), p.work_no.as_deref().unwrap_or(""))?;
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
                tx.execute("UPDATE users SET active = ?1 WHERE id = ?2", params![v, id])?;
                if !v {
                    // Deactivating ends the sessions and revokes the API tokens for
                    // good: reactivating the account later does not bring them back.
                    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
                    tx.execute("UPDATE api_tokens SET revoked = 1 WHERE user_id = ?1", [id])?;
                }
            }
            Ok(tx.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), [id], user_from_row)?)
        })
    }

    pub fn users(&self) -> Result<Vec<User>> {
        self.db.read(|c| Ok(c.query_map(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"), (), user_from_row)?))
    }

    /// The user and password hash of an active account.
    pub fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        self.db.read(|c| {
            Ok(c.query_row(&format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1 AND active = 1"), [username], |r| {
                Ok((user_from_row(r)?, r.get::<_, String>(9)?))
            })
            .optional()?)
        })
    }

    pub fn create_session(&self, token_hash: &str, user_id: i64, expires_at: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
            c.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)", params![token_hash, user_id, now(), expires_at])?;
            Ok(())
        })
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
    }

    /// The active user of a live session.
    pub fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        // A read only: expired sessions are refused here and purged at log-in,
        // so checking a cookie never costs a write (and its fsync).
        self.db.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLUMNS_U} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active = 1"),
                [token_hash, &now()],
                user_from_row,
            )
            .optional()?)
        })
    }

    /// Stores a token's hash; it stops working at `expires_at` (RFC 3339).
    pub fn create_token(&self, token_hash: &str, user_id: i64, name: &str, expires_at: &str) -> Result<i64> {
        self.db.write(|c| {
            Ok(c.query_row(
                "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![token_hash, user_id, name, now(), expires_at],
                |r| r.get(0),
            )?)
        })
    }

    /// The active user of a token that is neither revoked nor expired.
    pub fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        self.db.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLUMNS_U} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1 AND t.revoked = 0 AND t.expires_at > ?2 AND u.active = 1"),
                [token_hash, &now()],
                user_from_row,
            )
            .optional()?)
        })
    }

    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        self.db.read(|c| Ok(c.query_map(&format!("SELECT {TOKEN_COLUMNS} ORDER BY t.id"), (), token_from_row)?))
    }

    /// Revokes a token for good; the revocation is audited in the same transaction.
    pub fn revoke_token(&self, id: i64, by: &User) -> Result<TokenInfo> {
        self.db.write(|tx| {
            let changed = tx.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id])?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("API 令牌 {id} 不存在")));
            }
            crate::audit::audit_in(tx, Some(by), "token.revoke", &format!("token {id}"), "")?;
            Ok(tx.query_row(&format!("SELECT {TOKEN_COLUMNS} WHERE t.id = ?1"), [id], token_from_row)?)
        })
    }
}
