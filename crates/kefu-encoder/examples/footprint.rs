//! The encoder's memory: resident set before loading, after loading and
//! after embedding (the model file is mapped, so its pages count once they
//! are touched). `cargo run --release -p kefu-encoder --example footprint`
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())).unwrap_or(0)
}

fn main() {
    let path = std::env::var_os(kefu_encoder::MODEL_ENV).map(std::path::PathBuf::from).unwrap_or_else(|| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/encoder/e5-small-q4.bin")));
    let before = rss_kib();
    let encoder = match kefu_encoder::Encoder::load(&path) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let loaded = rss_kib();
    for text in ["您好，请问有什么可以帮您", "这个问题早就跟您说过了，您自己没注意", "谢谢啊，维修师傅已经修好了"] {
        let _ = encoder.embed(text);
    }
    println!("RSS: {} MiB before, {} MiB loaded, {} MiB after three texts", before / 1024, loaded / 1024, rss_kib() / 1024);
}
