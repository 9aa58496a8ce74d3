//! The time kefu works in: Asia/Shanghai, as the standards' deadlines and working hours are.

/// Now in Asia/Shanghai.
pub fn now_shanghai() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI)
}
