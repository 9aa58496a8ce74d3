//! `GET /api/v1/assist`: the live-assist WebSocket of the agent workspace.
//!
//! Client → server (JSON text frames, `type` first):
//! - `{"type":"draft","id":7,"text":"…"}` on every keystroke → `{"type":"lint","id":7,"violations":[…],"micros":…}`
//! - `{"type":"customer","text":"…"}` → `{"type":"scenario","scenario":"…","confidence":…,"reply":"…"}`
//! - `{"type":"hold","state":"start"|"end"}`: a hold starts the standards' timer;
//!   past the limit (2 minutes) → `{"type":"prompt","procedure":"hold","reason":"long_hold",…}`
//!   with the call-back offer; its end → the thanks for waiting.
//! - `{"type":"silence","state":"start"|"end"}`: a silent call walks the procedure
//!   step by step with its pauses → one `{"type":"prompt","procedure":"silent_call","step":N,…}` per step.
//! - `{"type":"procedure","id":"…"}` → the procedure's steps with their phrases rendered.
//!
//! A malformed message gets `{"type":"error","message":"…"}` and the socket stays open.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use kefu_core::reply::ReplyContext;
use kefu_core::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::api::engine::{classify_text, lint_text};
use crate::clock::now_shanghai;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ClientMessage {
    Draft {
        #[serde(default)]
        id: Option<u64>,
        text: String,
    },
    Customer {
        text: String,
    },
    Hold {
        state: Toggle,
    },
    Silence {
        state: Toggle,
    },
    Procedure {
        id: String,
    },
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Toggle {
    Start,
    End,
}

/// Refuses a cross-site WebSocket (a browser always sends Origin; it must be this host).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).is_some_and(|o| o == host)
}

pub async fn upgrade(auth: Auth, State(state): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::forbidden("跨站 WebSocket 请求被拒绝"));
    }
    tracing::info!(target: "kefu::audit", user = %auth.user.username, "assist connected");
    Ok(ws.max_message_size(1 << 20).on_upgrade(move |socket| session(socket, state, auth)))
}

/// Pending timers of one connection.
#[derive(Default)]
struct Timers {
    hold: Option<JoinHandle<()>>,
    silence: Option<JoinHandle<()>>,
}

impl Timers {
    fn cancel(slot: &mut Option<JoinHandle<()>>) {
        if let Some(t) = slot.take() {
            t.abort();
        }
    }
}

impl Drop for Timers {
    fn drop(&mut self) {
        Self::cancel(&mut self.hold);
        Self::cancel(&mut self.silence);
    }
}

async fn session(mut socket: WebSocket, state: AppState, auth: Auth) {
    state.metrics.assist_connections.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel::<Value>(64);
    let mut timers = Timers::default();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(msg)) = incoming else { break };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => {
                        if send(&mut socket, json!({"type": "error", "message": "只接受 JSON 文本消息"})).await.is_err() { break }
                        continue;
                    }
                };
                state.metrics.assist_messages.fetch_add(1, Ordering::Relaxed);
                let reply = handle(&state, &auth, &text, &mut timers, &tx);
                if let Some(reply) = reply {
                    if send(&mut socket, reply).await.is_err() { break }
                }
            }
            Some(prompt) = rx.recv() => {
                if send(&mut socket, prompt).await.is_err() { break }
            }
        }
    }
    drop(timers);
    state.metrics.assist_connections.fetch_sub(1, Ordering::Relaxed);
    tracing::info!(target: "kefu::audit", user = %auth.user.username, "assist disconnected");
}

async fn send(socket: &mut WebSocket, v: Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(v.to_string().into())).await
}

fn error(message: impl Into<String>) -> Value {
    json!({"type": "error", "message": message.into()})
}

