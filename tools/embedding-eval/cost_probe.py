"""Measure one model's cost in a fresh process (so peak RSS is the model's own).

usage: python cost_probe.py MODEL SENTENCES_FILE   -> prints one JSON line

load_s       import + construct (+ one warm-up call for lazily-loading packages)
first_call_ms the first embedding call after load (page-in of mmapped weights)
latency_ms   per-sentence embedding time, batch size 1, over every sentence in the
             file (>=200), after 10 warm-up calls; median / p90 / mean
rss_*_mb     peak resident set size: after `import numpy` (baseline), after load,
             after the latency run (/proc/self/status VmHWM)
disk_mb      bytes of the files the model reads (weights, tokenizer, engine)
"""
import json
import os
import resource
import statistics
import sys
import time

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402  (baseline RSS includes numpy)


def peak_mb():
    # VmHWM of this process's own address space (ru_maxrss can carry the
    # parent's high-water mark across fork+exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    name, path = sys.argv[1], sys.argv[2]
    sents = [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip()]
    rss0 = peak_mb()
    t0 = time.perf_counter()
    import embedders

    cls = embedders.MODELS[name]
    m = cls()
    load_s = time.perf_counter() - t0
    rss_load = peak_mb()
    t = time.perf_counter()
    m.encode([sents[0]])
    first_ms = (time.perf_counter() - t) * 1000.0
    for s in sents[:10]:
        m.encode([s])
    lat = []
    for s in sents:
        t = time.perf_counter()
        v = m.encode([s])
        lat.append((time.perf_counter() - t) * 1000.0)
        assert v.shape[0] == 1 and np.isfinite(v).all()
    lat_sorted = sorted(lat)
    disk = sum(os.path.getsize(f) for f in cls.model_files())
    print(json.dumps({
        "model": name,
        "n_sentences": len(sents),
        "load_s": round(load_s, 3),
        "first_call_ms": round(first_ms, 1),
        "latency_ms_median": round(statistics.median(lat), 2),
        "latency_ms_p90": round(lat_sorted[int(0.9 * (len(lat) - 1))], 2),
        "latency_ms_mean": round(statistics.mean(lat), 2),
        "rss_baseline_mb": round(rss0, 1),
        "rss_after_load_mb": round(rss_load, 1),
        "rss_peak_mb": round(peak_mb(), 1),
        "disk_mb": round(disk / 1e6, 1),
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
    }))


if __name__ == "__main__":
    main()
