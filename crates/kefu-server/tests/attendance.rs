//! Attendance over HTTP: clock-ins imported from the time clock, notices,
//! outings, 调休 and overtime, and the monthly report the rules decide.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn day<'a>(report: &'a Value, d: &str) -> &'a Value {
    report["days"].as_array().expect("days").iter().find(|x| x["day"] == d).unwrap_or_else(|| panic!("{d} in {report}"))
}

#[tokio::test]
async fn a_month_of_attendance_by_the_rules_of_02() {
    let server = TestServer::start("attendance").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "zhou", "agent", "一组", "A3").await;
    let lead = server.user(&admin, "lead", "supervisor", "一组", "").await;
    let other = server.user(&admin, "lead2", "supervisor", "二组", "").await;

    // The time clock, imported by the supervisor: on time, 09:00 sharp, late.
    for (d, t) in [("2026-03-02", "08:52"), ("2026-03-03", "09:00"), ("2026-03-04", "09:17")] {
        let (status, r) = lead.post("/api/v1/attendance/clock-in", json!({"user": "zhou", "day": d, "time": t})).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    assert_eq!(agent.post("/api/v1/attendance/clock-in", json!({"user": "zhou", "day": "2026-03-05", "time": "08:00"})).await.0, StatusCode::FORBIDDEN, "agents clock in only now");
    assert_eq!(other.post("/api/v1/attendance/clock-in", json!({"user": "zhou", "day": "2026-03-05", "time": "08:00"})).await.0, StatusCode::NOT_FOUND, "not their team");
    // 03-05: told in advance and approved (leave); 03-06: told, not approved; 03-09: nothing (旷工).
    let (_, notice) = agent.post("/api/v1/attendance/requests", json!({"kind": "notice", "day": "2026-03-05", "reason": "看病"})).await;
    assert_eq!(agent.post(&format!("/api/v1/attendance/requests/{}/approve", notice["id"]), json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(other.post(&format!("/api/v1/attendance/requests/{}/approve", notice["id"]), json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(lead.post(&format!("/api/v1/attendance/requests/{}/approve", notice["id"]), json!({})).await.0, StatusCode::OK);
    assert_eq!(lead.post(&format!("/api/v1/attendance/requests/{}/approve", notice["id"]), json!({})).await.0, StatusCode::CONFLICT);
    agent.post("/api/v1/attendance/requests", json!({"kind": "notice", "day": "2026-03-06", "reason": "堵车", "expected": "10:30"})).await;
    // The supervisor's list of what waits for approval: the team's, with whose it is; others see none of it.
    let (status, waiting) = lead.get("/api/v1/attendance/requests").await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert!(waiting.as_array().is_some_and(|w| w.len() == 1 && w[0]["day"] == "2026-03-06" && w[0]["display_name"] == "zhou"), "{waiting}");
    assert_eq!(other.get("/api/v1/attendance/requests").await.1.as_array().map(Vec::len), Some(0));
    let (_, all) = agent.get("/api/v1/attendance/requests?status=all").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    // The approval reached the agent (the bell).
    let (_, notes) = agent.get("/api/v1/notifications").await;
    assert!(notes.as_array().is_some_and(|n| n.iter().any(|n| n["kind"] == "attendance" && n["message"].as_str().is_some_and(|m| m.contains("3月5日") && m.contains("批准")))), "{notes}");
    // An outing on 03-10 without approval: 旷工 although clocked in.
    lead.post("/api/v1/attendance/clock-in", json!({"user": "zhou", "day": "2026-03-10", "time": "08:40"})).await;
    let (status, _) = agent.post("/api/v1/attendance/requests", json!({"kind": "outing", "day": "2026-03-10", "from": "14:00", "to": "15:00", "reason": "送资料", "registered": true})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(agent.post("/api/v1/attendance/requests", json!({"kind": "outing", "day": "2026-03-10"})).await.0, StatusCode::BAD_REQUEST);
    // Overtime on Saturday 03-07 requested after the fact (requested now, long after): does not count.
    let (_, ot) = agent.post("/api/v1/attendance/requests", json!({"kind": "overtime", "day": "2026-03-07", "start": "2026-03-07T09:00:00+08:00", "end": "2026-03-07T12:40:00+08:00"})).await;
    assert_eq!(ot["detail"]["in_advance"], false);
    lead.post(&format!("/api/v1/attendance/requests/{}/approve", ot["id"]), json!({})).await;
    // 调休 of March, asked for now (December): too late / expired.
    let (status, r) = agent.post("/api/v1/attendance/requests", json!({"kind": "makeup", "day": "2026-03-17", "earned_on": "2026-03-07"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("提前一天")), "{r}");

    let (status, report) = lead.get("/api/v1/attendance/report?month=2026-03&user=zhou").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(day(&report, "2026-03-02")["status"]["status"], "on_time");
    assert_eq!(day(&report, "2026-03-03")["status"]["status"], "on_time", "09:00 sharp");
    assert_eq!(day(&report, "2026-03-04")["status"], json!({"status": "late", "minutes": 17, "notified": false}));
    assert_eq!(day(&report, "2026-03-05")["status"]["status"], "leave");
    assert_eq!(day(&report, "2026-03-06")["status"]["status"], "absent_notified");
    assert_eq!(day(&report, "2026-03-07")["status"]["status"], "rest");
    assert_eq!(day(&report, "2026-03-07")["overtime_hours"], 0, "not requested in advance");
    assert_eq!(day(&report, "2026-03-09")["status"]["status"], "truant");
    assert_eq!(day(&report, "2026-03-10")["status"]["status"], "truant", "an outing without approval");
    assert_eq!(day(&report, "2026-03-10")["outings"], json!(["truant"]));
    assert_eq!(report["days"].as_array().map(Vec::len), Some(30), "from the first day with data, 03-02, to 03-31");
    assert_eq!(report["late"], 1);
    assert_eq!(report["leave"], 1);
    // March 2026 has 22 working days: 02, 03 on time, 04 late, 05 leave, 06 notified, 10 truant for the
    // outing; the other 16 have no clock-in and no notice: 旷工. 16 + 1 = 17.
    assert_eq!(report["truant"], 17, "{report}");
    assert_eq!(report["on_time"], 2);
    // The agent sees their own; not another's.
    assert_eq!(agent.get("/api/v1/attendance/report?month=2026-03").await.0, StatusCode::OK);
    assert_eq!(agent.get("/api/v1/attendance/report?month=2026-03&user=lead").await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.get("/api/v1/attendance/report?month=March").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(lead.post("/api/v1/attendance/clock-in", json!({"user": "zhou", "day": "2099-01-05", "time": "08:00"})).await.0, StatusCode::BAD_REQUEST, "not in the future");
    // A new colleague owes nothing for the days before they were known.
    let (_, fresh) = lead.get("/api/v1/attendance/report?month=2026-03&user=lead").await;
    assert_eq!(fresh["days"].as_array().map(Vec::len), Some(0), "{fresh}");
    // Exportable: the month as a workbook.
    let r = lead.request(reqwest::Method::GET, "/api/v1/attendance/report.xlsx?month=2026-03&user=zhou").send().await.expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.expect("bytes");
    assert_eq!(&bytes[..2], b"PK", "an .xlsx");
    // The team's month as a grid: each member a row of days with their states.
    let (status, grid) = lead.get("/api/v1/attendance/team?month=2026-03").await;
    assert_eq!(status, StatusCode::OK, "{grid}");
    let row = grid["people"].as_array().and_then(|p| p.iter().find(|p| p["username"] == "zhou")).cloned().expect("zhou's row");
    let state_of = |day: &str| row["days"].as_array().and_then(|d| d.iter().find(|d| d[0] == day)).map(|d| d[1].clone());
    assert_eq!(state_of("2026-03-04"), Some(json!("late")), "{row}");
    assert_eq!(state_of("2026-03-05"), Some(json!("leave")), "{row}");
    assert_eq!(agent.get("/api/v1/attendance/team?month=2026-03").await.0, StatusCode::FORBIDDEN);
    // On time by the team's own hours: a team opening at 09:30 was not late at 09:17.
    let (status, _) = admin.call(Method::PUT, "/api/v1/teams/一组/hours", Some(json!({"periods": [["09:30", "12:00"], ["13:30", "18:30"]]}))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, grid) = lead.get("/api/v1/attendance/team?month=2026-03").await;
    let row = grid["people"].as_array().and_then(|p| p.iter().find(|p| p["username"] == "zhou")).cloned().expect("zhou's row");
    assert!(row["days"].as_array().is_some_and(|d| d.iter().any(|d| d[0] == "2026-03-04" && d[1] == "on_time")), "{row}");
    server.stop().await;
}
