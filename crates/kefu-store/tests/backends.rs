//! Every storage test, run against each backend: SQLite in memory, a SQLite
//! file (writer plus read pool), and PostgreSQL (a throw-away cluster on
//! loopback, see kefu-testpg). A behaviour that differs between backends is
//! a bug of the SQL layer.

use std::sync::Arc;
use std::time::Duration;

use kefu_core::inspect::{Conversation, Outcome, Scorecard};
use kefu_store::db::Location;
use kefu_store::desk::{NewObligation, NewRecord};
use kefu_store::feedback::NewFeedback;
use kefu_store::{NewUser, Page, Role, Search, Store, StoreError, UserPatch, WriteScope};

type Case = fn(&Store);

const CASES: &[(&str, Case)] = &[
    ("accounts", accounts),
    ("sessions_and_tokens", sessions_and_tokens),
    ("conversations", conversations),
    ("appeals", appeals),
    ("rulebook_and_audit", rulebook_and_audit),
    ("desk", desk),
    ("attendance", attendance),
    ("feedback_chat_settings", feedback_chat_settings),
    ("leases", leases),
    ("retention", retention),
];

fn run_all(store: &Store, backend: &str) {
    for (name, case) in CASES {
        eprintln!("{backend}: {name}");
        case(store);
    }
}

#[test]
fn sqlite_in_memory() {
    run_all(&Store::in_memory().expect("open"), "sqlite memory");
}

