//! Sending the daily call log over SMTP to a real SMTP server started here
//! (Debian's python3-aiosmtpd, saving into a Maildir): recipients, copy and
//! the attachment checked; by hand and by the sweeper at the close of work.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{temp_dir, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Smtpd {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PYTHON: &str = "/usr/bin/python3";

/// aiosmtpd on a loopback port, or `None` (skip) where it is not installed,
/// unless KEFU_REQUIRE_SMTP is set (as .ci/run does).
fn smtpd(name: &str) -> Option<Smtpd> {
    let available = Command::new(PYTHON).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    if !available {
        assert!(std::env::var_os("KEFU_REQUIRE_SMTP").is_none(), "python3-aiosmtpd is missing (apt-get install python3-aiosmtpd)");
        eprintln!("skipped: python3-aiosmtpd not installed");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let maildir = temp_dir(name).join("Maildir");
    let child = Command::new(PYTHON)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    // Dropped (killed and waited for) however the wait below ends.
    let smtpd = Smtpd { child, port, maildir };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(smtpd);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not start");
}

/// The messages received, parsed by Python's email package: envelope
/// recipients, To, Cc, Subject (decoded) and attachments (name, size, first bytes).
fn received(maildir: &Path) -> Vec<Value> {
    let script = r#"
import email, email.policy, json, os, sys
out = []
d = os.path.join(sys.argv[1], 'new')
for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    with open(os.path.join(d, name), 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    atts = []
    for part in m.iter_attachments():
        data = part.get_content()
        saved = os.path.join(sys.argv[1], '..', '%s-%d.bin' % (name.split('.')[0], len(atts)))
        with open(saved, 'wb') as f:
            f.write(data)
        atts.append({'filename': part.get_filename(), 'type': part.get_content_type(), 'size': len(data), 'head': data[:2].decode('latin-1'), 'saved': saved})
    body = m.get_body(('plain',))
    out.append({'rcpt': m.get('X-RcptTo', ''), 'to': str(m['To']), 'cc': str(m['Cc'] or ''), 'from': str(m['From']),
                'subject': str(m['Subject']), 'body': body.get_content() if body else '', 'attachments': atts})
print(json.dumps(out, ensure_ascii=False))
"#;
    let out = Command::new(PYTHON).args(["-c", script]).arg(maildir).output().expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn wait_for_mail(maildir: &Path, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got = received(maildir);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    received(maildir)
}

fn call_log(date: &str, received_at: &str) -> Value {
    json!({"kind": "call_log", "received_at": received_at, "fields": {"date": date, "entries": [
        {"time": "09:12", "caller": "王先生", "contact": "13812345678", "summary": "冰箱不制冷，报修", "handling": "已登记报修，转维修部"},
        {"time": "10:40", "caller": "赵女士", "summary": "咨询装修进度", "handling": "已答复"}
    ]}})
}

#[tokio::test]
async fn the_daily_call_log_goes_to_the_direct_supervisor_with_the_indirect_in_copy() {
    let Some(smtp) = smtpd("smtp") else { return };
    let server = TestServer::start_with("mail", |c| c.sweep_every = Duration::from_millis(100)).await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "li.na", "agent", "一组", "A1024").await;

    // Today's log, not yet due: the team works until 23:59, so its deadline is
    // tonight (or the next working day's close on a day off). From the
    // moment the sweeper would send it by itself (SEND_BEFORE_CLOSE_SECONDS,
    // 15 minutes before 23:59, plus a margin), wait for the next day (at
    // most 20 minutes): otherwise the sweeper's mail and the one sent by
    // hand below are two.
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    let mut now = chrono::Utc::now().with_timezone(&shanghai);
    if now.format("%H:%M").to_string().as_str() >= "23:40" {
        let next = (now.date_naive() + chrono::Duration::days(1)).and_hms_opt(0, 0, 5).expect("time").and_local_timezone(shanghai).single().expect("instant");
        tokio::time::sleep((next - now).to_std().unwrap_or_default()).await;
        now = chrono::Utc::now().with_timezone(&shanghai);
    }
    let today = now.format("%Y-%m-%d").to_string();
    let (status, _) = admin.call(Method::PUT, "/api/v1/teams/一组/hours", Some(json!({"periods": [["00:00", "23:59"]]}))).await;
    assert_eq!(status, StatusCode::OK);

    // Not configured yet: a clear error, nothing sent.
    let (_, v) = agent.post("/api/v1/records", call_log(&today, &now.to_rfc3339())).await;
    let id = v["record"]["id"].as_i64().expect("id");
    let (status, r) = agent.post(&format!("/api/v1/records/{id}/send"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["error"]["code"], "smtp_missing");

    let (status, view) = admin
        .call(Method::PUT, "/api/v1/settings/smtp", Some(json!({"host": "127.0.0.1", "port": smtp.port, "tls": "none", "from": "客服中心 <kefu@example.com>", "username": "", "password": "s3cret"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["password_set"], true);
    assert!(view.get("password").is_none(), "never shown");
    assert_eq!(admin.call(Method::PUT, "/api/v1/settings/smtp", Some(json!({"tls": "maybe"}))).await.0, StatusCode::BAD_REQUEST);
    let (status, r) = agent.post(&format!("/api/v1/records/{id}/send"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["error"]["code"], "recipients_missing");
    assert_eq!(admin.call(Method::PUT, "/api/v1/teams/一组/mail", Some(json!({"direct": "not an address"}))).await.0, StatusCode::BAD_REQUEST);
    let (status, _) = admin.call(Method::PUT, "/api/v1/teams/一组/mail", Some(json!({"direct": "王主管 <wang@example.com>", "indirect": "陈经理 <chen@example.com>"}))).await;
    assert_eq!(status, StatusCode::OK);

    // By hand.
    let (status, r) = agent.post(&format!("/api/v1/records/{id}/send"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let mail = wait_for_mail(&smtp.maildir, 1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &mail[0];
    assert!(m["to"].as_str().is_some_and(|t| t.contains("wang@example.com")), "{m}");
    assert!(m["cc"].as_str().is_some_and(|t| t.contains("chen@example.com")), "{m}");
    let rcpt = m["rcpt"].as_str().expect("envelope");
    assert!(rcpt.contains("wang@example.com") && rcpt.contains("chen@example.com"), "both on the envelope: {rcpt}");
    assert!(m["subject"].as_str().is_some_and(|s| s.contains("每日接听电话记录表") && s.contains(&today)), "{m}");
    let att = &m["attachments"][0];
    assert_eq!(att["type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(att["filename"].as_str().is_some_and(|f| f.ends_with(".xlsx")));
    assert_eq!(att["head"], "PK", "a real .xlsx (a zip)");
    assert!(att["size"].as_u64().is_some_and(|s| s > 3_000));
    // The attachment speaks Chinese and its times are date-time cells (Asia/Shanghai).
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(att["saved"].as_str().expect("saved")).expect("a valid .xlsx");
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["客服中心每日接听电话记录表"]);
    let sheet = book.worksheet_range("客服中心每日接听电话记录表").expect("the log");
    let row = |r: usize| sheet.rows().nth(r).expect("row").to_vec();
    assert_eq!(row(0).iter().map(ToString::to_string).collect::<Vec<_>>(), ["编号", "日期", "坐席", "时间", "来电人", "联系电话", "通话内容", "处理情况"]);
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("epoch");
    let serial = |wall: &str| (chrono::NaiveDateTime::parse_from_str(wall, "%Y-%m-%d %H:%M").expect("wall") - epoch).num_seconds() as f64 / 86_400.0;
    for (r, wall) in [(1, format!("{today} 09:12")), (2, format!("{today} 10:40"))] {
        let wall = wall.as_str();
        match &row(r)[3] {
            calamine::Data::DateTime(t) => assert!((t.as_f64() - serial(wall)).abs() < 1e-6, "{wall}: {}", t.as_f64()),
            other => panic!("时间 of row {r} is a date-time cell, got {other:?}"),
        }
        assert!(matches!(row(r)[1], calamine::Data::DateTime(_)), "日期 is a date cell: {:?}", row(r)[1]);
    }
    assert_eq!(row(2)[6], calamine::Data::String("咨询装修进度".into()));
    let (_, v) = agent.get(&format!("/api/v1/records/{id}")).await;
    let owed = v["obligations"].as_array().expect("obligations").iter().find(|o| o["kind"] == "daily_log").cloned().expect("daily log");
    assert!(owed["done_at"].is_string(), "sending fulfils the deadline: {owed}");
    assert!(v["events"].as_array().expect("events").iter().any(|e| e["action"] == "sent"));

    // By the sweeper: a log whose close of work has come is sent by itself.
    let (_, v) = agent.post("/api/v1/records", call_log("2026-03-02", "2026-03-02T08:30:00+08:00")).await;
    let late = v["record"]["id"].as_i64().expect("id");
    let mail = wait_for_mail(&smtp.maildir, 2).await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(mail.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("2026-03-02"))));
    // The mail is delivered before the sweeper records it as sent: wait (bounded) for the event.
    let mut sent_by_kefu = false;
    for _ in 0..50 {
        let (_, v) = agent.get(&format!("/api/v1/records/{late}")).await;
        sent_by_kefu = v["events"].as_array().expect("events").iter().any(|e| e["action"] == "sent" && e["username"] == "kefu");
        if sent_by_kefu {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(sent_by_kefu, "the sweeper records the sending as kefu's");

    // Any list of records exports to .xlsx.
    let r = agent.request(Method::GET, "/api/v1/records/export.xlsx?kind=call_log").send().await.expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = r.bytes().await.expect("bytes");
    assert_eq!(&bytes[..2], b"PK");
    server.stop().await;
}
