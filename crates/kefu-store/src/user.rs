//! Who uses kefu: roles, accounts, API tokens as listed (types only; the
//! storage of them is in `accounts`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// An API token as listed to admins (never the secret).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub username: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked: bool,
}
