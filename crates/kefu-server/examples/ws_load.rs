//! A load generator for the live-assist WebSocket: N agents type a
//! 200-character draft keystroke by keystroke, each keystroke a `draft`
//! message whose answer is awaited before the next (as the console does
//! when typing fast). Reports messages/s, round-trip p50/p99 and the
//! server's own lint time per message (`micros`).
//!
//! usage: cargo run --release -p kefu-server --example ws_load -- HOST:PORT COOKIE|TOKEN CONNECTIONS DRAFTS
//! (the second argument is a session cookie value `kefu_session=…` or an API token `kefu_…`)

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: ws_load HOST:PORT COOKIE|TOKEN CONNECTIONS DRAFTS");
        std::process::exit(2);
    }
    let (host, credential) = (args[1].clone(), args[2].clone());
    let connections: usize = args[3].parse().unwrap_or(16);
    let drafts: usize = args[4].parse().unwrap_or(5);
    let sentence: Vec<char> = "您好，华业售后，工号1024，请问有什么可以帮到您？关于您反映的冰箱不制冷的问题，我已经为您登记，这事儿不归我管的说法是不对的，我们会安排师傅在今天下午联系您，请问这个号码可以联系到您吗？如果还有其他问题，您可以随时拨打我们的服务热线，我们会尽快为您处理，感谢您的耐心等待，祝您生活愉快，再见。"
        .chars()
        .cycle()
        .take(200)
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (host, credential, sentence) = (host.clone(), credential.clone(), sentence.clone());
        tasks.push(tokio::spawn(async move {
            let mut req = format!("ws://{host}/api/v1/assist").into_client_request().expect("request");
            let header = if credential.starts_with("kefu_session=") { ("cookie", credential.clone()) } else { ("authorization", format!("Bearer {credential}")) };
            req.headers_mut().insert(header.0, header.1.parse().expect("header"));
            let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("connect");
            let mut rtt = Vec::new();
            let mut server = Vec::new();
            for _ in 0..drafts {
                for n in 1..=sentence.len() {
                    let text: String = sentence[..n].iter().collect();
                    let t = Instant::now();
                    ws.send(Message::Text(json!({"type": "draft", "id": n, "text": text}).to_string().into())).await.expect("send");
                    loop {
                        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                            Ok(Some(Ok(Message::Text(m)))) => {
                                let v: Value = serde_json::from_str(&m).expect("json");
                                if v["type"] == "lint" {
                                    rtt.push(t.elapsed().as_secs_f64() * 1e3);
                                    server.push(v["micros"].as_f64().unwrap_or(0.0));
                                    break;
                                }
                            }
                            Ok(Some(Ok(_))) => continue,
                            other => panic!("socket ended: {other:?}"),
                        }
                    }
                }
            }
            (rtt, server)
        }));
    }
    let mut rtt = Vec::new();
    let mut server = Vec::new();
    for t in tasks {
        let (r, s) = t.await.expect("task");
        rtt.extend(r);
        server.extend(s);
    }
    let elapsed = started.elapsed().as_secs_f64();
    rtt.sort_by(f64::total_cmp);
    server.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "connections": connections,
            "messages": rtt.len(),
            "seconds": (elapsed * 100.0).round() / 100.0,
            "messages_per_second": (rtt.len() as f64 / elapsed).round(),
            "round_trip_ms": {"p50": percentile(&rtt, 0.5), "p99": percentile(&rtt, 0.99), "max": rtt.last()},
            "server_lint_micros": {"p50": percentile(&server, 0.5), "p99": percentile(&server, 0.99)},
        })
    );
}
