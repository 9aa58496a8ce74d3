//! The service desk's deadlines across the 2026 holidays and make-up days,
//! lunch breaks and time zones, and the attendance rules on their edges.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use kefu_core::calendar::{HolidayCalendar, WorkingHours};
use kefu_core::desk::{
    check_makeup_leave, day_status, day_status_from, due_state, makeup_expires, obligations, outing_status, overtime_hours, DayStatus, DeskRules, DueState,
    MakeupLeaveError, Notice, ObligationKind, OutingStatus, RecordFacts, RecordKind,
};

fn cal() -> HolidayCalendar {
    HolidayCalendar::embedded_default()
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}

/// The single obligation of `kind` a record creates.
fn due(kind: RecordKind, received: &str, facts: RecordFacts) -> Vec<(ObligationKind, String)> {
    obligations(kind, at(received), &facts, &DeskRules::default(), &cal(), &WorkingHours::default())
        .expect("covered by the calendar")
        .into_iter()
        .map(|o| (o.kind, o.due.to_rfc3339()))
        .collect()
}

#[test]
fn repairs_are_forwarded_within_20_working_minutes() {
    // During work: 20 minutes later.
    assert_eq!(due(RecordKind::Repair, "2026-03-02T10:00:00+08:00", RecordFacts::default()), [(ObligationKind::Forward, "2026-03-02T10:20:00+08:00".into())]);
    // Across the lunch break: 11:50 + 10 min before 12:00, 10 after 13:30.
    assert_eq!(due(RecordKind::Repair, "2026-03-02T11:50:00+08:00", RecordFacts::default())[0].1, "2026-03-02T13:40:00+08:00");
    // Friday 2026-02-13 at 17:55, before 春节: 5 minutes left that day; Saturday
    // 2026-02-14 is a make-up working day (调休上班): due there at 09:15.
    assert_eq!(due(RecordKind::Repair, "2026-02-13T17:55:00+08:00", RecordFacts::default())[0].1, "2026-02-14T09:15:00+08:00");
    // Received during 春节 (2026-02-15…23): the first working minutes after it.
    assert_eq!(due(RecordKind::Repair, "2026-02-18T10:00:00+08:00", RecordFacts::default())[0].1, "2026-02-24T09:20:00+08:00");
    // 清明 (2026-04-04…06, Sat–Mon): Friday 17:50 → Tuesday 09:10.
    assert_eq!(due(RecordKind::Repair, "2026-04-03T17:50:00+08:00", RecordFacts::default())[0].1, "2026-04-07T09:10:00+08:00");
    // The same instant given in UTC.
    assert_eq!(due(RecordKind::Repair, "2026-04-03T09:50:00Z", RecordFacts::default())[0].1, "2026-04-07T09:10:00+08:00");
}

#[test]
fn complaints_ordinary_urgent_and_promised_replies() {
    let promised = |h| RecordFacts { promised_reply_hours: Some(h), ..RecordFacts::default() };
    // An ordinary complaint: forwarded in 20 working minutes, and the reply promised in 2 working hours.
    // 端午 (2026-06-19…21, Fri–Sun): Thursday 17:30 → 30 minutes Thursday + 90 minutes Monday.
    let d = due(RecordKind::Complaint, "2026-06-18T17:30:00+08:00", promised(2));
    assert_eq!(d, [(ObligationKind::Forward, "2026-06-18T17:50:00+08:00".into()), (ObligationKind::Reply, "2026-06-22T10:30:00+08:00".into())]);
    // 24 working hours from Wednesday 2026-09-30 15:00, before 国庆 (10-01…07; 10-10 is a make-up Saturday):
    // 3 h Wednesday, then 7.5 h on 10-08, 10-09, 10-10 (22.5 h + 3 h = 25.5 h ≥ 24): 10-10 at 16:30.
    assert_eq!(due(RecordKind::Complaint, "2026-09-30T15:00:00+08:00", promised(24))[1].1, "2026-10-10T16:30:00+08:00");
    // Urgent: the department first, the form by the close of the day.
    let urgent = RecordFacts { urgent: true, ..RecordFacts::default() };
    assert_eq!(due(RecordKind::Complaint, "2026-03-02T10:00:00+08:00", urgent.clone()), [(ObligationKind::RecordAfterUrgent, "2026-03-02T18:00:00+08:00".into())]);
    // Urgent after hours on the eve of 五一 (05-01…05): the next working day's close, 05-06.
    assert_eq!(due(RecordKind::Complaint, "2026-04-30T19:00:00+08:00", urgent)[0].1, "2026-05-06T18:00:00+08:00");
}