#[test]
fn sqlite_file() {
    let dir = temp_dir("file");
    let path = dir.join("kefu.sqlite3");
    run_all(&Store::open_file(&path).expect("open"), "sqlite file");
    // Reopening applies no migration twice and keeps everything.
    let again = Store::open_file(&path).expect("reopen");
    assert!(again.user_count().expect("count") > 0);
    concurrent_writers(Arc::new(again));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn postgres() {
    let Some(cluster) = kefu_testpg::Cluster::start() else { return };
    let url = cluster.new_database();
    let store = Store::open(&Location::Postgres(url.clone())).expect("open PostgreSQL");
    assert_eq!(store.dialect(), kefu_store::Dialect::Postgres);
    run_all(&store, "postgres");
    let again = Store::open(&Location::Postgres(url)).expect("reopen");
    assert!(again.user_count().expect("count") > 0);
    concurrent_writers(Arc::new(again));
}

/// A database that stops taking writes (a disk remounted read-only under a
/// running server; `query_only` makes SQLite refuse writes the same way,
/// also for root, whom file modes do not stop): the error says
/// "unavailable", so the server answers 503 and says nothing was saved.
#[test]
fn sqlite_refused_writes_are_unavailable() {
    let dir = temp_dir("ro");
    let path = dir.join("kefu.sqlite3");
    drop(Store::open_file(&path).expect("create"));
    let db = kefu_store::db::Db::open(&Location::SqliteFile(path)).expect("open");
    let refused: Result<usize, kefu_store::db::DbError> = db.write(|c| {
        c.execute_batch("PRAGMA query_only = ON")?;
        c.execute("INSERT INTO health (id, at) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET at = excluded.at", ())
    });
    let e = refused.expect_err("cannot write");
    assert_eq!(e.kind, kefu_store::db::DbErrorKind::Unavailable, "{e}");
    let store_error = kefu_store::StoreError::from(e);
    assert!(store_error.is_unavailable());
    // Reads go on.
    let count: Result<i64, kefu_store::db::DbError> = db.read(|c| c.query_row("SELECT COUNT(*) FROM users", (), |r| r.get(0)));
    assert_eq!(count.expect("read"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kefu-store-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

// ——— helpers ———

fn user(store: &Store, username: &str, role: Role, team: &str, agent_id: &str) -> kefu_store::User {
    store
        .create_user(&NewUser { username, display_name: username, role, team, agent_id, work_no: "", password_hash: "hash" })
        .expect("create user")
}

/// A user once per store (the cases share one database per backend).
fn ensure_user(store: &Store, username: &str, role: Role, team: &str, agent_id: &str) -> kefu_store::User {
    match store.user_by_name(username).expect("look up") {
        Some(u) => u,
        None => user(store, username, role, team, agent_id),
    }
}

fn inspected(id: &str, agent: &str, started_at: &str, rude: bool) -> (Conversation, Scorecard, Vec<(usize, String, String)>) {
    let text = if rude { "这事儿不归我管，你自己去问吧" } else { "好的，我帮您查询一下，请稍等" };
    let json = serde_json::json!({
        "id": id, "channel": "chat", "started_at": started_at,
        "agent": {"id": agent, "work_no": "0731", "name": "张敏"},
        "turns": [
            {"speaker": "customer", "start": 0.0, "end": 3.0, "text": "你好，我想问一下我的订单到哪了"},
            {"speaker": "agent", "start": 4.0, "end": 7.0, "text": "您好，很高兴为您服务，工号0731"},
            {"speaker": "agent", "start": 8.0, "end": 11.0, "text": text},
            {"speaker": "customer", "start": 12.0, "end": 13.0, "text": "好的谢谢"},
            {"speaker": "agent", "start": 14.0, "end": 16.0, "text": "不客气，感谢您的来电，再见"}
        ]
    });
    let conv: Conversation = serde_json::from_value(json).expect("conversation");
    static ENGINE: std::sync::OnceLock<kefu_core::Engine> = std::sync::OnceLock::new();
    let engine = ENGINE.get_or_init(|| kefu_core::Engine::embedded().expect("embedded engine"));
    let card = engine.inspect(&conv);
    let violations = if rude { vec![(2, "shirk.not_my_job".to_string(), "shirk".to_string())] } else { Vec::new() };
    (conv, card, violations)
}

// ——— cases ———

fn accounts(store: &Store) {
    let a = user(store, "acc_a", Role::Agent, "售后一组", "ACC1");
    assert_eq!((a.role, a.team.as_str(), a.active), (Role::Agent, "售后一组", true));
    let dup = store.create_user(&NewUser { username: "acc_a", display_name: "x", role: Role::Agent, team: "", agent_id: "", work_no: "", password_hash: "h" });
    assert!(matches!(dup, Err(StoreError::Conflict(m)) if m.contains("acc_a")), "duplicate username");
    let same_agent = store.create_user(&NewUser { username: "acc_b", display_name: "x", role: Role::Agent, team: "", agent_id: "ACC1", work_no: "", password_hash: "h" });
    assert!(matches!(same_agent, Err(StoreError::Conflict(m)) if m.contains("ACC1")), "duplicate agent id");
    let patched = store.update_user(a.id, &UserPatch { display_name: Some("李雷".into()), work_no: Some("9001".into()), ..UserPatch::default() }).expect("patch");
    assert_eq!((patched.display_name.as_str(), patched.work_no.as_str()), ("李雷", "9001"));
    assert!(matches!(store.update_user(999_999, &UserPatch::default()), Err(StoreError::NotFound(_))));
    let (u, hash) = store.credentials("acc_a").expect("credentials").expect("active");
    assert_eq!((u.id, hash.as_str()), (a.id, "hash"));
    assert!(store.users().expect("users").iter().any(|u| u.username == "acc_a"));
}

fn sessions_and_tokens(store: &Store) {
    let u = ensure_user(store, "sess_u", Role::Supervisor, "售后一组", "");
    let later = "2999-01-01T00:00:00.000+08:00";
    store.create_session("sess-hash-1", u.id, later).expect("session");
    assert_eq!(store.session_user("sess-hash-1").expect("lookup").map(|u| u.id), Some(u.id));
    store.create_session("sess-hash-old", u.id, "2000-01-01T00:00:00.000+08:00").expect("expired session");
    assert!(store.session_user("sess-hash-old").expect("lookup").is_none(), "an expired session is refused");
    store.delete_session("sess-hash-1").expect("log out");
    assert!(store.session_user("sess-hash-1").expect("lookup").is_none());

    let id = store.create_token("tok-hash-1", u.id, "质检导入", later).expect("token");
    assert_eq!(store.token_user("tok-hash-1").expect("lookup").map(|u| u.id), Some(u.id));
    let info = store.revoke_token(id, &u).expect("revoke");
    assert!(info.revoked);
    assert!(store.token_user("tok-hash-1").expect("lookup").is_none());
    assert!(matches!(store.revoke_token(987_654, &u), Err(StoreError::NotFound(_))));
    assert!(store.audit_log(50).expect("audit").iter().any(|e| e.action == "token.revoke" && e.target == format!("token {id}")));

    // Deactivating ends sessions and revokes tokens.
    store.create_session("sess-hash-2", u.id, later).expect("session");
    store.create_token("tok-hash-2", u.id, "x", later).expect("token");
    store.update_user(u.id, &UserPatch { active: Some(false), ..UserPatch::default() }).expect("deactivate");
    assert!(store.session_user("sess-hash-2").expect("lookup").is_none());
    store.update_user(u.id, &UserPatch { active: Some(true), ..UserPatch::default() }).expect("reactivate");
    assert!(store.token_user("tok-hash-2").expect("lookup").is_none(), "reactivation does not bring tokens back");
}

fn conversations(store: &Store) {
    let agent = ensure_user(store, "conv_agent", Role::Agent, "售后二组", "CONV1");
    let (conv, card, violations) = inspected("conv-1", "CONV1", "2026-11-20T10:00:00+08:00", true);
    let row = store.put_conversation(&conv, &card, &violations, "api", 1, false, &WriteScope::All, None).expect("store");
    assert_eq!((row.id.as_str(), row.team.as_str(), row.channel.as_str()), ("conv-1", "售后二组", "chat"));
    assert_eq!(row.score, card.score);
    let failed: Vec<String> = card.checks.iter().filter(|c| c.result == Outcome::Fail).map(|c| c.id.clone()).collect();
    let mut sorted = failed.clone();
    sorted.sort();
    assert_eq!(row.failed, sorted);

    let again = store.put_conversation(&conv, &card, &violations, "api", 1, false, &WriteScope::All, None);
    assert!(matches!(again, Err(StoreError::Conflict(_))), "a second store without replace");
    let other_team = store.put_conversation(&conv, &card, &violations, "api", 1, true, &WriteScope::Team("售后一组".into()), None);
    assert!(matches!(other_team, Err(StoreError::Forbidden(_))));
    let replaced = store.put_conversation(&conv, &card, &violations, "api", 2, true, &WriteScope::Team("售后二组".into()), Some(&agent)).expect("replace");
    assert_eq!(replaced.rulebook_version, 2);

    let (ok_conv, ok_card, _) = inspected("conv-2", "CONV1", "2026-11-21T09:00:00+08:00", false);
    store.put_conversation(&ok_conv, &ok_card, &[], "api", 2, false, &WriteScope::All, None).expect("store");
    let (none_conv, none_card, _) = inspected("conv-3", "CONV1", "", false);
    let mut none_conv = none_conv;
    none_conv.started_at = None;
    let mut none_card = none_card;
    none_card.started_at = None;
    store.put_conversation(&none_conv, &none_card, &[], "api", 2, false, &WriteScope::All, None).expect("store without a start");

    let search = |s: Search| store.search(&Search { limit: 50, ..s }).expect("search");
    let (total, rows) = search(Search { agent: Some("CONV1".into()), ..Search::default() });
    assert_eq!(total, 3);
    // Newest first; a conversation without a start time last on every backend.
    assert_eq!(rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["conv-2", "conv-1", "conv-3"]);
    let (total, _) = search(Search { agent: Some("CONV1".into()), from: Some("2026-11-21".into()), to: Some("2026-11-21".into()), ..Search::default() });
    assert_eq!(total, 1);
    if let Some(check) = failed.first() {
        let (total, rows) = search(Search { agent: Some("CONV1".into()), failed_check: Some(check.clone()), ..Search::default() });
        assert_eq!((total, rows[0].id.as_str()), (1, "conv-1"));
    }
    let (total, _) = search(Search { team: Some("售后二组".into()), min_score: Some(card.score + 1), ..Search::default() });
    assert!(total <= 2);
    let (_, page) = store.search(&Search { agent: Some("CONV1".into()), limit: 1, offset: 1, ..Search::default() }).expect("page");
    assert_eq!(page.len(), 1);

    let report = store.report(&Search { agent: Some("CONV1".into()), ..Search::default() }).expect("report");
    assert_eq!(report.conversations, 3);
    assert!(report.mean_score.is_some());
    assert_eq!(report.by_agent.len(), 1);
    assert_eq!(report.by_agent[0].conversations, 3);
    assert!(report.by_category_day.iter().any(|d| d.category == "shirk" && d.day.as_deref() == Some("2026-11-20") && d.violations == 1));
    let (row, back, back_card) = store.conversation("conv-1").expect("read").expect("present");
    assert_eq!((row.id.as_str(), back.id.as_str(), back_card.score), ("conv-1", "conv-1", card.score));
    assert!(store.conversation("nope").expect("read").is_none());
    let empty = store.report(&Search { agent: Some("nobody".into()), ..Search::default() }).expect("empty report");
    assert_eq!((empty.conversations, empty.mean_score), (0, None));
}

fn appeals(store: &Store) {
    let agent = ensure_user(store, "appeal_agent", Role::Agent, "售后三组", "APL1");
    let boss = ensure_user(store, "appeal_boss", Role::Supervisor, "售后三组", "");
    let (conv, card, violations) = inspected("apl-1", "APL1", "2026-11-22T11:48:00+08:00", true);
    store.put_conversation(&conv, &card, &violations, "api", 1, false, &WriteScope::All, None).expect("store");
    let failed = card.checks.iter().find(|c| c.result == Outcome::Fail).map(|c| c.id.clone()).expect("a failed check");
    let passed = card.checks.iter().find(|c| c.result == Outcome::Pass).map(|c| c.id.clone()).expect("a passed check");
    assert!(matches!(store.file_appeal("apl-1", &passed, agent.id, "x", false), Err(StoreError::Invalid(_))));
    assert!(matches!(store.file_appeal("apl-1", "no.such", agent.id, "x", false), Err(StoreError::NotFound(_))));
    let appeal = store.file_appeal("apl-1", &failed, agent.id, "客户先挂机", false).expect("file");
    assert_eq!((appeal.status.as_str(), appeal.filed_by_name.as_str()), ("pending", "appeal_agent"));
    assert!(matches!(store.file_appeal("apl-1", &failed, agent.id, "again", false), Err(StoreError::Conflict(_))), "one open appeal per check");
    let listed = store.appeals(Some("pending"), Some("售后三组"), None, None, Page { limit: 10, offset: 0 }).expect("list");
    assert_eq!((listed.total, listed.items[0].id), (1, appeal.id));
    let (decided, row) = store.decide_appeal(appeal.id, true, boss.id, "改判").expect("decide");
    assert_eq!(decided.status, "overturned");
    assert!(!row.failed.contains(&failed));
    assert!(row.score >= card.score);
    assert!(matches!(store.decide_appeal(appeal.id, false, boss.id, ""), Err(StoreError::Conflict(_))));
    // A re-inspection keeps the overturned decision.
    let again = store.put_conversation(&conv, &card, &violations, "api", 3, true, &WriteScope::All, Some(&boss)).expect("replace");
    assert!(!again.failed.contains(&failed));
    assert_eq!(again.original_score, card.score);
    assert_eq!(store.appeal(appeal.id).expect("read").map(|a| a.status), Some("overturned".to_string()));
}

fn rulebook_and_audit(store: &Store) {
    let admin = ensure_user(store, "rb_admin", Role::Admin, "", "");
    let before = store.rulebook_version().expect("version");
    let files = vec![("forbidden.toml".to_string(), "# 规则\n".to_string())];
    let v1 = store.save_rulebook(&files, Some(&admin), "第一版", "detail").expect("save");
    let v2 = store.save_rulebook(&files, None, "第二版", "").expect("save");
    assert!(v2 > v1 && v1 > before);
    assert_eq!(store.rulebook_version().expect("version"), v2);
    let (latest, back) = store.latest_rulebook().expect("latest").expect("present");
    assert_eq!((latest, back), (v2, files));
    let versions = store.rulebook_versions().expect("versions");
    assert_eq!(versions[0].version, v2);
    assert_eq!(versions[1].created_by, Some(admin.id));
    store.audit(Some(&admin), "test.action", "目标", "细节").expect("audit");
    let log = store.audit_log(3).expect("log");
    assert_eq!((log[0].action.as_str(), log[0].username.as_str(), log[0].target.as_str()), ("test.action", "rb_admin", "目标"));
    assert!(store.audit_log(100).expect("log").iter().any(|e| e.action == "rulebook.update" && e.username == "system"));
}

fn desk(store: &Store) {
    let agent = ensure_user(store, "desk_agent", Role::Agent, "热线组", "DSK1");
    let fields = serde_json::json!({"customer": "王先生", "contact": "138****0000", "date": "2026-11-23"});
    let new = |kind: &'static str| NewRecord {
        kind,
        team: "热线组",
        owner_id: agent.id,
        supervisor: "",
        department: "",
        urgent: false,
        received_at: "2026-11-23T09:00:00+08:00",
        conversation_id: None,
        fields: &fields,
    };
    let obligations = [
        NewObligation { kind: "reply", due_at: "2026-11-24T17:00:00+08:00".into(), due_utc: 1_000, warn_utc: 500, source: "02", provisional: None },
        NewObligation { kind: "forward", due_at: "2026-11-23T12:00:00+08:00".into(), due_utc: 2_000, warn_utc: 1_000, source: "02", provisional: Some("暂定".into()) },
    ];
    let record = store.create_record(&new("repair"), &obligations, &agent).expect("record");
    assert_eq!((record.status.as_str(), record.fields["customer"].as_str()), ("open", Some("王先生")));
    store.create_record(&new("call_log"), &[], &agent).expect("call log");
    let second = store.create_record(&new("call_log"), &[], &agent);
    assert!(matches!(second, Err(StoreError::Conflict(_))), "one call log a day (the JSON date field is read on every backend)");
    assert!(store.call_log_of(agent.id, "2026-11-23").expect("call log").is_some());
    assert!(store.call_log_of(agent.id, "2026-11-24").expect("call log").is_none());

    let listed = store.records(Some("repair"), None, Some("热线组"), None, Some("2026-11-23"), Page { limit: 10, offset: 0 }).expect("records");
    assert_eq!(listed.total, 1);
    assert!(matches!(store.record_event(record.id, "closed", "", &agent), Err(StoreError::Conflict(_))), "open obligations keep it open");

    let swept = store.sweep_obligations(1_200).expect("sweep");
    let kinds: Vec<(String, String)> = swept.iter().map(|(k, o)| (k.clone(), o.kind.clone())).collect();
    assert!(kinds.contains(&("escalation".to_string(), "reply".to_string())));
    assert!(kinds.contains(&("warning".to_string(), "forward".to_string())));
    assert!(store.sweep_obligations(1_200).expect("sweep").is_empty(), "each warning once");
    let notes = store.notifications(agent.id, Some("热线组"), false, Page { limit: 10, offset: 0 }).expect("notifications");
    assert_eq!(notes.total, 2);

    let open = store.obligations_page(Some(record.id), None, None, true, 1_200, Page { limit: 10, offset: 0 }).expect("obligations");
    assert_eq!(open.total, 2);
    assert_eq!(open.items[0].kind, "reply", "earliest deadline first");
    assert_eq!(store.records_with_provisional_deadlines().expect("provisional").len(), 1);
    let changed = store
        .reschedule_provisional(record.id, &[NewObligation { kind: "forward", due_at: "x".into(), due_utc: 3_000, warn_utc: 2_500, source: "02", provisional: None }])
        .expect("reschedule");
    assert_eq!(changed, 1);
    store.record_event(record.id, "forwarded", "已转维修部", &agent).expect("forward");
    store.record_event(record.id, "replied", "已回复客户", &agent).expect("reply");
    let closed = store.record_event(record.id, "closed", "", &agent).expect("close");
    assert_eq!(closed.status, "closed");
    assert!(matches!(store.update_record_fields(record.id, &fields, &agent), Err(StoreError::Conflict(_))), "a closed record is not edited");
    let events = store.record_events(record.id).expect("events");
    assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["created", "forwarded", "replied", "closed"]);

    store.set_team_hours("热线组", "[[\"09:00\",\"18:00\"]]", &agent).expect("hours");
    store.set_team_hours("热线组", "[[\"08:30\",\"17:30\"]]", &agent).expect("hours again");
    assert_eq!(store.team_hours("热线组").expect("hours").as_deref(), Some("[[\"08:30\",\"17:30\"]]"));
    store.import_calendar_year(2031, "year one", &agent).expect("import");
    store.import_calendar_year(2031, "year two", &agent).expect("reimport");
    assert!(store.calendar_years().expect("years").contains(&(2031, "year two".to_string())));
}

fn attendance(store: &Store) {
    let u = ensure_user(store, "att_user", Role::Agent, "热线组", "");
    let boss = ensure_user(store, "att_boss", Role::Supervisor, "热线组", "");
    assert!(store.put_clock_in(u.id, "2026-11-02", "08:55", u.id).expect("clock in"));
    assert!(!store.put_clock_in(u.id, "2026-11-02", "09:30", u.id).expect("second"), "the first clock-in counts");
    store.put_clock_in(u.id, "2026-12-01", "08:50", boss.id).expect("next month");
    let r = store.add_attendance_request(u.id, "makeup", "2026-11-05", &serde_json::json!({"hours": 4})).expect("request");
    assert_eq!((r.kind.as_str(), r.detail["hours"].as_i64()), ("makeup", Some(4)));
    let approved = store.approve_attendance_request(r.id, &boss).expect("approve");
    assert_eq!(approved.approved_by, Some(boss.id));
    assert!(matches!(store.approve_attendance_request(r.id, &boss), Err(StoreError::Conflict(_))));
    let (clock, requests) = store.attendance_month(u.id, "2026-11").expect("month");
    assert_eq!(clock, vec![("2026-11-02".to_string(), "08:55".to_string())]);
    assert_eq!(requests.len(), 1);
}

fn feedback_chat_settings(store: &Store) {
    let u = ensure_user(store, "fb_user", Role::Agent, "热线组", "");
    let f = NewFeedback { kind: "missed".into(), text: "您自己去问吧".into(), rule: String::new(), category: "shirk".into(), conversation_id: None, turn: Some(3), note: String::new() };
    let saved = store.add_feedback(&f, &u, 7, "m1").expect("feedback");
    assert_eq!((saved.turn, saved.rulebook_version, saved.model_version.as_str()), (Some(3), 7, "m1"));
    let listed = store.feedback(Some("热线组"), Some(u.id), Page { limit: 10, offset: 0 }).expect("list");
    assert!(listed.total >= 1 && listed.items[0].id == saved.id);

    let msg = |id: i64, at: &str| kefu_store::chat::ChatMessage {
        source: "chatwoot".into(),
        account_id: 1,
        conversation_id: 42,
        message_id: id,
        speaker: "agent".into(),
        sender: "a@example.com".into(),
        content: "您好".into(),
        violations: "[]".into(),
        created_at: at.into(),
        note_status: String::new(),
    };
    assert!(store.put_chat_message(&msg(2, "2026-11-23T10:00:01+08:00")).expect("put"));
    assert!(!store.put_chat_message(&msg(2, "2026-11-23T10:00:01+08:00")).expect("redelivery"), "stored once");
    assert!(store.put_chat_message(&msg(1, "2026-11-23T10:00:00+08:00")).expect("put"));
    store.set_note_status("chatwoot", 1, 2, "posted").expect("status");
    let chat = store.chat_messages("chatwoot", 1, 42).expect("chat");
    assert_eq!(chat.iter().map(|m| (m.message_id, m.note_status.as_str())).collect::<Vec<_>>(), [(1, ""), (2, "posted")]);

    store.set_setting("smtp", "{\"host\":\"a\"}", Some(&u)).expect("set");
    store.set_setting("smtp", "{\"host\":\"b\"}", None).expect("set again");
    assert_eq!(store.setting("smtp").expect("get").as_deref(), Some("{\"host\":\"b\"}"));
    assert!(store.setting("absent").expect("get").is_none());
    store.probe_write().expect("probe");
    let (conversations, _, users) = store.counts().expect("counts");
    assert!(conversations >= 0 && users >= 1);
}

fn leases(store: &Store) {
    assert!(store.acquire_lease("sweeper", "instance-a", 60_000).expect("take"));
    assert!(!store.acquire_lease("sweeper", "instance-b", 60_000).expect("held"), "held by a");
    assert!(store.acquire_lease("sweeper", "instance-a", 60_000).expect("renew"));
    assert_eq!(store.lease_holder("sweeper").expect("holder").as_deref(), Some("instance-a"));
    store.release_lease("sweeper", "instance-a").expect("release");
    assert!(store.acquire_lease("sweeper", "instance-b", 1).expect("free after release"));
    std::thread::sleep(Duration::from_millis(30));
    assert!(store.lease_holder("sweeper").expect("holder").is_none(), "ran out");
    assert!(store.acquire_lease("sweeper", "instance-a", 60_000).expect("taken over after it ran out"));
    store.release_lease("sweeper", "instance-a").expect("release");
}

fn retention(store: &Store) {
    let agent = ensure_user(store, "ret_agent", Role::Agent, "保留组", "RET1");
    let (old, old_card, v) = inspected("ret-old", "RET1", "2026-01-05T10:00:00+08:00", true);
    store.put_conversation(&old, &old_card, &v, "api", 1, false, &WriteScope::All, None).expect("old");
    let failed = old_card.checks.iter().find(|c| c.result == Outcome::Fail).map(|c| c.id.clone()).expect("failed check");
    store.file_appeal("ret-old", &failed, agent.id, "申诉", false).expect("appeal on the old one");
    let (new, new_card, _) = inspected("ret-new", "RET1", "2026-11-28T10:00:00+08:00", false);
    store.put_conversation(&new, &new_card, &[], "api", 1, false, &WriteScope::All, None).expect("new");
    let fields = serde_json::json!({"customer": "赵女士", "contact": "13912345678", "address": "幸福路 1 号", "description": "冰箱不制冷"});
    let record = store
        .create_record(
            &NewRecord { kind: "repair", team: "保留组", owner_id: agent.id, supervisor: "", department: "", urgent: false, received_at: "2026-01-06T09:00:00+08:00", conversation_id: Some("ret-old"), fields: &fields },
            &[],
            &agent,
        )
        .expect("record");
    store.record_event(record.id, "closed", "", &agent).expect("close");
    let open = store
        .create_record(
            &NewRecord { kind: "repair", team: "保留组", owner_id: agent.id, supervisor: "", department: "", urgent: false, received_at: "2026-01-07T09:00:00+08:00", conversation_id: None, fields: &fields },
            &[],
            &agent,
        )
        .expect("open record");

    let personal = kefu_core::desk::PERSONAL_FIELDS;
    let report = store.apply_retention(Some("2026-06-01"), Some("2026-06-01"), personal).expect("retention");
    assert_eq!((report.conversations, report.records_erased), (1, 1), "{report:?}");
    assert!(store.conversation("ret-old").expect("read").is_none());
    assert!(store.conversation("ret-new").expect("read").is_some());
    assert_eq!(store.appeals(None, None, None, Some("ret-old"), Page::ALL).expect("appeals").total, 0, "appeals go with their conversation");
    let erased = store.record(record.id).expect("read").expect("record stays");
    assert_eq!(erased.fields["contact"], "（已按保留期限删除）");
    assert_eq!(erased.fields["customer"], "（已按保留期限删除）");
    assert_eq!(erased.fields["description"], "冰箱不制冷", "what is not personal stays");
    let kept = store.record(open.id).expect("read").expect("record");
    assert_eq!(kept.fields["contact"], "13912345678", "an open record keeps what its handling needs");
    let log = store.audit_log(5).expect("audit");
    assert!(log.iter().any(|e| e.action == "retention.delete" && e.detail.contains("删除会话 1 个")), "{log:?}");
    // A second run finds nothing and writes nothing.
    let again = store.apply_retention(Some("2026-06-01"), Some("2026-06-01"), personal).expect("again");
    assert!(again.is_empty(), "{again:?}");
}

/// Four writers at once: every acknowledged write is there afterwards, none twice.
fn concurrent_writers(store: Arc<Store>) {
    let agent = ensure_user(&store, "conc_agent", Role::Agent, "并发组", "CONC1");
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for i in 0..15 {
                    let id = format!("conc-{w}-{i}");
                    let (conv, card, v) = inspected(&id, "CONC1", "2026-11-25T10:00:00+08:00", i % 2 == 0);
                    match store.put_conversation(&conv, &card, &v, "load", 1, false, &WriteScope::All, None) {
                        Ok(_) => acknowledged.push(id),
                        Err(e) => eprintln!("write {id} failed: {e}"),
                    }
                }
                acknowledged
            })
        })
        .collect();
    let acknowledged: Vec<String> = writers.into_iter().flat_map(|h| h.join().expect("writer")).collect();
    assert_eq!(acknowledged.len(), 60, "every write succeeds (retried serialization failures included)");
    let (total, rows) = store.search(&Search { agent: Some("CONC1".into()), limit: 100, ..Search::default() }).expect("search");
    assert_eq!(total, 60);
    let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60);
    assert_eq!(agent.team, "并发组");
}
