//! The HTTP API against a real server on loopback.

mod common;

use common::{call, qa_dev, Credential, Session, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Every path of the OpenAPI document except log-in answers 401 without credentials.
#[tokio::test]
async fn no_endpoint_without_credentials() {
    let server = TestServer::start("anon").await;
    let anon = server.anonymous();
    let (status, doc) = anon.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "the document lists the API: {}", paths.len());
    let mut checked = 0;
    for (path, item) in paths {
        for method in item.as_object().expect("methods").keys() {
            if path == "/api/v1/auth/login" {
                continue;
            }
            let concrete = path.replace("{id}", "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let body = if m == Method::GET { None } else { Some(json!({})) };
            let (status, body) = anon.call(m, &concrete, body).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
            assert_eq!(body["error"]["code"], "unauthorized");
            checked += 1;
        }
    }
    assert!(checked >= 20);
    for path in ["/metrics", "/api/v1/assist"] {
        assert_eq!(anon.get(path).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, health) = anon.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    // A forged cookie or token is no way in either.
    let forged = anon.with_token("kefu_0000");
    assert_eq!(forged.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn login_logout_and_wrong_passwords() {
    let server = TestServer::start("login").await;
    let anon = server.anonymous();
    for (user, password) in [("admin", "wrong-password"), ("nobody", "whatever-pass")] {
        let (status, body) = anon.post("/api/v1/auth/login", json!({"username": user, "password": password})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["message"], "用户名或密码错误", "the same answer for unknown users");
    }
    let admin = server.admin().await;
    let (status, me) = admin.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none(), "never sent out");
    assert_eq!(admin.post("/api/v1/auth/logout", json!({})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(admin.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "the session is gone");
    // The password is stored hashed with Argon2id.
    let db = rusqlite_hashes(&server.data);
    assert!(db.iter().all(|h| h.starts_with("$argon2id$")), "{db:?}");
    server.stop().await;
}

fn rusqlite_hashes(data: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(data.join("kefu.sqlite3")).expect("database file");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(common::ADMIN_PASSWORD), "no plain password in the database");
    text.match_indices("$argon2").map(|(i, _)| text[i..i + 10].to_string()).collect()
}

#[tokio::test]
async fn engine_endpoints_follow_the_cli_contracts() {
    let server = TestServer::start("engine").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "li.na", "agent", "一组", "A1024").await;

    let (status, r) = agent.post("/api/v1/lint", json!({"text": "這事兒不 歸我管，你找别的部门"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let v = &r["violations"][0];
    assert_eq!(v["category"], "shirk");
    for field in ["rule", "severity", "start", "end", "matched", "message", "suggestion", "source"] {
        assert!(!v[field].is_null(), "{field}");
    }
    let text: Vec<char> = r["text"].as_str().expect("text").chars().collect();
    let (s, e) = (v["start"].as_u64().expect("start") as usize, v["end"].as_u64().expect("end") as usize);
    assert_eq!(text[s..e].iter().collect::<String>(), v["matched"].as_str().expect("matched"), "span in the original text");
    let (_, clean) = agent.post("/api/v1/lint", json!({"text": "您好，请问有什么可以帮到您？"})).await;
    assert_eq!(clean["violations"], json!([]));
    // A meaning no rule lists: the semantic layer's hit, with its confidence; a rule hit has none.
    let (_, r) = agent.post("/api/v1/lint", json!({"text": "您可真厉害，这都能弄坏"})).await;
    let v = &r["violations"][0];
    assert_eq!(v["rule"], "arrogant.semantic", "{r}");
    assert!(v["confidence"].as_f64().is_some_and(|c| c > 0.5 && c <= 1.0), "{r}");
    let (_, r) = agent.post("/api/v1/lint", json!({"text": "这事儿不归我管"})).await;
    assert!(r["violations"][0]["confidence"].is_null(), "{r}");

    let (status, c) = agent.post("/api/v1/classify", json!({"text": "谢谢你，帮了大忙了"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(c.get("alternatives").is_none(), "a sure answer offers no choice: {c}");
    // An unsure one (what is 上次说的那个事情 about?) offers the likely scenarios with their replies.
    let (_, unsure) = agent.post("/api/v1/classify", json!({"text": "上次说的那个事情"})).await;
    assert!(unsure["confidence"].as_f64().is_some_and(|c| c < 0.6), "{unsure}");
    let alternatives = unsure["alternatives"].as_array().expect("alternatives");
    assert!((1..=3).contains(&alternatives.len()), "{unsure}");
    assert!(alternatives.iter().all(|a| a["scenario"].is_string() && a["confidence"].is_number()), "{unsure}");
    assert!(c["confidence"].as_f64().is_some());
    assert!(c["reply"].as_str().is_some_and(|r| !r.is_empty()), "{c}");

    let (status, r) = agent.post("/api/v1/reply", json!({"scenario": "opening", "line": "vip", "at": "2026-03-02T09:00:00+08:00"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(r["text"].as_str().is_some_and(|t| t.contains("早上好")), "{r}");
    let (status, r) = agent.post("/api/v1/reply", json!({"scenario": "no_such_thing"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");

    let (status, card) = agent.post("/api/v1/inspect", call("c-1", "A1024", "2026-03-02T10:00:00+08:00")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["id"], "c-1");
    assert_eq!(card["score"], 0, "forbidden language is a veto");
    let forbidden = card["checks"].as_array().expect("checks").iter().find(|c| c["id"] == "language.forbidden").expect("check");
    assert_eq!(forbidden["result"], "fail");
    assert_eq!(forbidden["evidence"][0]["turn"], 4);

    let (status, batch) = agent.post("/api/v1/inspect", json!([call("c-2", "A1024", "2026-03-02T10:00:00+08:00"), {"id": "bad"}])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(batch[0]["id"], "c-2");
    assert_eq!(batch[1]["index"], 1, "a bad item is an error record, the rest still inspected");
    assert!(batch[1]["error"].as_str().is_some());
    // Nothing of this was stored.
    let (_, found) = admin.get("/api/v1/conversations").await;
    assert_eq!(found["total"], 0);
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_answers() {
    let server = TestServer::start("bad").await;
    let admin = server.admin().await;
    let send_raw = |body: Vec<u8>, content_type: &'static str| {
        let s = admin.clone();
        async move {
            let r = s.request(Method::POST, "/api/v1/lint").header("content-type", content_type).body(body).send().await.expect("send");
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (b"{\"text\":".to_vec(), "application/json", StatusCode::BAD_REQUEST, "invalid_json"),
        (b"not json".to_vec(), "application/json", StatusCode::BAD_REQUEST, "invalid_json"),
        (b"{\"text\": 5}".to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (b"{\"text\": \"x\", \"extra\": 1}".to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (b"{}".to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (b"{\"text\": \"x\"}".to_vec(), "text/plain", StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type"),
        (vec![0xff, 0xfe, 0x00], "application/json", StatusCode::BAD_REQUEST, "invalid_json"),
    ];
    for (body, ct, want, code) in cases {
        let shown = String::from_utf8_lossy(&body).to_string();
        let (status, r) = send_raw(body, ct).await;
        assert_eq!(status, want, "{shown}: {r}");
        assert_eq!(r["error"]["code"], code, "{shown}: {r}");
        assert!(r["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        // Said in Chinese for people: never the parser's English.
        let message = r["error"]["message"].as_str().unwrap_or_default();
        for english in ["expected", "invalid type", "at line", "column", "missing field", "unknown field", "EOF"] {
            assert!(!message.contains(english), "{shown}: {message}");
        }
    }
    // Oversized: above the body limit → 413, and the server is still fine.
    let huge = format!("{{\"text\": \"{}\"}}", "好".repeat(6 * 1024 * 1024));
    let (status, _) = send_raw(huge.into_bytes(), "application/json").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let long = json!({"text": "好".repeat(200_000)});
    let (status, r) = admin.post("/api/v1/lint", long).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
    // Query strings and paths.
    let (status, r) = admin.get("/api/v1/conversations?min_score=high").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(admin.get("/api/v1/conversations?from=2026-13-40").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(admin.get("/api/v1/conversations?colour=red").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(admin.get("/api/v1/appeals/abc/decision").await.0, StatusCode::METHOD_NOT_ALLOWED);
    let (status, r) = admin.post("/api/v1/appeals/abc/decision", json!({"decision": "upheld"})).await;
    assert!(status.is_client_error(), "{status} {r}");
    assert_eq!(admin.get("/api/v1/nothing-here").await.0, StatusCode::NOT_FOUND);
    let (status, r) = admin.post("/api/v1/conversations", json!({"id": "x", "channel": "fax", "turns": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (status, r) = admin.post("/api/v1/users", json!({"username": "a b", "display_name": "x", "role": "agent", "password": "long-enough"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    let (status, r) = admin.post("/api/v1/users", json!({"username": "ab", "display_name": "x", "role": "root", "password": "long-enough"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (status, r) = admin.post("/api/v1/users", json!({"username": "ab", "display_name": "x", "role": "agent", "password": "short"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    let (_, metrics) = admin.get("/metrics").await;
    let metrics = metrics.as_str().expect("text").to_string();
    assert!(metrics.contains("kefu_http_requests_total{status=\"5xx\"} 0"), "never a 500:\n{metrics}");
    server.stop().await;
}

#[tokio::test]
async fn roles_are_enforced() {
    let server = TestServer::start("roles").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "agent1", "agent", "一组", "A1").await;
    let other_agent = server.user(&admin, "agent2", "agent", "一组", "A2").await;
    let lead1 = server.user(&admin, "lead1", "supervisor", "一组", "").await;
    let lead2 = server.user(&admin, "lead2", "supervisor", "二组", "").await;
    let _agent3 = server.user(&admin, "agent3", "agent", "二组", "A3").await;

    for (i, a) in ["A1", "A2", "A3"].iter().enumerate() {
        let (status, r) = admin.post("/api/v1/conversations", call(&format!("call-{i}"), a, "2026-03-02T10:00:00+08:00")).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    // Agents: own scorecards only; no users, rulebook edits, decisions or stores.
    let (_, mine) = agent.get("/api/v1/conversations").await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["agent"], "A1");
    let (_, forced) = agent.get("/api/v1/conversations?agent=A2").await;
    assert_eq!(forced["total"], 0, "an agent cannot widen the filter");
    assert_eq!(agent.get("/api/v1/conversations/call-1").await.0, StatusCode::NOT_FOUND, "another agent's call is invisible");
    assert_eq!(agent.get("/api/v1/conversations/call-0").await.0, StatusCode::OK);
    assert_eq!(agent.get("/api/v1/users").await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.post("/api/v1/conversations", call("x", "A1", "2026-03-02T10:00:00+08:00")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.post("/api/v1/appeals/1/decision", json!({"decision": "overturned"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.get("/api/v1/rulebook/file?path=forbidden/shirk.toml").await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.get("/metrics").await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.get("/api/v1/audit").await.0, StatusCode::FORBIDDEN);
    let (status, _) = agent.post("/api/v1/tokens", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Supervisors: their team's scorecards.
    let (_, team1) = lead1.get("/api/v1/conversations").await;
    assert_eq!(team1["total"], 2);
    let (_, team2) = lead2.get("/api/v1/conversations").await;
    assert_eq!(team2["total"], 1);
    assert_eq!(lead2.get("/api/v1/conversations/call-0").await.0, StatusCode::NOT_FOUND);
    assert_eq!(lead1.get("/api/v1/users").await.0, StatusCode::FORBIDDEN);
    let edit = json!({"path": "forbidden/shirk.toml", "text": "", "base_version": 1});
    assert_eq!(lead1.call(Method::PUT, "/api/v1/rulebook/file", Some(edit)).await.0, StatusCode::FORBIDDEN);
    // Names for ids: each sees the people of their scope, never a password hash.
    let names = |r: &Value| -> Vec<String> { r["people"].as_array().into_iter().flatten().filter_map(|p| p["username"].as_str().map(str::to_string)).collect() };
    let (status, seen) = agent.get("/api/v1/people").await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let seen_names = names(&seen);
    assert!(seen_names.contains(&"agent1".to_string()) && seen_names.contains(&"lead1".to_string()) && !seen_names.contains(&"agent2".to_string()), "{seen}");
    assert!(!seen.to_string().contains("password"), "{seen}");
    let (_, seen) = lead1.get("/api/v1/people").await;
    let seen_names = names(&seen);
    assert!(seen_names.contains(&"agent2".to_string()) && !seen_names.contains(&"agent3".to_string()), "{seen}");
    let (_, seen) = admin.get("/api/v1/people").await;
    assert_eq!(seen["teams"], json!(["一组", "二组"]), "{seen}");
    // An agent may change their own password, nothing else of their account.
    let (_, me) = other_agent.get("/api/v1/me").await;
    let id = me["id"].as_i64().expect("id");
    let (status, _) = other_agent.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(json!({"role": "admin"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, r) = other_agent.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(json!({"password": "a-new-password"}))).await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")), "{r}");
    let wrong = json!({"password": "a-new-password", "current_password": "not-my-password"});
    let (status, r) = other_agent.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(wrong)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{r}");
    let second = server.login("agent2", "agent2-password").await;
    let change = json!({"password": "a-new-password", "current_password": "agent2-password"});
    let response = other_agent.request(Method::PATCH, &format!("/api/v1/users/{id}")).json(&change).send().await.expect("patch");
    assert_eq!(response.status(), StatusCode::OK);
    let fresh = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a fresh session cookie").split(';').next().expect("pair").to_string();
    assert_eq!(other_agent.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "a new password ends the sessions");
    assert_eq!(second.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "all of them");
    let renewed = Session { auth: Credential::Cookie(fresh), ..other_agent.clone() };
    assert_eq!(renewed.get("/api/v1/me").await.0, StatusCode::OK, "the caller who changed it carries on in a new session");
    server.login("agent2", "a-new-password").await;
    // Deactivated accounts are out at once.
    let (_, me) = agent.get("/api/v1/me").await;
    let id = me["id"].as_i64().expect("id");
    assert_eq!(admin.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(json!({"active": false}))).await.0, StatusCode::OK);
    assert_eq!(agent.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn conversations_are_stored_and_searchable() {
    let server = TestServer::start("search").await;
    let admin = server.admin().await;
    let (status, r) = admin.post("/api/v1/conversations", Value::Array(qa_dev())).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["stored"], 8);
    assert_eq!(r["errors"], 0);
    let (status, r) = admin.post("/api/v1/conversations", call("later", "A9", "2026-03-05T15:00:00+08:00")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(r["score"], 0);
    assert_eq!(r["failed"], json!(["language.forbidden"]));
    let (status, r) = admin.post("/api/v1/conversations", call("later", "A9", "2026-03-05T15:00:00+08:00")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{r}");
    assert_eq!(admin.post("/api/v1/conversations?replace=true", call("later", "A9", "2026-03-05T15:00:00+08:00")).await.0, StatusCode::CREATED);

    let (_, all) = admin.get("/api/v1/conversations").await;
    assert_eq!(all["total"], 9);
    let (_, by_agent) = admin.get("/api/v1/conversations?agent=A9").await;
    assert_eq!(by_agent["total"], 1);
    let (_, by_check) = admin.get("/api/v1/conversations?check=language.forbidden").await;
    let ids: Vec<&str> = by_check["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(by_check["total"], 3, "{ids:?}");
    assert!(ids.contains(&"dev-forbidden-3") && ids.contains(&"later"));
    let (_, by_day) = admin.get("/api/v1/conversations?from=2026-03-03&to=2026-03-31").await;
    assert_eq!(by_day["total"], 1);
    let (_, low) = admin.get("/api/v1/conversations?max_score=50").await;
    assert!(low["items"].as_array().expect("items").iter().all(|i| i["score"].as_u64().is_some_and(|s| s <= 50)));
    let (_, page) = admin.get("/api/v1/conversations?limit=2&offset=2").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["total"], 9);
    // Sorted by score both ways; an unknown order and inverted ranges are said in Chinese.
    let scores = |r: &Value| -> Vec<u64> { r["items"].as_array().into_iter().flatten().filter_map(|i| i["score"].as_u64()).collect() };
    let (_, up) = admin.get("/api/v1/conversations?sort=score").await;
    let (_, down) = admin.get("/api/v1/conversations?sort=-score").await;
    let (mut sorted, reversed) = (scores(&up), scores(&down));
    assert_eq!(sorted.len(), 9);
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{sorted:?}");
    sorted.reverse();
    assert_eq!(sorted, reversed);
    let (status, r) = admin.get("/api/v1/conversations?sort=random").await;
    assert_eq!((status, r["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("sort")), "{r}");
    let (status, r) = admin.get("/api/v1/conversations?min_score=80&max_score=20").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("最低分")), "{r}");
    assert_eq!(r["error"]["fields"], json!(["min_score", "max_score"]), "{r}");
    let (status, r) = admin.get("/api/v1/reports/summary?from=2026-03-31&to=2026-03-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("晚于截止日")), "{r}");

    let (status, view) = admin.get("/api/v1/conversations/dev-late-2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["transcript"]["id"], "dev-late-2");
    assert_eq!(view["scorecard"]["score"], 93);
    assert_eq!(view["conversation"]["failed"], json!(["opening.late_answer_apology"]));

    // The charts: most-failed checks, score by agent, violations by category per day.
    let (status, report) = admin.get("/api/v1/reports/summary").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["conversations"], 9);
    let forbidden = report["by_check"].as_array().expect("by_check").iter().find(|c| c["check"] == "language.forbidden").cloned().expect("check row");
    assert_eq!(forbidden["failed"], 3);
    assert!(report["by_agent"].as_array().expect("by_agent").iter().any(|a| a["agent"] == "A9" && a["mean_score"] == 0.0));
    assert!(report["by_category_day"].as_array().expect("days").iter().any(|d| d["day"] == "2026-03-05" && d["category"] == "shirk"), "{report}");

    // The generic webhook: same format, an integration token, the scorecard back.
    let (status, t) = admin.post("/api/v1/tokens", json!({"name": "录音系统"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = t["token"].as_str().expect("token");
    assert!(token.starts_with("kefu_"));
    let hook = admin.with_token(token);
    let (status, r) = hook.post("/api/v1/webhooks/transcript", call("hooked", "A9", "2026-03-06T09:30:00+08:00")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["results"][0]["scorecard"]["id"], "hooked");
    assert_eq!(r["results"][0]["scorecard"]["score"], 0);
    let (_, view) = admin.get("/api/v1/conversations/hooked").await;
    assert_eq!(view["conversation"]["source"], "webhook");
    server.stop().await;
}

#[tokio::test]
async fn appeals_move_the_score() {
    let server = TestServer::start("appeals").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "zhang.min", "agent", "一组", "A0731").await;
    let other = server.user(&admin, "other", "agent", "一组", "A0999").await;
    let lead = server.user(&admin, "lead", "supervisor", "一组", "").await;
    let (status, _) = admin.post("/api/v1/conversations", Value::Array(qa_dev())).await;
    assert_eq!(status, StatusCode::OK);

    // dev-late-2 failed only opening.late_answer_apology: 93 points.
    let path = "/api/v1/conversations/dev-late-2/appeals";
    let (status, r) = agent.post(path, json!({"check": "opening.late_answer_apology", "reason": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is required: {r}");
    let (status, r) = agent.post(path, json!({"check": "closing.farewell", "reason": "道别了"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a passed check cannot be appealed: {r}");
    let (status, r) = agent.post(path, json!({"check": "no.such", "reason": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{r}");
    assert_eq!(other.post(path, json!({"check": "opening.late_answer_apology", "reason": "x"})).await.0, StatusCode::NOT_FOUND, "not their call");
    let (status, appeal) = agent.post(path, json!({"check": "opening.late_answer_apology", "reason": "系统振铃次数记录有误，实际两声接起"})).await;
    assert_eq!(status, StatusCode::CREATED, "{appeal}");
    assert_eq!(appeal["status"], "pending");
    let (status, _) = agent.post(path, json!({"check": "opening.late_answer_apology", "reason": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one open appeal per check");

    let (_, pending) = lead.get("/api/v1/appeals?status=pending").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(1));
    let id = appeal["id"].as_i64().expect("id");
    let decision = format!("/api/v1/appeals/{id}/decision");
    let (status, r) = lead.post(&decision, json!({"decision": "maybe"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    let (status, r) = lead.post(&decision, json!({"decision": "overturned", "comment": "核对录音属实"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["appeal"]["status"], "overturned");
    assert_eq!(r["conversation"]["score"], 100, "the score follows the decision");
    assert_eq!(r["conversation"]["original_score"], 93);
    assert_eq!(lead.post(&decision, json!({"decision": "upheld"})).await.0, StatusCode::CONFLICT, "decided once");
    let (_, view) = agent.get("/api/v1/conversations/dev-late-2").await;
    let check = view["scorecard"]["checks"].as_array().expect("checks").iter().find(|c| c["id"] == "opening.late_answer_apology").cloned().expect("check");
    assert_eq!(check["result"], "pass");
    assert_eq!(view["appeals"][0]["comment"], "核对录音属实");
    let (_, failing) = admin.get("/api/v1/conversations?check=opening.late_answer_apology").await;
    assert_eq!(failing["total"], 0, "search follows too");

    // Upheld: the veto stays.
    let (status, appeal) = agent.post("/api/v1/conversations/dev-forbidden-3/appeals", json!({"check": "language.forbidden", "reason": "客户先说的"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, r) = lead.post(&format!("/api/v1/appeals/{}/decision", appeal["id"]), json!({"decision": "upheld"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["conversation"]["score"], 0);
    let (_, log) = admin.get("/api/v1/audit").await;
    let actions: Vec<&str> = log.as_array().expect("audit").iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"appeal.overturn") && actions.contains(&"appeal.uphold"), "{actions:?}");

    // A second appeal of a decided check needs new grounds, and a reason not given before.
    let again = "/api/v1/conversations/dev-forbidden-3/appeals";
    let (status, r) = agent.post(again, json!({"check": "language.forbidden", "reason": "客户先说的"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{r}");
    let (status, r) = agent.post(again, json!({"check": "language.forbidden", "reason": "客户先说的 ", "new_grounds": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the same reason is no new ground: {r}");
    let (status, r) = agent.post(again, json!({"check": "language.forbidden", "reason": "录音第 12 秒是客户原话，坐席在复述", "new_grounds": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    // Tabs: 待处理 and 已处理.
    let (_, decided) = lead.get("/api/v1/appeals?status=decided").await;
    assert_eq!(decided.as_array().map(Vec::len), Some(2), "{decided}");
    let (_, pending) = lead.get("/api/v1/appeals?status=pending").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "{pending}");

    // The agent was told of both decisions: the bell counts them, each links to its conversation.
    let (_, unread) = agent.get("/api/v1/notifications/unread").await;
    assert_eq!(unread["unread"], 2, "{unread}");
    let (_, notes) = agent.get("/api/v1/notifications").await;
    let notes = notes.as_array().cloned().unwrap_or_default();
    assert!(notes.iter().any(|n| n["kind"] == "appeal" && n["link"] == "#/conversation/dev-late-2" && n["message"].as_str().is_some_and(|m| m.contains("已改判") && m.contains("超过三声接听致歉"))), "{notes:?}");
    assert_eq!(other.get("/api/v1/notifications/unread").await.1["unread"], 0, "not told to others");
    let first = notes[0]["id"].as_i64().expect("id");
    let (_, left) = agent.post("/api/v1/notifications/read", json!({"ids": [first]})).await;
    assert_eq!(left["unread"], 1, "{left}");
    let (_, left) = agent.post("/api/v1/notifications/read", json!({})).await;
    assert_eq!(left["unread"], 0, "{left}");
    let (_, notes) = agent.get("/api/v1/notifications").await;
    assert!(notes.as_array().into_iter().flatten().all(|n| n["read"] == true), "{notes}");

    // 合格率 at the pass mark (default 80), configurable; the appeal window closes.
    let (_, report) = lead.get("/api/v1/reports/summary").await;
    assert_eq!(report["pass_mark"], 80, "{report}");
    let passed_at_80 = report["passed"].as_u64().expect("passed");
    assert!(passed_at_80 > 0 && passed_at_80 < report["conversations"].as_u64().unwrap_or(0), "{report}");
    let (status, r) = admin.call(Method::PUT, "/api/v1/settings/qa", Some(json!({"pass_mark": 100, "appeal_window_days": 7}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (_, report) = lead.get("/api/v1/reports/summary").await;
    assert!(report["passed"].as_u64().is_some_and(|p| p < passed_at_80 || p == report["conversations"].as_u64().unwrap_or(0)), "{report}");
    assert_eq!(lead.call(Method::PUT, "/api/v1/settings/qa", Some(json!({"pass_mark": 60}))).await.0, StatusCode::FORBIDDEN);
    assert_eq!(admin.call(Method::PUT, "/api/v1/settings/qa", Some(json!({"pass_mark": 101}))).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    {
        let db = rusqlite::Connection::open(server.data.join("kefu.sqlite3")).expect("open the database");
        db.execute("UPDATE conversations SET inspected_at = '2026-01-05T09:00:00+08:00' WHERE id = 'dev-nogreet-5'", []).expect("age the inspection");
    }
    let (status, r) = agent.post("/api/v1/conversations/dev-nogreet-5/appeals", json!({"check": "opening.greeting", "reason": "有问候"})).await;
    assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("appeal_window_closed")), "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("7 天")), "{r}");
    // The export holds every scorecard of the search, names not ids.
    let response = lead.request(Method::GET, "/api/v1/conversations/export.xlsx?check=language.forbidden").send().await.expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = calamine::Reader::worksheet_range(&mut book, "评分卡").expect("sheet");
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0][0], "会话编号");
    assert!(rows.len() > 1 && rows[1..].iter().all(|r| r[10].contains("禁用服务忌语")), "{rows:?}");
    assert!(rows[1..].iter().all(|r| r[1] == "zhang.min" && r[2] == "A0731"), "the account's display name beside the id: {rows:?}");
    server.stop().await;
}

#[tokio::test]
async fn rulebook_edits_are_validated_versioned_and_audited() {
    let server = TestServer::start("rulebook").await;
    let admin = server.admin().await;
    let (status, book) = admin.get("/api/v1/rulebook").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(book["version"], 1);
    let categories: Vec<&str> = book["categories"].as_array().expect("categories").iter().filter_map(|c| c["id"].as_str()).collect();
    for id in ["command", "blame", "grumble", "lecture", "shirk", "impatient", "rude_address", "interrogate", "arrogant", "blunt_correction"] {
        assert!(categories.contains(&id), "{id}");
    }
    let (_, rule) = admin.get("/api/v1/rulebook/rules/shirk.not_my_job").await;
    assert!(rule["source"].as_str().is_some_and(|s| s.contains(".md")));
    let (_, file) = admin.get(&format!("/api/v1/rulebook/file?path={}", rule["file"].as_str().expect("file"))).await;
    let original = file["text"].as_str().expect("text").to_string();
    let path = file["path"].as_str().expect("path").to_string();

    // Broken TOML: refused with file:line, nothing changes.
    let broken = format!("{original}\n[[rule]]\nid = \"shirk.broken\"\ncategory = \n");
    let (status, r) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": path, "text": broken, "base_version": 1}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["error"]["code"], "invalid_rulebook");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains(&path) && m.contains(':')), "{r}");
    // A rule whose own bad example it does not catch: refused by the examples.
    let wrong = format!("{original}\n[[rule]]\nid = \"shirk.test_rule\"\ncategory = \"shirk\"\nseverity = \"error\"\nmessage = \"m\"\nsuggestion = \"s\"\nsource = \"test\"\npatterns = [\"青蛙跳水\"]\nbad = [\"狮子滚绣球\"]\n");
    let (status, r) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": path, "text": wrong, "base_version": 1}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("shirk.test_rule")), "{r}");
    let (_, probe) = admin.post("/api/v1/lint", json!({"text": "青蛙跳水"})).await;
    assert_eq!(probe["violations"], json!([]));

    // A valid new rule: a new version, in use at once, audited.
    let good = format!("{original}\n[[rule]]\nid = \"shirk.test_rule\"\ncategory = \"shirk\"\nseverity = \"error\"\nmessage = \"测试规则\"\nsuggestion = \"请换一种说法\"\nsource = \"test\"\npatterns = [\"青蛙跳水\"]\nbad = [\"你这是青蛙跳水\"]\n");
    let (status, r) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": path, "text": good, "base_version": 1, "comment": "新增测试规则"}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["version"], 2);
    let (_, probe) = admin.post("/api/v1/lint", json!({"text": "青蛙跳水"})).await;
    assert_eq!(probe["violations"][0]["rule"], "shirk.test_rule");
    assert_eq!(probe["rulebook_version"], 2);
    let (status, _) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": path, "text": original, "base_version": 1}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "an edit on a stale version is refused");
    let (_, versions) = admin.get("/api/v1/rulebook/versions").await;
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["comment"], "新增测试规则");
    let (_, log) = admin.get("/api/v1/audit").await;
    assert!(log.as_array().expect("audit").iter().any(|e| e["action"] == "rulebook.update" && e["username"] == "admin"));
    // The model versions in force are recorded with the edit, and shown with the rulebook.
    assert!(log.as_array().expect("audit").iter().any(|e| e["action"] == "rulebook.update" && e["detail"].as_str().is_some_and(|d| d.contains("模型 agent-"))), "{log}");
    let (_, book) = admin.get("/api/v1/rulebook").await;
    assert!(book["model_versions"].as_array().is_some_and(|v| v.len() == 2), "{}", book["model_versions"]);
    let (status, _) = admin.call(Method::PUT, "/api/v1/rulebook/file", Some(json!({"path": "../etc/passwd", "text": "", "base_version": 2}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, tried) = admin.post("/api/v1/rulebook/try", json!({"text": "青蛙跳水"})).await;
    assert_eq!(tried["violations"][0]["rule"], "shirk.test_rule");

    // From a form: one phrase added to a rule, shown first (dry run), then saved; the file keeps its layout.
    let additions = "/api/v1/rulebook/rules/shirk.test_rule/additions";
    let (status, r) = admin.post(additions, json!({"field": "patterns", "text": "蛤蟆跳井", "base_version": 2, "dry_run": true})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["saved"], false);
    assert!(r["after"].as_str().is_some_and(|a| a.contains(r#"patterns = ["青蛙跳水", "蛤蟆跳井"]"#)), "{r}");
    assert_eq!(admin.get("/api/v1/rulebook/versions").await.1[0]["version"], 2, "a dry run saves nothing");
    let (status, r) = admin.post(additions, json!({"field": "bad", "text": "你这叫蛤蟆跳井", "base_version": 2})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a bad example the rules do not catch is refused: {r}");
    let (status, r) = admin.post(additions, json!({"field": "patterns", "text": "蛤蟆跳井", "base_version": 2})).await;
    assert_eq!((status, r["version"].as_i64()), (StatusCode::OK, Some(3)), "{r}");
    let (_, probe) = admin.post("/api/v1/lint", json!({"text": "你这叫蛤蟆跳井"})).await;
    assert_eq!(probe["violations"][0]["rule"], "shirk.test_rule", "{probe}");
    let lead = server.user(&admin, "rb.lead", "supervisor", "一组", "").await;
    assert_eq!(lead.post(additions, json!({"field": "good", "text": "好", "base_version": 3})).await.0, StatusCode::FORBIDDEN);
    // Every version's files can be read, and an earlier one restored as a new version.
    let (_, v1) = admin.get(&format!("/api/v1/rulebook/file?path={path}&version=1")).await;
    assert_eq!((v1["version"].as_i64(), v1["text"].as_str()), (Some(1), Some(original.as_str())));
    let (status, r) = admin.post("/api/v1/rulebook/versions/1/restore", json!({"base_version": 3, "comment": "撤销测试规则"})).await;
    assert_eq!((status, r["version"].as_i64()), (StatusCode::OK, Some(4)), "{r}");
    let (_, probe) = admin.post("/api/v1/lint", json!({"text": "青蛙跳水"})).await;
    assert_eq!(probe["violations"].as_array().map(Vec::len), Some(0), "the rule is gone again: {probe}");
    let (_, versions) = admin.get("/api/v1/rulebook/versions").await;
    assert_eq!(versions[0]["comment"], "回滚到 v1：撤销测试规则");
    assert_eq!(admin.post("/api/v1/rulebook/versions/99/restore", json!({"base_version": 4})).await.0, StatusCode::NOT_FOUND);
    server.stop().await;

    // The edit survives a restart (the database keeps every version).
    let data = server_data("rulebook");
    let again = TestServer::start_with("rulebook-again", |c| c.data = Some(data)).await;
    let admin = again.admin().await;
    let (_, probe) = admin.post("/api/v1/lint", json!({"text": "蛤蟆跳井"})).await;
    assert_eq!(probe["rulebook_version"], 4, "the rollback is what is in use after the restart");
    assert_eq!(probe["violations"].as_array().map(Vec::len), Some(0), "{probe}");
    again.stop().await;
}

fn server_data(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("kefu-server-test-{}-{name}", std::process::id()))
}

#[tokio::test]
async fn concurrent_writers_lose_nothing() {
    let server = TestServer::start("concurrent").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "busy", "agent", "一组", "A7").await;
    let writers = 8;
    let per_writer = 25;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let s = admin.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..per_writer {
                let (status, _) = s.post("/api/v1/conversations", call(&format!("w{w}-{i}"), "A7", "2026-03-02T10:00:00+08:00")).await;
                if status == StatusCode::CREATED {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut stored = 0;
    for t in tasks {
        stored += t.await.expect("writer");
    }
    assert_eq!(stored, writers * per_writer);
    let (_, all) = admin.get("/api/v1/conversations?limit=1").await;
    assert_eq!(all["total"], writers * per_writer);
    // Appeals on all of them at once.
    let mut tasks = Vec::new();
    for w in 0..writers {
        let s = agent.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..per_writer {
                let (status, _) = s.post(&format!("/api/v1/conversations/w{w}-{i}/appeals"), json!({"check": "language.forbidden", "reason": "复核"})).await;
                if status == StatusCode::CREATED {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut filed = 0;
    for t in tasks {
        filed += t.await.expect("appealer");
    }
    assert_eq!(filed, writers * per_writer);
    let (_, appeals) = admin.get("/api/v1/appeals?status=pending").await;
    assert_eq!(appeals.as_array().map(Vec::len), Some(writers * per_writer));
    server.stop().await;
}

#[tokio::test]
async fn first_run_generates_an_admin_password_shown_once() {
    let data = common::temp_dir("first-run");
    let config = kefu_server::Config { data: Some(data.clone()), admin_password: None, ..kefu_server::Config::default() };
    let started = kefu_server::start(&config).expect("start");
    let (user, password) = started.first_admin.clone().expect("an admin is created on first run");
    let password = password.expect("a generated password");
    assert_eq!(user, "admin");
    assert!(password.len() >= 16);
    drop(started);
    // The second start finds the account: no new password.
    let again = kefu_server::start(&config).expect("start again");
    assert!(again.first_admin.is_none());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(kefu_server::serve(listener, again.state, async move {
        let _ = rx.await;
    }));
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::OK);
    let _ = tx.send(());
    let _ = handle.await;
}