#[test]
fn walkin_complaints_get_three_working_days() {
    // 02 §上门客户投诉接待规范 8. Received 2026-09-30: 10-08, 10-09, 10-10 (make-up Saturday).
    assert_eq!(due(RecordKind::WalkinComplaint, "2026-09-30T15:00:00+08:00", RecordFacts::default()), [(ObligationKind::WalkinReply, "2026-10-10T18:00:00+08:00".into())]);
    // 五一 (05-01…05) and the make-up Saturday 05-09: 04-30 → 05-06, 05-07, 05-08.
    assert_eq!(due(RecordKind::WalkinComplaint, "2026-04-30T09:00:00+08:00", RecordFacts::default())[0].1, "2026-05-08T18:00:00+08:00");
    // 春节: received on the make-up Saturday 02-14 → 02-24, 02-25, 02-26.
    assert_eq!(due(RecordKind::WalkinComplaint, "2026-02-14T11:00:00+08:00", RecordFacts::default())[0].1, "2026-02-26T18:00:00+08:00");
}

#[test]
fn the_daily_call_log_is_due_at_the_close_of_the_working_day() {
    assert_eq!(due(RecordKind::CallLog, "2026-03-02T08:30:00+08:00", RecordFacts::default()), [(ObligationKind::DailyLog, "2026-03-02T18:00:00+08:00".into())]);
    // Team hours with a different close.
    let t = |h, m| time(h, m);
    let late_shift = WorkingHours::new(vec![(t(12, 0), t(16, 0)), (t(17, 0), t(21, 0))]).expect("hours");
    let o = obligations(RecordKind::CallLog, at("2026-03-02T19:00:00+08:00"), &RecordFacts::default(), &DeskRules::default(), &cal(), &late_shift).expect("covered");
    assert_eq!(o[0].due.to_rfc3339(), "2026-03-02T21:00:00+08:00");
    // After the close, the next working day's; on 2026-02-13 after work, the make-up Saturday.
    assert_eq!(due(RecordKind::CallLog, "2026-02-13T18:30:00+08:00", RecordFacts::default())[0].1, "2026-02-14T18:00:00+08:00");
}

#[test]
fn warnings_come_before_and_escalation_after_the_deadline() {
    let o = &obligations(RecordKind::Repair, at("2026-03-02T10:00:00+08:00"), &RecordFacts::default(), &DeskRules::default(), &cal(), &WorkingHours::default()).expect("covered")[0];
    assert_eq!(o.warn_at.to_rfc3339(), "2026-03-02T10:15:00+08:00", "at 75 % of the time");
    assert_eq!(due_state(o, at("2026-03-02T10:14:59+08:00")), DueState::Open);
    assert_eq!(due_state(o, at("2026-03-02T10:15:00+08:00")), DueState::Warning);
    assert_eq!(due_state(o, at("2026-03-02T10:20:00+08:00")), DueState::Warning, "due at 10:20 is still on time");
    assert_eq!(due_state(o, at("2026-03-02T10:20:01+08:00")), DueState::Breached);
}

#[test]
fn a_year_without_holiday_data_is_an_error_not_a_guess() {
    let r = obligations(RecordKind::Repair, at("2031-03-03T10:00:00+08:00"), &RecordFacts::default(), &DeskRules::default(), &cal(), &WorkingHours::default());
    let e = r.expect_err("2031 has no data");
    assert!(e.to_string().contains("2031"), "{e}");
}

#[test]
fn clock_in_by_nine_on_working_days() {
    let c = cal();
    let none = Notice::default();
    assert_eq!(day_status(&c, day("2026-03-02"), Some(time(8, 55)), none).expect("covered"), DayStatus::OnTime);
    assert_eq!(day_status(&c, day("2026-03-02"), Some(time(9, 0)), none).expect("covered"), DayStatus::OnTime, "09:00 sharp is on time");
    assert_eq!(day_status(&c, day("2026-03-02"), Some(time(9, 1)), none).expect("covered"), DayStatus::Late { minutes: 1, notified: false });
    let told = Notice { notified: true, approved: false };
    assert_eq!(day_status(&c, day("2026-03-02"), Some(time(10, 30)), told).expect("covered"), DayStatus::Late { minutes: 90, notified: true });
    // Absent: with approval leave; told but not approved for the supervisor; neither: 旷工.
    assert_eq!(day_status(&c, day("2026-03-02"), None, Notice { notified: true, approved: true }).expect("covered"), DayStatus::Leave);
    assert_eq!(day_status(&c, day("2026-03-02"), None, told).expect("covered"), DayStatus::AbsentNotified);
    assert_eq!(day_status(&c, day("2026-03-02"), None, none).expect("covered"), DayStatus::Truant);
    // Rest days owe nothing; make-up Saturdays are working days.
    assert_eq!(day_status(&c, day("2026-02-16"), None, none).expect("covered"), DayStatus::Rest, "春节");
    assert_eq!(day_status(&c, day("2026-03-07"), None, none).expect("covered"), DayStatus::Rest, "a Saturday");
    assert_eq!(day_status(&c, day("2026-02-14"), None, none).expect("covered"), DayStatus::Truant, "the make-up Saturday before 春节");
    // A team whose day opens at 08:30 is late at 08:45; one opening at 09:30 is not at 09:20.
    assert_eq!(day_status_from(&c, day("2026-03-02"), Some(time(8, 45)), none, time(8, 30)).expect("covered"), DayStatus::Late { minutes: 15, notified: false });
    assert_eq!(day_status_from(&c, day("2026-03-02"), Some(time(9, 20)), none, time(9, 30)).expect("covered"), DayStatus::OnTime);
    assert!(day_status(&c, day("2031-03-03"), None, none).is_err());
}

