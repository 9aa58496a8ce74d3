//! The centre's own name (the 公司/中心 of the standard greetings), a setting;
//! with the signed-in agent's 工号 it fills every standard reply rendered for
//! that agent (live assist and `POST /api/v1/reply`). Without it, the
//! rulebook's `company` and `work_no` remain the fallback.

use axum::extract::State;
use axum::Json;
use kefu_core::reply::ReplyContext;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Auth, Role};
use crate::error::ApiError;
use kefu_store::User;
use crate::AppState;

pub const SETTINGS_KEY: &str = "centre";

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CentreSettings {
    /// The name agents give on the phone and in chats, e.g. 华业售后服务中心
    /// (empty: the rulebook's `company`).
    #[serde(default)]
    pub name: String,
}

impl CentreSettings {
    fn validate(&self) -> Result<(), ApiError> {
        let name = self.name.trim();
        if name.chars().count() > 50 || name.chars().any(char::is_control) {
            return Err(ApiError::invalid_field("invalid_setting", "name", "中心名称最多 50 个字符，且不能含控制字符"));
        }
        Ok(())
    }
}

/// A reply context for `user` now: the centre's name and the agent's own
/// 工号 where they are set.
pub fn context_for(state: &AppState, user: &User, at: chrono::DateTime<chrono::FixedOffset>) -> ReplyContext {
    let mut ctx = ReplyContext::new(at);
    let centre = state.centre();
    if !centre.name.trim().is_empty() {
        ctx.company = Some(centre.name.trim().to_string());
    }
    if !user.work_no.is_empty() {
        ctx.work_no = Some(user.work_no.clone());
    }
    ctx
}

#[utoipa::path(get, path = "/api/v1/settings/centre", tag = "settings", responses((status = 200, body = CentreSettings)))]
/// The centre's name (everyone signed in: the console shows it).
pub async fn get_centre(_auth: Auth, State(state): State<AppState>) -> Json<CentreSettings> {
    Json(state.centre())
}

#[utoipa::path(put, path = "/api/v1/settings/centre", tag = "settings", request_body = CentreSettings,
    responses((status = 200, body = CentreSettings), (status = 422, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Sets the centre's name (admins); in force at once, audited.
pub async fn put_centre(auth: Auth, State(state): State<AppState>, crate::error::ApiJson(mut centre): crate::error::ApiJson<CentreSettings>) -> Result<Json<CentreSettings>, ApiError> {
    auth.require(Role::Admin)?;
    centre.validate()?;
    centre.name = centre.name.trim().to_string();
    state.save_json_setting(&auth.user, SETTINGS_KEY, &centre).await?;
    state.set_centre(centre.clone());
    Ok(Json(centre))
}