fn handle(state: &AppState, auth: &Auth, text: &str, timers: &mut Timers, tx: &mpsc::Sender<Value>) -> Option<Value> {
    let msg: ClientMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => return Some(error(format!("无法识别的消息: {e}"))),
    };
    let engine = state.engine();
    let limits = state.limits();
    let too_long = |text: &str| text.chars().nth(limits.max_text_chars).is_some();
    match msg {
        ClientMessage::Draft { id, text } => {
            if too_long(&text) {
                return Some(error(format!("草稿过长（最多 {} 个字符）", limits.max_text_chars)));
            }
            let started = Instant::now();
            let (violations, total) = lint_text(&engine, &text, limits.max_hits_per_turn);
            let micros = started.elapsed().as_secs_f64() * 1e6;
            state.metrics.lint_checks.fetch_add(1, Ordering::Relaxed);
            let mut answer = json!({"type": "lint", "id": id, "violations": violations, "micros": (micros * 10.0).round() / 10.0});
            if total > violations.len() {
                answer["truncated"] = json!(true);
                answer["total"] = json!(total);
            }
            Some(answer)
        }
        ClientMessage::Customer { text } => {
            if too_long(&text) {
                return Some(error(format!("消息过长（最多 {} 个字符）", limits.max_text_chars)));
            }
            // The customer speaking ends a silent-call procedure.
            if timers.silence.as_ref().is_some_and(|t| !t.is_finished()) {
                Timers::cancel(&mut timers.silence);
                let _ = tx.try_send(silence_ended("customer_spoke", "客户已回应，无声电话流程结束。"));
            }
            // The standard reply with this agent's own 工号 and the centre's name.
            let c = classify_text(&engine, &text, &state.reply_context(&auth.user, now_shanghai()));
            let mut answer = json!({"type": "scenario", "text": c.text, "scenario": c.scenario, "confidence": c.confidence, "reply": c.reply});
            if !c.alternatives.is_empty() {
                answer["alternatives"] = json!(c.alternatives);
            }
            Some(answer)
        }
        ClientMessage::Hold { state: Toggle::Start } => {
            Timers::cancel(&mut timers.hold);
            let limit = engine.rulebook.number("hold_max_seconds").unwrap_or(120.0);
            let tx = tx.clone();
            let scale = state.timer_scale;
            let offer = phrase(&engine, "hold.callback_offer");
            timers.hold = Some(tokio::spawn(async move {
                tokio::time::sleep(seconds(limit * scale)).await;
                let _ = tx
                    .send(json!({"type": "prompt", "procedure": "hold", "reason": "long_hold", "after_seconds": limit,
                        "text": offer, "note": "等待已超过2分钟：建议客户留下联系电话，处理后回电（03 §处理过程中需要客户等待时）"}))
                    .await;
            }));
            Some(json!({"type": "prompt", "procedure": "hold", "reason": "hold_started", "limit_seconds": limit, "text": phrase(&engine, "hold.ask_with_reason")}))
        }
        ClientMessage::Hold { state: Toggle::End } => {
            let was = timers.hold.as_ref().is_some_and(|t| !t.is_finished());
            Timers::cancel(&mut timers.hold);
            let id = if was { "hold.thanks_patience" } else { "hold.sorry_long_wait" };
            Some(json!({"type": "prompt", "procedure": "hold", "reason": "hold_ended", "text": phrase(&engine, id)}))
        }
        ClientMessage::Silence { state: Toggle::Start } => {
            Timers::cancel(&mut timers.silence);
            let Some(procedure) = engine.rulebook.procedures.iter().find(|p| p.id == "silent_call").cloned() else {
                return Some(error("规则库中没有无声电话流程（silent_call）"));
            };
            let tx = tx.clone();
            let scale = state.timer_scale;
            let schedule = silence_schedule(&engine, &procedure);
            timers.silence = Some(tokio::spawn(async move {
                let mut elapsed = 0.0;
                for (at, step) in schedule {
                    if at > elapsed {
                        tokio::time::sleep(seconds((at - elapsed) * scale)).await;
                        elapsed = at;
                    }
                    if tx.send(step).await.is_err() {
                        return;
                    }
                }
                let _ = tx.send(silence_ended("finished", "无声电话流程已走完。")).await;
            }));
            None
        }
        ClientMessage::Silence { state: Toggle::End } => {
            let running = timers.silence.as_ref().is_some_and(|t| !t.is_finished());
            Timers::cancel(&mut timers.silence);
            Some(if running { silence_ended("ended", "已结束无声电话流程。") } else { silence_ended("not_running", "无声电话流程未在进行。") })
        }
        ClientMessage::Procedure { id } => match engine.rulebook.procedures.iter().find(|p| p.id == id) {
            Some(p) => {
                let steps: Vec<Value> = p.steps.iter().enumerate().map(|(n, s)| step_json(&engine, &p.id, n, s)).collect();
                Some(json!({"type": "procedure", "id": p.id, "name": p.name, "source": p.source, "steps": steps}))
            }
            None => Some(error(format!("没有流程 {id}"))),
        },
    }
}

