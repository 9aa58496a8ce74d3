//! Bounds on what the engine accepts and reports, so that no input — however
//! large or absurd — costs more than its size or crashes a batch.
//!
//! Inputs beyond the bounds are refused with a reason naming the field
//! ([`crate::inspect::Conversation::validate_with`]); outputs beyond them
//! are truncated and say so (`truncated` with the total count).

use serde::{Deserialize, Serialize};

/// The longest call or chat kefu accepts, in seconds: a day. Every time of a
/// transcript (turn start and end, hold, hang-up) lies within it.
pub const MAX_CALL_SECONDS: f64 = 86_400.0;

/// The most rings a call can plausibly have rung before it was answered (a
/// ring lasts about five seconds; telephone systems give up long before).
pub const MAX_RINGS: u32 = 100;

/// Calls start between these years (`started_at`): anything else is a typing
/// or conversion error, and years near 9999 would overflow date arithmetic.
pub const STARTED_AT_YEARS: std::ops::RangeInclusive<i32> = 1970..=2199;

/// Bounds applied to one request or one record. The defaults are those of
/// the command line; the server makes them settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Characters in one text (a lint request, a turn, a field that reaches the engine).
    pub max_text_chars: usize,
    /// Turns in one conversation.
    pub max_turns: usize,
    /// Events (holds, hang-ups…) in one conversation.
    pub max_events: usize,
    /// Violations or evidence items reported for one text or turn.
    pub max_hits_per_turn: usize,
    /// Evidence items reported for one check of one conversation.
    pub max_hits_per_conversation: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_chars: 100_000,
            max_turns: 5_000,
            max_events: 5_000,
            max_hits_per_turn: 100,
            max_hits_per_conversation: 1_000,
        }
    }
}

impl Limits {
    /// What is wrong with a set of limits (each must be at least 1, and no
    /// larger than what one machine can hold for one request).
    pub fn validate(&self) -> Result<(), String> {
        let bounds: [(&str, usize, usize); 5] = [
            ("max_text_chars", self.max_text_chars, 10_000_000),
            ("max_turns", self.max_turns, 1_000_000),
            ("max_events", self.max_events, 1_000_000),
            ("max_hits_per_turn", self.max_hits_per_turn, 100_000),
            ("max_hits_per_conversation", self.max_hits_per_conversation, 1_000_000),
        ];
        for (name, value, max) in bounds {
            if value == 0 || value > max {
                return Err(format!("{name} 应在 1–{max} 之间，而不是 {value}"));
            }
        }
        Ok(())
    }
}

/// A number of characters over the limit, said in Chinese (`None`: within).
pub fn text_too_long(field: &str, text: &str, limits: &Limits) -> Option<String> {
    // Counting stops at the limit: a 50 MB text costs no more than the limit to refuse.
    let over = text.chars().nth(limits.max_text_chars).is_some();
    over.then(|| format!("{field} 过长：超过 {} 个字符", limits.max_text_chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_zero_is_not() {
        assert!(Limits::default().validate().is_ok());
        let zero = Limits { max_turns: 0, ..Limits::default() };
        assert!(zero.validate().unwrap_err().contains("max_turns"));
    }

    #[test]
    fn text_length_is_counted_in_characters() {
        let limits = Limits { max_text_chars: 3, ..Limits::default() };
        assert!(text_too_long("text", "一二三", &limits).is_none());
        assert!(text_too_long("text", "一二三四", &limits).unwrap().contains("3 个字符"));
    }
}
