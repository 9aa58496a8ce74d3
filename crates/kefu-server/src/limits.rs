//! The server's limits, as a setting an administrator can change
//! (`GET/PUT /api/v1/settings/limits`): how much one request may carry and
//! make the engine do, and how log-in is throttled. Changes apply at once
//! and are audited.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// The settings key.
pub const SETTINGS_KEY: &str = "limits";

/// No setting can raise the request body limit above this.
pub const HARD_BODY_LIMIT: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Request bodies above this many bytes are refused with 413.
    pub max_body_bytes: usize,
    /// Conversations in one batch (413 above).
    pub max_batch: usize,
    /// Characters of one text that reaches the engine: a lint or classify
    /// request, a draft, a transcript turn (413 for a text, 422 for a turn).
    pub max_text_chars: usize,
    /// Turns (and events) of one conversation (422 above).
    pub max_turns: usize,
    /// Violations or evidence items reported for one text or turn; more are
    /// counted and marked `truncated`.
    pub max_hits_per_turn: usize,
    /// Evidence items reported for one check of one conversation.
    pub max_hits_per_conversation: usize,
    /// Failed log-ins for one username, or from one address, within the
    /// window; further attempts get 429 until the window has passed.
    pub login_max_failures: u32,
    /// The window, in seconds (900: a quarter of an hour).
    pub login_window_seconds: u32,
    /// Days an API token is valid when created without `expires_days`.
    pub token_days: u32,
    /// Take the client's address from `X-Forwarded-For` (only behind a
    /// reverse proxy you run; otherwise anyone could claim any address).
    pub trust_forwarded_for: bool,
}

impl Default for ServerLimits {
    fn default() -> Self {
        let engine = kefu_core::limits::Limits::default();
        ServerLimits {
            max_body_bytes: 16 * 1024 * 1024,
            max_batch: 1_000,
            max_text_chars: engine.max_text_chars,
            max_turns: engine.max_turns,
            max_hits_per_turn: engine.max_hits_per_turn,
            max_hits_per_conversation: engine.max_hits_per_conversation,
            login_max_failures: 10,
            login_window_seconds: 900,
            token_days: 90,
            trust_forwarded_for: false,
        }
    }
}

impl ServerLimits {
    /// The limits the engine applies to one conversation or text.
    pub fn engine(&self) -> kefu_core::limits::Limits {
        kefu_core::limits::Limits {
            max_text_chars: self.max_text_chars,
            max_turns: self.max_turns,
            max_events: self.max_turns,
            max_hits_per_turn: self.max_hits_per_turn,
            max_hits_per_conversation: self.max_hits_per_conversation,
        }
    }

    /// What is wrong with these limits, naming the setting.
    pub fn validate(&self) -> Result<(), ApiError> {
        let invalid = |field: &str, message: String| ApiError::invalid_field("invalid_setting", field, message);
        if !(1024..=HARD_BODY_LIMIT).contains(&self.max_body_bytes) {
            return Err(invalid("max_body_bytes", format!("max_body_bytes 应在 1024–{HARD_BODY_LIMIT} 之间")));
        }
        if !(1..=100_000).contains(&self.max_batch) {
            return Err(invalid("max_batch", "max_batch 应在 1–100000 之间".into()));
        }
        self.engine().validate().map_err(|m| {
            let field = m.split(' ').next().unwrap_or("").to_owned();
            invalid(&field, m)
        })?;
        if !(1..=1_000).contains(&self.login_max_failures) {
            return Err(invalid("login_max_failures", "login_max_failures 应在 1–1000 之间".into()));
        }
        if !(1..=86_400).contains(&self.login_window_seconds) {
            return Err(invalid("login_window_seconds", "login_window_seconds 应在 1–86400 秒之间（最长一天）".into()));
        }
        if !(1..=3_650).contains(&self.token_days) {
            return Err(invalid("token_days", "token_days 应在 1–3650 之间".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_named() {
        assert!(ServerLimits::default().validate().is_ok());
        let bad = ServerLimits { login_window_seconds: 0, ..ServerLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field.as_deref(), Some("login_window_seconds"));
        let bad = ServerLimits { max_turns: 0, ..ServerLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field.as_deref(), Some("max_turns"));
    }
}
