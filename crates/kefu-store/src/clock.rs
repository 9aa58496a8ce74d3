//! The time as stored: Asia/Shanghai, RFC 3339 with milliseconds.

/// Now in Asia/Shanghai, as stored (RFC 3339 with milliseconds).
pub fn now() -> String {
    chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}
