//! The QA team's settings (a setting, JSON under `qa`): the pass mark of
//! 合格率 and the appeal window. Read per request; defaults until saved.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

pub const SETTINGS_KEY: &str = "qa";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct QaSettings {
    /// A conversation scoring this or more passes (合格); default 80.
    pub pass_mark: u32,
    /// Days after a conversation is inspected during which its agent may appeal; default 7.
    pub appeal_window_days: u32,
}

impl Default for QaSettings {
    fn default() -> Self {
        QaSettings { pass_mark: 80, appeal_window_days: 7 }
    }
}

impl QaSettings {
    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        if self.pass_mark > 100 {
            return Err(ApiError::invalid_field("invalid_setting", "pass_mark", "合格分数线应在 0–100 之间"));
        }
        if !(1..=365).contains(&self.appeal_window_days) {
            return Err(ApiError::invalid_field("invalid_setting", "appeal_window_days", "申诉期应为 1–365 天"));
        }
        Ok(())
    }
}
