//! The service desk over HTTP against a real server on loopback: records
//! with validation, deadlines on working time, 回复制, warnings and
//! escalations, team hours, importing a year's holidays.

mod common;

use std::time::Duration;

use common::{call, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const YEAR_2031: &str = r#"year = 2031
source = "测试：2031年部分节假日安排（假设）"

[[holiday]]
festival = "new_year"
name = "元旦"
from = "2031-01-01"
to = "2031-01-01"
makeup_workdays = []

[[holiday]]
festival = "qingming"
name = "清明节"
from = "2031-04-05"
to = "2031-04-07"
makeup_workdays = []
"#;

fn repair(received_at: &str) -> Value {
    json!({
        "kind": "repair",
        "received_at": received_at,
        "supervisor": "wang.lead",
        "department": "维修部",
        "fields": {"customer": "王先生", "contact": "138-1234-5678", "address": "朝阳区XX小区3号楼", "description": "冰箱不制冷", "promised_reply_hours": 4}
    })
}

fn obligation<'a>(view: &'a Value, kind: &str) -> &'a Value {
    view["obligations"].as_array().expect("obligations").iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("obligation {kind} in {view}"))
}

#[tokio::test]
async fn records_are_validated_and_get_their_deadlines() {
    let server = TestServer::start("desk-records").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "li.na", "agent", "一组", "A1024").await;

    // Validation: required fields, unknown fields, contacts, kinds.
    let mut missing = repair("2026-03-02T10:00:00+08:00");
    missing["fields"].as_object_mut().expect("fields").remove("address");
    missing["fields"]["description"] = json!("  ");
    let (status, r) = agent.post("/api/v1/records", missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    // Every missing field at once, by its label on the form, and each named for the form to mark.
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("地址") && message.contains("2 项"), "{r}");
    let fields: Vec<&str> = r["error"]["fields"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
    assert_eq!(fields.len(), 2, "{r}");
    assert!(fields.contains(&"fields.address"), "{r}");
    let mut unknown = repair("2026-03-02T10:00:00+08:00");
    unknown["fields"]["colour"] = json!("red");
    assert_eq!(agent.post("/api/v1/records", unknown).await.0, StatusCode::BAD_REQUEST);
    let mut contact = repair("2026-03-02T10:00:00+08:00");
    contact["fields"]["contact"] = json!("call me");
    assert_eq!(agent.post("/api/v1/records", contact).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(agent.post("/api/v1/records", json!({"kind": "fax", "fields": {}})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(agent.post("/api/v1/records", json!({"kind": "repair", "fields": {}, "extra": 1})).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    // A repair on Friday 2026-02-13 at 17:55: forward by the make-up Saturday 09:15; the reply in 4 working hours.
    let (status, view) = agent.post("/api/v1/records", repair("2026-02-13T17:55:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["record"]["status"], "open");
    assert_eq!(view["record"]["team"], "一组");
    assert_eq!(obligation(&view, "forward")["due_at"], "2026-02-14T09:15:00+08:00");
    assert_eq!(obligation(&view, "reply")["due_at"], "2026-02-14T14:25:00+08:00", "5 min Friday + 3 h Saturday morning + 55 min after its lunch");
    assert!(obligation(&view, "forward")["source"].as_str().is_some_and(|s| s.contains("02-daily-conduct.md")));
    assert_eq!(obligation(&view, "forward")["state"], "breached", "that was long ago");
    let id = view["record"]["id"].as_i64().expect("id");

    // 回复制: closing needs the replies first.
    let events = format!("/api/v1/records/{id}/events");
    let (status, r) = agent.post(&events, json!({"action": "closed"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{r}");
    let (status, r) = agent.post(&events, json!({"action": "forwarded", "note": "已通过公司邮箱发送王主管"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["record"]["status"], "forwarded");
    assert!(obligation(&r, "forward")["done_at"].is_string());
    assert_eq!(agent.post(&events, json!({"action": "progress"})).await.0, StatusCode::BAD_REQUEST, "a progress update says what progressed");
    assert_eq!(agent.post(&events, json!({"action": "progress", "note": "师傅已约好周一上门"})).await.0, StatusCode::OK);
    assert_eq!(agent.post(&events, json!({"action": "closed"})).await.0, StatusCode::CONFLICT, "the reply is still owed");
    assert_eq!(agent.post(&events, json!({"action": "replied", "note": "已电话告知客户"})).await.0, StatusCode::OK);
    let (status, r) = agent.post(&events, json!({"action": "closed"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["record"]["status"], "closed");
    let actions: Vec<&str> = r["events"].as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["created", "forwarded", "progress", "replied", "closed"]);
    assert_eq!(agent.post(&events, json!({"action": "progress", "note": "x"})).await.0, StatusCode::CONFLICT, "closed is closed");

    // Other kinds.
    let walkin = json!({"kind": "walkin_complaint", "received_at": "2026-09-30T15:00:00+08:00", "fields": {"customer": "赵女士", "description": "装修延期"}});
    let (status, v) = agent.post("/api/v1/records", walkin).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(obligation(&v, "walkin_reply")["due_at"], "2026-10-10T18:00:00+08:00", "国庆 and the make-up Saturday");
    let urgent = json!({"kind": "complaint", "urgent": true, "received_at": "2026-03-02T10:00:00+08:00", "fields": {"customer": "钱先生", "contact": "13900001111", "description": "水管爆裂"}});
    let (_, v) = agent.post("/api/v1/records", urgent).await;
    assert_eq!(obligation(&v, "record_after_urgent")["due_at"], "2026-03-02T18:00:00+08:00");
    let log = json!({"kind": "call_log", "received_at": "2026-03-02T08:45:00+08:00", "fields": {"date": "2026-03-02", "entries": [{"time": "09:10", "caller": "王先生", "summary": "报修冰箱"}]}});
    let (_, v) = agent.post("/api/v1/records", log).await;
    assert_eq!(obligation(&v, "daily_log")["due_at"], "2026-03-02T18:00:00+08:00");
    let bad_log = json!({"kind": "call_log", "fields": {"date": "2026-03-02", "entries": [{"time": "09:10"}]}});
    assert_eq!(agent.post("/api/v1/records", bad_log).await.0, StatusCode::BAD_REQUEST);
    let task = json!({"kind": "task", "received_at": "2026-03-02T10:00:00+08:00", "fields": {"title": "回访", "assigned_by": "网络部张主管", "description": "回访上周的投诉客户"}});
    let (_, v) = agent.post("/api/v1/records", task).await;
    assert_eq!(obligation(&v, "task_reply")["due_at"], "2026-03-03T18:00:00+08:00");

    // Scope: the agent's own; another team's supervisor sees none of it.
    let other_lead = server.user(&admin, "lead2", "supervisor", "二组", "").await;
    let lead = server.user(&admin, "wang.lead", "supervisor", "一组", "").await;
    assert_eq!(other_lead.get("/api/v1/records").await.1.as_array().map(Vec::len), Some(0));
    assert_eq!(other_lead.get(&format!("/api/v1/records/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(lead.get("/api/v1/records").await.1.as_array().map(Vec::len), Some(5));
    let (_, open) = lead.get("/api/v1/obligations").await;
    assert!(open.as_array().expect("open").iter().all(|o| o["done_at"].is_null()));
    assert_eq!(lead.get("/api/v1/records?kind=repair").await.1.as_array().map(Vec::len), Some(1));
    assert_eq!(lead.get("/api/v1/records?kind=nope").await.0, StatusCode::BAD_REQUEST);
    server.stop().await;
}

#[tokio::test]
async fn a_handled_call_becomes_a_record_in_one_step() {
    let server = TestServer::start("desk-from-call").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "agent9", "agent", "一组", "A9").await;
    let mut c = call("call-77", "A9", "2026-03-02T10:00:00+08:00");
    c["turns"][1]["text"] = json!("我家冰箱不制冷了，能派人来修吗？我电话13812345678");
    assert_eq!(admin.post("/api/v1/conversations", c).await.0, StatusCode::CREATED);
    let (status, v) = agent.post("/api/v1/conversations/call-77/record", json!({"kind": "repair", "fields": {"address": "海淀区XX路1号", "customer": "孙先生"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["record"]["conversation_id"], "call-77");
    assert_eq!(v["record"]["fields"]["contact"], "13812345678", "prefilled from what the customer said");
    assert!(v["record"]["fields"]["description"].as_str().is_some_and(|d| d.contains("冰箱不制冷")));
    assert_eq!(v["record"]["received_at"], "2026-03-02T10:00:00+08:00");
    assert_eq!(obligation(&v, "forward")["due_at"], "2026-03-02T10:20:00+08:00");
    server.stop().await;
}

#[tokio::test]
async fn deadlines_warn_then_escalate_and_survive_a_restart() {
    let server = TestServer::start_with("desk-sweep", |c| c.sweep_every = Duration::from_millis(50)).await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "slow", "agent", "一组", "A5").await;
    let lead = server.user(&admin, "lead", "supervisor", "一组", "").await;
    // Received a while ago: already past its 20 minutes.
    let (_, v) = agent.post("/api/v1/records", repair("2026-03-02T10:00:00+08:00")).await;
    let id = v["record"]["id"].as_i64().expect("id");
    let mut found = Vec::new();
    for _ in 0..100 {
        found = lead.get("/api/v1/notifications").await.1.as_array().cloned().unwrap_or_default();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found.iter().any(|n| n["kind"] == "escalation" && n["message"].as_str().is_some_and(|m| m.contains(&format!("#{id}")))), "{found:?}");
    let (_, mine) = agent.get("/api/v1/notifications").await;
    assert!(!mine.as_array().expect("list").is_empty(), "the owner is told too");
    let (_, obligations) = lead.get("/api/v1/obligations").await;
    let forward = obligations.as_array().expect("list").iter().find(|o| o["record_id"] == id && o["kind"] == "forward").cloned().expect("forward");
    assert_eq!(forward["state"], "breached");
    assert!(forward["escalated_at"].is_string());
    // A record received now, with a promised reply in 2 working hours, is open (or, outside working hours, still ahead).
    server.stop().await;

    // After a restart everything is still there.
    let data = std::env::temp_dir().join(format!("kefu-server-test-{}-desk-sweep", std::process::id()));
    let again = TestServer::start_with("desk-sweep-again", |c| c.data = Some(data)).await;
    let lead = again.login("lead", "lead-password").await;
    let (status, v) = lead.get(&format!("/api/v1/records/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(obligation(&v, "forward")["state"], "breached");
    assert!(!lead.get("/api/v1/notifications").await.1.as_array().expect("list").is_empty());
    again.stop().await;
}

#[tokio::test]
async fn team_hours_and_a_new_years_holidays() {
    let server = TestServer::start("desk-calendar").await;
    let admin = server.admin().await;
    let night = server.user(&admin, "night", "agent", "晚班", "A8").await;

    // The late shift closes at 21:00: its daily log is due then.
    let (status, r) = admin.call(Method::PUT, "/api/v1/teams/晚班/hours", Some(json!({"periods": [["12:00", "16:00"], ["17:00", "21:00"]]}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, _) = admin.call(Method::PUT, "/api/v1/teams/晚班/hours", Some(json!({"periods": [["17:00", "16:00"]]}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(night.call(Method::PUT, "/api/v1/teams/晚班/hours", Some(json!({"periods": [["09:00", "18:00"]]}))).await.0, StatusCode::FORBIDDEN);
    let log = json!({"kind": "call_log", "received_at": "2026-03-02T19:00:00+08:00", "fields": {"date": "2026-03-02"}});
    let (_, v) = night.post("/api/v1/records", log).await;
    assert_eq!(obligation(&v, "daily_log")["due_at"], "2026-03-02T21:00:00+08:00");

    // 2031 has no data: the record is stored all the same, its deadlines
    // provisional (weekends and statutory festival days, no 调休); the
    // calendar's day endpoint still says the year is missing.
    let walkin = |at: &str| json!({"kind": "walkin_complaint", "received_at": at, "fields": {"customer": "周先生", "contact": "13800000000", "description": "到店投诉安装质量"}});
    let (status, v) = night.post("/api/v1/records", walkin("2031-04-03T10:00:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED, "never refused for a missing schedule: {v}");
    let record = v["record"]["id"].as_i64().expect("id");
    let owed = obligation(&v, "walkin_reply");
    // Thursday 04-03: Friday 04-04, (清明 Saturday 04-05, Sunday) Monday 04-07, Tuesday 04-08.
    assert_eq!(owed["due_at"], "2031-04-08T21:00:00+08:00"); // the late shift closes at 21:00
    assert!(owed["provisional"].as_str().is_some_and(|r| r.contains("暂定") && r.contains("2031")), "{owed}");
    let (status, r) = night.get("/api/v1/calendar/days/2031-03-03").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["error"]["code"], "calendar_missing");
    // An invalid schedule is refused with its line; a valid one is imported.
    let (status, r) = admin.call(Method::PUT, "/api/v1/calendar/years/2031", Some(json!({"text": "year = 2031\n[[holiday]]\nfestival = \"new_year\"\nfrom = \"2031-13-01\"\n"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(night.call(Method::PUT, "/api/v1/calendar/years/2031", Some(json!({"text": YEAR_2031}))).await.0, StatusCode::FORBIDDEN);
    let (status, r) = admin.call(Method::PUT, "/api/v1/calendar/years/2031", Some(json!({"text": YEAR_2031}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(r["years"].as_array().expect("years").contains(&json!(2031)));
    assert_eq!(r["recomputed"], 1, "the provisional deadline recomputed: {r}");
    // The imported schedule moves 清明 to Saturday–Monday: the deadline is
    // now Wednesday 04-09, and final.
    let (_, v) = night.get(&format!("/api/v1/records/{record}")).await;
    let owed = obligation(&v, "walkin_reply");
    assert_eq!(owed["due_at"], "2031-04-09T21:00:00+08:00", "{owed}");
    assert!(owed["provisional"].is_null(), "{owed}");
    let (status, day) = night.get("/api/v1/calendar/days/2031-01-01").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(day["kind"], "holiday");
    let (status, v) = night.post("/api/v1/records", repair("2031-03-03T10:00:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(obligation(&v, "forward")["provisional"].is_null());
    let (_, reply) = night.post("/api/v1/reply", json!({"scenario": "closing", "at": "2031-01-01T10:00:00+08:00"})).await;
    assert!(reply["text"].is_string(), "the engine uses the imported year too: {reply}");
    server.stop().await;

    // The imported year survives a restart.
    let data = std::env::temp_dir().join(format!("kefu-server-test-{}-desk-calendar", std::process::id()));
    let again = TestServer::start_with("desk-calendar-again", |c| c.data = Some(data)).await;
    let admin = again.admin().await;
    let (_, years) = admin.get("/api/v1/calendar/years").await;
    assert!(years["years"].as_array().expect("years").contains(&json!(2031)));
    again.stop().await;
}

/// The issue's reproductions: a walk-in complaint on 2026-12-30 and a repair
/// at 17:25 on 2026-12-31 whose 4-hour reply promise reaches into 2027 were
/// refused (422 calendar_missing) while 2027 had no schedule.
#[tokio::test]
async fn records_at_the_turn_of_the_year_are_stored_with_provisional_deadlines() {
    let server = TestServer::start("desk-year-end").await;
    let admin = server.admin().await;
    let limin = server.user(&admin, "limin", "agent", "售后一组", "A31").await;
    let (_, years) = admin.get("/api/v1/calendar/years").await;
    let has_2027 = years["years"].as_array().expect("years").contains(&json!(2027));
    let complaint = json!({"kind": "walkin_complaint", "fields": {"customer": "周先生", "description": "到店投诉安装质量"}, "received_at": "2026-12-30T10:00:00+08:00", "owner": "limin"});
    let (status, v) = admin.post("/api/v1/records", complaint).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let owed = obligation(&v, "walkin_reply");
    if !has_2027 {
        // Thursday 12-31, (元旦 Friday, weekend) Monday 01-04, Tuesday 01-05.
        assert_eq!(owed["due_at"], "2027-01-05T18:00:00+08:00");
        assert!(owed["provisional"].as_str().is_some_and(|r| r.contains("2027 年")), "{owed}");
        assert_eq!(years["missing"], 2027, "{years}");
        assert!(years["warning"].as_str().is_some_and(|w| w.contains("2027")), "{years}");
    }
    let (status, v) = limin.post("/api/v1/records", repair("2026-12-31T17:25:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(obligation(&v, "forward")["provisional"].is_null(), "17:45 on 12-31 needs no 2027 data");
    if !has_2027 {
        assert!(obligation(&v, "reply")["provisional"].is_string(), "the 4-hour promise reaches 2027");
    }
    // The provisional deadlines are listed with their reason.
    let (_, list) = limin.get("/api/v1/obligations").await;
    assert_eq!(list.as_array().expect("list").iter().filter(|o| o["provisional"].is_string()).count(), if has_2027 { 0 } else { 2 }, "the complaint and the reply promise");
    server.stop().await;
}

/// Issue 9 item 6: one daily call log per agent and day, no future days, the
/// deadline of the day it records, entries prefilled from the day's calls
/// and editable.
#[tokio::test]
async fn the_daily_call_log_is_one_per_day_prefilled_and_editable() {
    let server = TestServer::start("desk-call-log").await;
    let admin = server.admin().await;
    let limin = server.user(&admin, "limin", "agent", "售后一组", "A1001").await;
    let lead = server.user(&admin, "lead1", "supervisor", "售后一组", "").await;

    let future = (chrono::Utc::now() + chrono::Duration::days(40)).format("%Y-%m-%d").to_string();
    let (status, r) = limin.post("/api/v1/records", json!({"kind": "call_log", "fields": {"date": future}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!((r["error"]["code"].as_str(), r["error"]["field"].as_str()), (Some("future_date"), Some("date")), "{r}");

    // Two calls on Friday 2026-11-20, one of which became a repair record.
    let mut second = call("log-2", "A1001", "2026-11-20T14:30:00+08:00");
    second["turns"][1]["text"] = json!("我的电话是13912345678，洗衣机漏水");
    assert_eq!(lead.post("/api/v1/conversations", call("log-1", "A1001", "2026-11-20T10:05:00+08:00")).await.0, StatusCode::CREATED);
    assert_eq!(lead.post("/api/v1/conversations", second).await.0, StatusCode::CREATED);
    let (status, r) = limin.post("/api/v1/conversations/log-1/record", json!({"kind": "repair", "fields": {"customer": "王先生", "contact": "13800000000", "address": "朝阳区"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, draft) = limin.get("/api/v1/records/call-log-draft?date=2026-11-20").await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let entries = draft["entries"].as_array().expect("entries").clone();
    assert_eq!(entries.len(), 2, "{draft}");
    assert_eq!((entries[0]["time"].as_str(), entries[1]["time"].as_str()), (Some("10:05"), Some("14:30")));
    assert!(entries[0]["summary"].as_str().is_some_and(|s| s.contains("冰箱不制冷")), "{draft}");
    assert!(entries[0]["handling"].as_str().is_some_and(|s| s.contains("客户报修记录表")), "{draft}");
    assert_eq!(entries[1]["contact"], "13912345678");
    assert!(draft["existing"].is_null());
    assert_eq!(limin.get(&format!("/api/v1/records/call-log-draft?date={future}")).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    // Filed the next Monday: due at the close of the Friday it records, so late.
    let filed: Vec<Value> = entries.iter().map(|e| json!({"time": e["time"], "caller": "王先生", "contact": e["contact"], "summary": e["summary"], "handling": e["handling"]})).collect();
    let (status, v) = limin.post("/api/v1/records", json!({"kind": "call_log", "fields": {"date": "2026-11-20", "entries": filed}})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["record"]["id"].as_i64().expect("id");
    assert_eq!(obligation(&v, "daily_log")["due_at"], "2026-11-20T18:00:00+08:00", "the day's close, not the filing day's");
    let (status, r) = limin.post("/api/v1/records", json!({"kind": "call_log", "fields": {"date": "2026-11-20"}})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one log per agent and day: {r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains(&format!("#{id}"))), "{r}");
    let (_, draft) = limin.get("/api/v1/records/call-log-draft?date=2026-11-20").await;
    assert_eq!(draft["existing"], id);
    // Another agent may file their own for the same day.
    let other = server.user(&admin, "other", "agent", "售后一组", "A1002").await;
    assert_eq!(other.post("/api/v1/records", json!({"kind": "call_log", "fields": {"date": "2026-11-20"}})).await.0, StatusCode::CREATED);

    // Editing: entries change, the day does not, entries are validated.
    let path = format!("/api/v1/records/{id}");
    let edited = json!({"fields": {"date": "2026-11-20", "entries": [{"time": "10:05", "caller": "王先生", "contact": "13800000000", "summary": "冰箱不制冷，已派单", "handling": "已转维修部"}]}});
    let (status, v) = limin.call(Method::PATCH, &path, Some(edited)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["record"]["fields"]["entries"][0]["handling"], "已转维修部");
    assert!(v["events"].as_array().expect("events").iter().any(|e| e["action"] == "edited"));
    let (status, r) = limin.call(Method::PATCH, &path, Some(json!({"fields": {"date": "2026-11-19"}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    let (status, r) = limin.call(Method::PATCH, &path, Some(json!({"fields": {"date": "2026-11-20", "entries": [{"time": "25:99", "summary": "x"}]}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("第 1 条") && m.contains("HH:MM")), "{r}");
    let (status, _) = other.call(Method::PATCH, &path, Some(json!({"fields": {"date": "2026-11-20"}}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not theirs");
    server.stop().await;
}

/// Issue 9 item 8: lists page with their total (records, deadlines,
/// notifications, appeals) instead of stopping at 200 without saying so.
#[tokio::test]
async fn lists_page_and_say_how_many_there_are() {
    let server = TestServer::start("desk-paging").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "pager", "agent", "一组", "A77").await;
    for i in 0..205 {
        let (status, r) = agent.post("/api/v1/records", json!({"kind": "complaint", "received_at": "2026-11-20T10:00:00+08:00", "fields": {"customer": format!("客户{i}"), "contact": "13800000000", "description": "投诉"}})).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    let page = |path: &str| {
        let request = agent.request(Method::GET, path);
        async move {
            let r = request.send().await.expect("request");
            let status = r.status();
            let total = r.headers().get("x-total-count").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
            let body: Value = r.json().await.expect("json");
            (status, total, body)
        }
    };
    let (status, total, first) = page("/api/v1/records").await;
    assert_eq!((status, total), (StatusCode::OK, Some(205)));
    assert_eq!(first.as_array().map(Vec::len), Some(200), "the default page");
    let (_, total, last) = page("/api/v1/records?limit=50&offset=200").await;
    assert_eq!((total, last.as_array().map(Vec::len)), (Some(205), Some(5)), "the rest is reachable");
    assert_eq!(last[4]["fields"]["customer"], "客户0", "newest first, the oldest last");
    let (status, _, r) = page("/api/v1/records?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "limit");
    let (_, total, owed) = page("/api/v1/obligations?limit=10&offset=0").await;
    assert_eq!((total, owed.as_array().map(Vec::len)), (Some(205), Some(10)));
    let (_, total, _) = page("/api/v1/notifications?limit=5").await;
    assert!(total.is_some(), "notifications say their total");
    let (_, total, appeals) = page("/api/v1/appeals?limit=5").await;
    assert_eq!((total, appeals.as_array().map(Vec::len)), (Some(0), Some(0)));
    server.stop().await;
}

#[tokio::test]
async fn records_are_edited_and_reassigned_after_creation_and_say_so() {
    let server = TestServer::start("reassign").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "li.agent", "agent", "售后一组", "A1").await;
    let _other = server.user(&admin, "zhao.agent", "agent", "售后一组", "A2").await;
    let _far = server.user(&admin, "far.agent", "agent", "售后二组", "A3").await;
    let lead = server.user(&admin, "wang.lead", "supervisor", "售后一组", "").await;
    let (status, r) = agent.post("/api/v1/records", repair("2026-03-02T10:00:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["record"]["id"].as_i64().expect("id");
    let path = format!("/api/v1/records/{id}");
    // An agent cannot hand it on; a supervisor can, within the team only.
    assert_eq!(agent.call(Method::PATCH, &path, Some(json!({"owner": "zhao.agent"}))).await.0, StatusCode::FORBIDDEN);
    let (status, r) = lead.call(Method::PATCH, &path, Some(json!({"owner": "far.agent"}))).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("owner")), "{r}");
    let (status, r) = lead.call(Method::PATCH, &path, Some(json!({"owner": "zhao.agent", "supervisor": "wang.lead"}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["record"]["owner_name"], "zhao.agent", "{r}");
    assert_eq!(r["record"]["supervisor"], "wang.lead", "{r}");
    let event = r["events"].as_array().and_then(|e| e.iter().find(|e| e["action"] == "reassigned")).cloned().expect("a reassigned event");
    assert!(event["note"].as_str().is_some_and(|n| n.contains("li.agent → zhao.agent")), "{event}");
    // The open deadlines go with it: the new owner sees them, the old one no longer.
    let (_, owed) = server.login("zhao.agent", "zhao.agent-password").await.get("/api/v1/obligations").await;
    assert!(owed.as_array().is_some_and(|o| o.iter().any(|o| o["record_id"] == id)), "{owed}");
    assert_eq!(agent.get(&path).await.0, StatusCode::NOT_FOUND, "no longer the agent's");
    // A supervisor that is not one is refused; the form is edited apart, as before.
    let (status, r) = lead.call(Method::PATCH, &path, Some(json!({"supervisor": "li.agent"}))).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("supervisor")), "{r}");
    let mut fields = repair("2026-03-02T10:00:00+08:00")["fields"].clone();
    fields["description"] = json!("冰箱不制冷，压缩机异响");
    let (status, r) = lead.call(Method::PATCH, &path, Some(json!({"fields": fields}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["record"]["fields"]["description"], "冰箱不制冷，压缩机异响");
    let (_, log) = admin.get("/api/v1/audit").await;
    assert!(log.as_array().is_some_and(|l| l.iter().any(|e| e["action"] == "record.reassign")), "audited");
    server.stop().await;
}
