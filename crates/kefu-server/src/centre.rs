//! The centre's own name (the 公司/中心 of the standard greetings), a setting;
//! with the signed-in agent's 工号 it fills every standard reply rendered for
//! that agent (live assist and `POST /api/v1/reply`). Without it, the
//! rulebook's `company` and `work_no` remain the fallback.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

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
    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        let name = self.name.trim();
        if name.chars().count() > 50 || name.chars().any(char::is_control) {
            return Err(ApiError::invalid_field("invalid_setting", "name", "中心名称最多 50 个字符，且不能含控制字符"));
        }
        Ok(())
    }
}

