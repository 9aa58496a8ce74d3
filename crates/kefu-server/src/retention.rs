//! The retention setting and its job: transcripts and customers' personal
//! data are deleted on schedule (个人信息保护法 requires personal data be kept no
//! longer than needed). The job runs hourly on the instance holding the
//! `retention` lease; an admin can also run it at once. What it deletes is
//! written to the audit log by the store.

use std::time::Duration;

use kefu_store::retention::RetentionReport;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::now_shanghai;
use crate::error::ApiError;
use crate::state::AppState;

pub const SETTINGS_KEY: &str = "retention";
pub const LEASE: &str = "retention";
/// The longest period that can be set: 100 years.
const MAX_DAYS: u32 = 36_500;

/// How long things are kept, in days; 0 keeps them for ever (the default:
/// a centre decides its periods, kefu does not decide for it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Transcripts, their scorecards and appeals, chat messages and the feedback quoting them.
    #[serde(default)]
    pub transcript_days: u32,
    /// The customer's name, phone number and address in closed records.
    #[serde(default)]
    pub personal_days: u32,
}

impl RetentionSettings {
    pub fn validate(&self) -> Result<(), ApiError> {
        for (field, days) in [("transcript_days", self.transcript_days), ("personal_days", self.personal_days)] {
            if days > MAX_DAYS {
                return Err(ApiError::bad_request("invalid_field", format!("{field} 应在 0（永久保留）到 {MAX_DAYS} 天之间")).with_field(field));
            }
        }
        Ok(())
    }

    /// The first day kept (`YYYY-MM-DD`), counted back from `today`; `None` for 0 (kept for ever).
    fn cutoff(days: u32, today: chrono::NaiveDate) -> Option<String> {
        (days > 0).then(|| (today - chrono::Duration::days(i64::from(days))).format("%Y-%m-%d").to_string())
    }
}

/// Applies the setting now.
pub async fn apply(state: &AppState) -> Result<RetentionReport, ApiError> {
    let settings: RetentionSettings = state.json_setting(SETTINGS_KEY).await?;
    let today = now_shanghai().date_naive();
    let (transcripts, personal) = (RetentionSettings::cutoff(settings.transcript_days, today), RetentionSettings::cutoff(settings.personal_days, today));
    if transcripts.is_none() && personal.is_none() {
        return Ok(RetentionReport::default());
    }
    let store = state.store.clone();
    let report = tokio::task::spawn_blocking(move || store.apply_retention(transcripts.as_deref(), personal.as_deref(), kefu_core::desk::PERSONAL_FIELDS)).await??;
    if !report.is_empty() {
        tracing::info!(target: "kefu::retention", conversations = report.conversations, chat_messages = report.chat_messages, feedback = report.feedback, records_erased = report.records_erased, "retention applied");
    }
    Ok(report)
}

/// Every `every`, on the holder of the lease.
pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ttl = i64::try_from((every * 2).as_millis()).unwrap_or(i64::MAX);
    loop {
        tick.tick().await;
        let (store, instance) = (state.store.clone(), state.instance.clone());
        if !matches!(tokio::task::spawn_blocking(move || store.acquire_lease(LEASE, &instance, ttl)).await, Ok(Ok(true))) {
            continue;
        }
        if let Err(e) = apply(&state).await {
            tracing::error!(target: "kefu::retention", error = %e.message, "retention not applied");
        }
    }
}