#[test]
fn outings_need_approval_and_registration() {
    assert_eq!(outing_status(true, true), OutingStatus::Ok);
    assert_eq!(outing_status(true, false), OutingStatus::Unregistered);
    assert_eq!(outing_status(false, true), OutingStatus::Truant);
    assert_eq!(outing_status(false, false), OutingStatus::Truant);
}

#[test]
fn makeup_leave_one_day_ahead_within_the_month() {
    let c = cal();
    // Earned on the make-up Saturday 2026-02-28 (or any worked rest day): valid until 02-28 itself.
    assert_eq!(makeup_expires(day("2026-02-28")), day("2026-02-28"));
    assert_eq!(makeup_expires(day("2026-12-05")), day("2026-12-31"));
    assert_eq!(makeup_expires(day("2028-02-10")), day("2028-02-29"), "leap year");
    // Earned Saturday 2026-03-07, taken Tuesday 03-17, asked Monday 03-16: fine.
    assert_eq!(check_makeup_leave(&c, day("2026-03-07"), day("2026-03-16"), day("2026-03-17")), Ok(()));
    // Asked the same day: too late.
    assert!(matches!(check_makeup_leave(&c, day("2026-03-07"), day("2026-03-17"), day("2026-03-17")), Err(MakeupLeaveError::NotAhead { .. })));
    // Into April: expired at the end of March.
    assert!(matches!(check_makeup_leave(&c, day("2026-03-07"), day("2026-03-20"), day("2026-04-01")), Err(MakeupLeaveError::Expired { .. })));
    // On a rest day, or before it was earned.
    assert!(matches!(check_makeup_leave(&c, day("2026-03-07"), day("2026-03-10"), day("2026-03-14")), Err(MakeupLeaveError::NotWorkday { .. })));
    assert!(matches!(check_makeup_leave(&c, day("2026-03-07"), day("2026-03-01"), day("2026-03-06")), Err(MakeupLeaveError::BeforeEarned { .. })));
}

#[test]
fn overtime_in_whole_hours_from_half_an_hour_after_work() {
    let c = cal();
    let h = WorkingHours::default();
    let ot = |from: &str, to: &str| overtime_hours(&c, &h, at(from), at(to), true).expect("covered");
    // Weekday evenings count from 18:30.
    assert_eq!(ot("2026-03-02T18:00:00+08:00", "2026-03-02T19:29:00+08:00"), 0, "59 minutes after 18:30 do not count");
    assert_eq!(ot("2026-03-02T18:00:00+08:00", "2026-03-02T19:30:00+08:00"), 1);
    assert_eq!(ot("2026-03-02T18:30:00+08:00", "2026-03-02T21:15:00+08:00"), 2, "2 h 45 min → 2");
    // Working time itself is no overtime.
    assert_eq!(ot("2026-03-02T09:00:00+08:00", "2026-03-02T18:00:00+08:00"), 0);
    // Rest days and holidays: all of it.
    assert_eq!(ot("2026-03-07T09:00:00+08:00", "2026-03-07T12:40:00+08:00"), 3);
    assert_eq!(ot("2026-10-01T09:00:00+08:00", "2026-10-01T17:00:00+08:00"), 8, "国庆");
    // The make-up Saturday is a working day: evening only.
    assert_eq!(ot("2026-02-14T09:00:00+08:00", "2026-02-14T20:30:00+08:00"), 2);
    // Over midnight into a rest day: 22:30–24:00 Friday (1.5 h) + 00:00–01:00 Saturday = 2.5 h → 2.
    assert_eq!(ot("2026-03-06T22:30:00+08:00", "2026-03-07T01:00:00+08:00"), 2);
    // Given in UTC: 10:30Z = 18:30 Shanghai.
    assert_eq!(ot("2026-03-02T10:30:00Z", "2026-03-02T12:30:00Z"), 2);
    // Not requested in advance: nothing counts.
    assert_eq!(overtime_hours(&c, &h, at("2026-03-07T09:00:00+08:00"), at("2026-03-07T18:00:00+08:00"), false).expect("covered"), 0);
}