/// The end of a silent-call procedure: `reason` is customer_spoke (the
/// customer's speech ended it), ended (the agent's end button), finished
/// (every step said) or not_running.
fn silence_ended(reason: &str, text: &str) -> Value {
    json!({"type": "prompt", "procedure": "silent_call", "reason": reason, "done": true, "text": text})
}

/// The steps of the silent-call procedure with the second (from its start)
/// each is due. Every step waits its pause after the previous one: a `wait`
/// step's seconds, or — where the standard names no pause between two
/// spoken steps (03 gives none between its second and third) — the last
/// pause it did name, so that two steps never arrive together. The wait
/// steps themselves are not sent; each step says how long it waited
/// (`after_seconds`) and when it is due (`at_seconds`).
fn silence_schedule(engine: &Engine, procedure: &kefu_core::rulebook::Procedure) -> Vec<(f64, Value)> {
    let mut out = Vec::new();
    let mut at = 0.0;
    let mut last_pause: f64 = 3.0;
    let mut pending: Option<f64> = None;
    for (n, step) in procedure.steps.iter().enumerate() {
        if let Some(w) = step.wait_seconds.filter(|_| step.say.is_none()) {
            let pause = pending.unwrap_or(0.0) + w[0].max(0.0);
            pending = Some(pause);
            last_pause = w[0].max(0.0);
            continue;
        }
        let pause = match pending.take() {
            Some(p) => p,
            None if out.is_empty() => 0.0,
            None => last_pause,
        };
        at += pause;
        let mut v = step_json(engine, &procedure.id, n, step);
        // Which step of those said (the wait steps are not counted): 第 N 步.
        v["number"] = json!(out.len() + 1);
        v["after_seconds"] = json!(pause);
        v["at_seconds"] = json!(at);
        out.push((at, v));
    }
    out
}

/// A duration from the rulebook's numbers, which an administrator edits: a
/// negative, NaN or huge value must not bring the timer down.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.clamp(0.0, 86_400.0)).unwrap_or(Duration::ZERO)
}

/// A phrase rendered for now, or its id when it cannot be rendered.
fn phrase(engine: &Engine, id: &str) -> String {
    engine.reply(id, &ReplyContext::new(now_shanghai())).map_or_else(|_| id.to_string(), |r| r.text)
}

fn step_json(engine: &Engine, procedure: &str, n: usize, s: &kefu_core::rulebook::Step) -> Value {
    json!({
        "type": "prompt",
        "procedure": procedure,
        "step": n,
        "say": s.say,
        "action": s.action,
        "wait_seconds": s.wait_seconds,
        "text": s.say.as_deref().map(|id| phrase(engine, id)),
        "note": with_phrases(engine, &s.note),
    })
}

/// A step's note with the phrase ids it mentions ("…先说 hold.anxious…")
/// replaced by the phrases themselves, for the agent reading it; a word
/// that is not a phrase id stays as it is.
fn with_phrases(engine: &Engine, note: &str) -> String {
    let is_id_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
    let mut out = String::with_capacity(note.len());
    let mut rest = note;
    while let Some(start) = rest.find(|c: char| c.is_ascii_lowercase()) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..].find(|c: char| !is_id_char(c)).unwrap_or(rest.len() - start);
        let word = rest[start..start + word_len].trim_end_matches('.');
        let known = word.contains('.') && engine.rulebook.phrases.iter().any(|p| p.id == word);
        if known {
            out.push_str(&format!("“{}”", phrase(engine, word)));
        } else {
            out.push_str(word);
        }
        rest = &rest[start + word.len()..];
    }
    out.push_str(rest);
    out
}
