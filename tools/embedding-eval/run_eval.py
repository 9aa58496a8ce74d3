#!/usr/bin/env python3
"""Does a small bundled sentence-embedding model earn a place beside the kefu rule engine?

Runs, for every embedder in embedders.py plus a lexical TF-IDF baseline:
  * scenario classification (customer utterance -> scenario id) with 1-NN,
    distance-weighted 3-NN and nearest-centroid over embeddings;
  * forbidden-phrase detection (agent utterance -> violation?) by nearest-
    neighbour similarity to the standards' listed 服务忌语 (and to training
    violation examples), threshold tuned on one split, tested on another;
  * cost: disk, load time, batch-1 latency, peak RSS (cost_probe.py, fresh process).
Writes out/results.json, out/*.tsv and RESULTS.md (verdict text from verdict.md).

Inputs (read-only): shared/eval/{scenario,lint}_dev.jsonl, shared/standards/,
and if present main/eval/{scenario,lint}_extra.jsonl, main/eval/polite_turns.txt.
Nothing under eval/holdout/ is ever opened.

usage: .venv/bin/python run_eval.py [--models tfidf,minilm,use,e5] [--no-cost]
"""
import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter, defaultdict

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402

import embedders  # noqa: E402
import prototypes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAIN = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("KEFU_SHARED", os.path.abspath(os.path.join(MAIN, "..", "shared")))
OUT = os.path.join(HERE, "out")
SEED = 20240601
CV_REPEATS = 20


# ---------------------------------------------------------------- data
def _guard(path):
    assert "holdout" not in os.path.normpath(path).split(os.sep), "holdout files are off limits"
    return path


def load_jsonl(path):
    with open(_guard(path), encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def opt_jsonl(path):
    return load_jsonl(path) if os.path.exists(_guard(path)) else None


def norm(s):
    s = unicodedata.normalize("NFKC", s).lower()
    return "".join(ch for ch in s if ch.isalnum())


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()[:12]


def dedup(rows, key="text"):
    seen, out = set(), []
    for r in rows:
        k = norm(r[key])
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def minus(rows, other):
    """rows whose normalised text does not occur in other (prevents train/test leaks)."""
    ban = {norm(r["text"]) for r in other}
    return [r for r in rows if norm(r["text"]) not in ban]


# ---------------------------------------------------------------- metrics
def prf(y, p):
    tp = sum(1 for a, b in zip(y, p) if a and b)
    fp = sum(1 for a, b in zip(y, p) if not a and b)
    fn = sum(1 for a, b in zip(y, p) if a and not b)
    P = tp / (tp + fp) if tp + fp else 1.0
    R = tp / (tp + fn) if tp + fn else 1.0
    F = 2 * P * R / (P + R) if P + R else 0.0
    return P, R, F


def auc(scores, y):
    pos = [s for s, t in zip(scores, y) if t]
    neg = [s for s, t in zip(scores, y) if not t]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def tune_threshold(scores, y):
    """threshold maximising F1 on (scores, y); ties -> the higher threshold."""
    cands = sorted(set(scores))
    mids = [cands[0] - 1e-6] + [(a + b) / 2 for a, b in zip(cands, cands[1:])] + [cands[-1] + 1e-6]
    best = None
    for t in mids:
        F = prf(y, [s >= t for s in scores])[2]
        if best is None or F > best[0] + 1e-12 or (abs(F - best[0]) <= 1e-12 and t > best[1]):
            best = (F, t)
    return best[1]


# ---------------------------------------------------------------- scenario
def classify(method, Xtr, ytr, Xte):
    S = Xte @ Xtr.T
    if method == "1nn":
        return [ytr[j] for j in S.argmax(1)]
    if method == "3nn":
        out = []
        for row in S:
            idx = np.argsort(-row)[:3]
            votes = defaultdict(float)
            for j in idx:
                votes[ytr[j]] += float(row[j])
            out.append(max(sorted(votes), key=lambda c: votes[c]))
        return out
    if method == "centroid":
        classes = sorted(set(ytr))
        C = np.stack([Xtr[[i for i, c in enumerate(ytr) if c == k]].mean(0) for k in classes])
        C /= np.linalg.norm(C, axis=1, keepdims=True)
        return [classes[j] for j in (Xte @ C.T).argmax(1)]
    raise ValueError(method)


METHODS = ("1nn", "3nn", "centroid")


def scenario_split(E, train, test):
    Xtr = np.stack([E[r["text"]] for r in train])
    Xte = np.stack([E[r["text"]] for r in test])
    ytr = [r["scenario"] for r in train]
    res = {}
    for m in METHODS:
        pred = classify(m, Xtr, ytr, Xte)
        acc = sum(p == r["scenario"] for p, r in zip(pred, test)) / len(test)
        errs = [(r["text"], r["scenario"], p) for p, r in zip(pred, test) if p != r["scenario"]]
        res[m] = {"acc": acc, "n": len(test), "errors": errs, "texts": [r["text"] for r in test]}
    return res


def scenario_loo(E, rows):
    """leave-one-out; items with the same normalised text are left out together."""
    preds = {m: [] for m in METHODS}
    for i, r in enumerate(rows):
        train = [x for x in rows if norm(x["text"]) != norm(r["text"])]
        if r["scenario"] not in {x["scenario"] for x in train}:
            for m in METHODS:
                preds[m].append("<unseen class>")
            continue
        Xtr = np.stack([E[x["text"]] for x in train])
        ytr = [x["scenario"] for x in train]
        for m in METHODS:
            preds[m].append(classify(m, Xtr, ytr, E[r["text"]][None, :])[0])
    res = {}
    for m in METHODS:
        acc = sum(p == r["scenario"] for p, r in zip(preds[m], rows)) / len(rows)
        errs = [(r["text"], r["scenario"], p) for p, r in zip(preds[m], rows) if p != r["scenario"]]
        res[m] = {"acc": acc, "n": len(rows), "errors": errs, "texts": [r["text"] for r in rows]}
    return res


# ---------------------------------------------------------------- lint
LINT_VARIANTS = {
    # name: (standards phrase set, add training violations as prototypes, subtract sim to training non-violations)
    "std": ("sent", False, False),
    "std+clauses": ("clause", False, False),
    "std+train": ("clause", True, False),
    "std+train-contrast": ("clause", True, True),
}


def lint_scores(E, items, pos_protos, neg_protos=(), exclude_self=True):
    """max cosine to pos prototypes (minus max cosine to neg prototypes).
    Prototypes whose normalised text equals the item's are skipped, so an item
    never matches itself when the training split doubles as prototypes."""
    X = np.stack([E[t] for t in items])
    keys = [norm(t) for t in items]

    def masked(protos):
        S = X @ np.stack([E[t] for t in protos]).T
        if exclude_self:
            where = defaultdict(list)
            for j, t in enumerate(protos):
                where[norm(t)].append(j)
            for i, k in enumerate(keys):
                if k in where:
                    S[i, where[k]] = -9
        return S

    Sp = masked(pos_protos)
    best_idx = Sp.argmax(1)
    score = Sp[np.arange(len(items)), best_idx]
    if neg_protos:
        score = score - masked(neg_protos).max(1)
    return [float(x) for x in score], [int(j) for j in best_idx]


def lint_split(E, variant, train, test, std, polite, verbatim, rule=None):
    pset, add_train, contrast = LINT_VARIANTS[variant]
    protos = [p for p in std if pset == "clause" or not p[3]]
    pos = [p[0] for p in protos]
    cats = [p[1] for p in protos]
    if add_train:
        pos = pos + [r["text"] for r in train if r["violation"]]
        cats = cats + [None] * sum(r["violation"] for r in train)
    neg = [r["text"] for r in train if not r["violation"]] if contrast else []
    s_tr, _ = lint_scores(E, [r["text"] for r in train], pos, neg)
    tau = tune_threshold(s_tr, [r["violation"] for r in train])
    s_te, nn = lint_scores(E, [r["text"] for r in test], pos, neg)
    y = [r["violation"] for r in test]
    pred = [s >= tau for s in s_te]
    P, R, F = prf(y, pred)
    # recall split by whether the positive is (normalised) verbatim in the standards
    vb = [(p, r) for p, r in zip(pred, test) if r["violation"] and verbatim(r["text"])]
    nv = [(p, r) for p, r in zip(pred, test) if r["violation"] and not verbatim(r["text"])]
    # category of the nearest standards phrase, for detected positives
    cat_hits = [cats[j] in r.get("categories", []) for p, r, j in zip(pred, test, nn)
                if p and r["violation"] and cats[j] is not None]
    s_pol, _ = lint_scores(E, polite, pos, neg) if polite else ([], [])
    by_cat = defaultdict(lambda: [0, 0])
    for p, r in zip(pred, test):
        for c in r.get("categories", []) if r["violation"] else []:
            by_cat[c][0] += int(p)
            by_cat[c][1] += 1
    comp = {"recall_by_category": {c: v for c, v in sorted(by_cat.items())}}
    if rule is not None:
        rp = [rule(r["text"]) for r in test]
        missed = [p for p, q, r in zip(pred, rp, test) if r["violation"] and not q]
        clean = [p for p, q, r in zip(pred, rp, test) if not r["violation"] and not q]
        uP, uR, uF = prf(y, [a or b for a, b in zip(pred, rp)])
        pol_clean = [s >= tau for t, s in zip(polite, s_pol) if not rule(t)] if polite else []
        comp.update({"rule_P": prf(y, rp)[0], "rule_R": prf(y, rp)[1], "rule_F1": prf(y, rp)[2],
                "union_P": uP, "union_R": uR, "union_F1": uF,
                "rescued": (sum(missed) / len(missed)) if missed else None, "n_rule_missed": len(missed),
                "added_fp": (sum(clean) / len(clean)) if clean else None,
                "added_polite_fp": (sum(pol_clean) / len(pol_clean)) if pol_clean else None})
    fps = [(r["text"], s) for p, r, s in zip(pred, test, s_te) if p and not r["violation"]]
    fns = [(r["text"], s) for p, r, s in zip(pred, test, s_te) if not p and r["violation"]]
    return {
        "tau": tau, "P": P, "R": R, "F1": F, "auc": auc(s_te, y),
        "n_test": len(test), "n_pos": sum(y),
        "recall_verbatim": (sum(p for p, _ in vb) / len(vb)) if vb else None, "n_verbatim": len(vb),
        "recall_paraphrase": (sum(p for p, _ in nv) / len(nv)) if nv else None, "n_paraphrase": len(nv),
        "cat_hit": (sum(cat_hits) / len(cat_hits)) if cat_hits else None,
        "polite_fpr": (sum(s >= tau for s in s_pol) / len(s_pol)) if s_pol else None,
        "polite_fp_examples": sorted([(t, s) for t, s in zip(polite, s_pol) if s >= tau], key=lambda x: -x[1])[:8],
        "fp": fps, "fn": fns, "texts": [r["text"] for r in test], **comp,
    }


def stratified_halves(rows, rng):
    pos = [r for r in rows if r["violation"]]
    neg = [r for r in rows if not r["violation"]]
    rng.shuffle(pos)
    rng.shuffle(neg)
    a = pos[::2] + neg[::2]
    b = pos[1::2] + neg[1::2]
    return a, b


def substring_baseline(std, rows):
    """the standards' phrase list as literal substrings (not the kefu engine)."""
    keys = [norm(p[0]) for p in std if not p[3]]
    pred = [any(k and k in norm(r["text"]) for k in keys) for r in rows]
    return prf([r["violation"] for r in rows], pred), pred


# ---------------------------------------------------------------- cost
def run_cost(model, sent_file):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    out = subprocess.run([sys.executable, os.path.join(HERE, "cost_probe.py"), model, sent_file],
                         capture_output=True, text=True, env=env, cwd=HERE, timeout=1800)
    if out.returncode != 0:
        return {"model": model, "error": out.stderr[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report
def pct(x):
    return "–" if x is None else "%.0f%%" % (100 * x)


def f2(x):
    return "–" if x is None or (isinstance(x, float) and x != x) else "%.2f" % x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="tfidf,minilm,use,e5,e5+tfidf")
    ap.add_argument("--no-cost", action="store_true")
    ap.add_argument("--rule-preds", help="jsonl of {text, violation} from the kefu engine for every lint row; "
                    "replaces the substring stand-in in the 'beside the rules' columns")
    ap.add_argument("--rule-scenario-preds", help="jsonl of {text, scenario|null} from the kefu engine for every "
                    "scenario row (null = no rule fired); adds a rules-first, embedding-fallback table")
    args = ap.parse_args()
    models = args.models.split(",")
    os.makedirs(OUT, exist_ok=True)
    random.seed(SEED)
    np.random.seed(SEED)

    # ---- data
    paths = {
        "scenario_dev": os.path.join(SHARED, "eval", "scenario_dev.jsonl"),
        "lint_dev": os.path.join(SHARED, "eval", "lint_dev.jsonl"),
        "scenario_extra": os.path.join(MAIN, "eval", "scenario_extra.jsonl"),
        "lint_extra": os.path.join(MAIN, "eval", "lint_extra.jsonl"),
        "polite_turns": os.path.join(MAIN, "eval", "polite_turns.txt"),
    }
    sc_dev = dedup(load_jsonl(paths["scenario_dev"]))
    li_dev = dedup(load_jsonl(paths["lint_dev"]))
    sc_extra = opt_jsonl(paths["scenario_extra"])
    li_extra = opt_jsonl(paths["lint_extra"])
    sc_extra = minus(dedup(sc_extra), sc_dev) if sc_extra else None
    li_extra = minus(dedup(li_extra), li_dev) if li_extra else None
    polite_turns = None
    if os.path.exists(_guard(paths["polite_turns"])):
        polite_turns = [l.strip() for l in open(paths["polite_turns"], encoding="utf-8") if l.strip()]
    std_dir = os.path.join(SHARED, "standards")
    std = [(p, c, src, False) for p, c, src in prototypes.forbidden_phrases(std_dir, clauses=False)]
    sent_set = {p[0] for p in std}
    std += [(p, c, src, True) for p, c, src in prototypes.forbidden_phrases(std_dir) if p not in sent_set]
    lint_all = li_dev + (li_extra or [])
    lint_keys = {norm(r["text"]) for r in lint_all}
    polite_proxy = [p for p, _ in prototypes.polite_phrases(std_dir) if norm(p) not in lint_keys]
    std_norm = norm(open(os.path.join(std_dir, "01-online-service-manual.md"), encoding="utf-8").read()
                    + open(os.path.join(std_dir, "04-hotline-conduct.md"), encoding="utf-8").read())

    def verbatim(t):
        return norm(t) in std_norm

    with open(os.path.join(OUT, "forbidden_phrases.tsv"), "w", encoding="utf-8") as f:
        f.write("phrase\tcategory\tsource\tcomma_clause\n")
        for p in std:
            f.write("%s\t%s\t%s\t%s\n" % p)
    with open(os.path.join(OUT, "polite_proxy.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(polite_proxy) + "\n")

    data_info = {k: {"present": os.path.exists(v), "sha256_12": sha(v) if os.path.exists(v) else None}
                 for k, v in paths.items()}
    data_info["counts"] = {
        "scenario_dev": len(sc_dev), "scenario_extra": len(sc_extra) if sc_extra else 0,
        "lint_dev": len(li_dev), "lint_dev_pos": sum(r["violation"] for r in li_dev),
        "lint_dev_pos_verbatim_in_standards": sum(verbatim(r["text"]) for r in li_dev if r["violation"]),
        "lint_extra": len(li_extra) if li_extra else 0,
        "lint_extra_pos": sum(r["violation"] for r in li_extra) if li_extra else 0,
        "lint_extra_pos_verbatim_in_standards": sum(verbatim(r["text"]) for r in li_extra if r["violation"]) if li_extra else 0,
        "forbidden_phrases_sentences": sum(not p[3] for p in std), "forbidden_phrases_with_clauses": len(std),
        "polite_turns": len(polite_turns) if polite_turns else 0, "polite_proxy": len(polite_proxy),
        "scenario_classes": len({r["scenario"] for r in sc_dev + (sc_extra or [])}),
    }
    polite_sets = {"polite_proxy": polite_proxy}
    if polite_turns:
        polite_sets["polite_turns"] = polite_turns

    texts = sorted({r["text"] for r in sc_dev + (sc_extra or []) + lint_all}
                   | {p[0] for p in std} | set(polite_proxy) | set(polite_turns or []))

    results = {"seed": SEED, "data": data_info, "models": {}, "baselines": {},
               "scenario_gold": {r["text"]: r["scenario"] for r in sc_dev + (sc_extra or [])}}

    # ---- the rule side of "beside the rules": the kefu engine's own predictions if
    # given, else the literal-substring stand-in over the standards' sentence list
    if args.rule_preds:
        rp = {norm(r["text"]): bool(r["violation"]) for r in load_jsonl(args.rule_preds)}
        missing = [r["text"] for r in lint_all if norm(r["text"]) not in rp]
        assert not missing, "rule predictions missing for %d texts, e.g. %r" % (len(missing), missing[:3])

        def rule(t):
            return rp.get(norm(t), False)
        results["rule_side"] = "kefu engine predictions from %s (sha %s)" % (os.path.basename(args.rule_preds), sha(args.rule_preds))
    else:
        sub_keys = [norm(p[0]) for p in std if not p[3]]

        def rule(t):
            k = norm(t)
            return any(q and q in k for q in sub_keys)
        results["rule_side"] = "literal-substring stand-in (standards sentence list), not the kefu engine"

    # ---- substring baseline (no model)
    sub = {}
    for name, rows in (("lint_dev", li_dev), ("lint_extra", li_extra)):
        if rows:
            (P, R, F), _ = substring_baseline(std, rows)
            sub[name] = {"P": P, "R": R, "F1": F}
    for pname, pl in polite_sets.items():
        keys = [norm(p[0]) for p in std if not p[3]]
        sub[pname + "_fpr"] = sum(any(k in norm(t) for k in keys) for t in pl) / len(pl)
    results["baselines"]["substring"] = sub

    EMB = {}
    for mname in models:
        t0 = time.perf_counter()
        if "+" in mname:
            # ensemble: concatenated unit vectors / sqrt(k) -> cosine = mean of the parts' cosines
            parts = mname.split("+")
            assert all(p in EMB for p in parts), "list %s's parts before it in --models" % mname
            E = {t: np.concatenate([EMB[p][t] for p in parts]) / np.sqrt(len(parts)) for t in texts}
            label = "mean of the cosines of " + " and ".join(parts)
        else:
            if mname == "tfidf":
                emb = embedders.CharTfidf(texts)
                label = emb.label
            else:
                cls = embedders.MODELS[mname]
                emb = cls()
                label = cls.label
            X = np.concatenate([emb.encode(texts[i:i + 32]) for i in range(0, len(texts), 32)])
            E = dict(zip(texts, X))
        EMB[mname] = E
        enc_s = time.perf_counter() - t0
        R = {"label": label, "encode_all_s": round(enc_s, 2), "n_texts": len(texts)}
        print("[%s] %d texts embedded in %.1fs" % (mname, len(texts), enc_s), flush=True)

        # ---- scenario
        sc = {"loo_dev": scenario_loo(E, sc_dev)}
        if sc_extra:
            sc["extra_to_dev"] = scenario_split(E, sc_extra, sc_dev)
            sc["dev_to_extra"] = scenario_split(E, sc_dev, [r for r in sc_extra if r["scenario"] in {x["scenario"] for x in sc_dev}])
            sc["loo_pooled"] = scenario_loo(E, sc_dev + sc_extra)
        R["scenario"] = sc

        # ---- lint
        li = {}
        for v in LINT_VARIANTS:
            vr = {}
            if li_extra:
                vr["extra_to_dev"] = lint_split(E, v, li_extra, li_dev, std, polite_proxy, verbatim, rule)
                vr["dev_to_extra"] = lint_split(E, v, li_dev, li_extra, std, polite_proxy, verbatim, rule)
                for pname, pl in polite_sets.items():
                    vr["extra_to_dev"][pname + "_fpr"] = lint_split(E, v, li_extra, li_dev, std, pl, verbatim)["polite_fpr"]
            rng = random.Random(SEED)
            folds = []
            for _ in range(CV_REPEATS):
                a, b = stratified_halves(lint_all, rng)
                for tr, te in ((a, b), (b, a)):
                    r = lint_split(E, v, tr, te, std, polite_proxy, verbatim, rule)
                    if polite_turns:
                        r["polite_turns_fpr"] = lint_split(E, v, tr, te, std, polite_turns, verbatim)["polite_fpr"]
                    folds.append(r)
            agg = {}
            for key in ("P", "R", "F1", "auc", "tau", "polite_fpr", "recall_verbatim", "recall_paraphrase", "cat_hit", "polite_turns_fpr",
                        "rule_P", "rule_R", "rule_F1", "union_P", "union_R", "union_F1", "rescued", "added_fp", "added_polite_fp"):
                vals = [f[key] for f in folds if f.get(key) is not None and f[key] == f[key]]
                if vals:
                    agg[key] = statistics.mean(vals)
                    agg[key + "_sd"] = statistics.pstdev(vals)
            agg["n_folds"] = len(folds)
            vr["cv2x%d" % CV_REPEATS] = agg
            # whole-pool view: AUC over all lint rows + the threshold-free score list
            s_all, _ = lint_scores(E, [r["text"] for r in lint_all],
                                   [p[0] for p in std if LINT_VARIANTS[v][0] == "clause" or not p[3]])
            vr["auc_pool_std_only"] = auc(s_all, [r["violation"] for r in lint_all])
            # in-sample diagnostic (threshold tuned on every lint row): which polite phrases fire
            ins = lint_split(E, v, lint_all, lint_all, std, polite_proxy, verbatim, rule)
            vr["insample_polite_fp_examples"] = ins["polite_fp_examples"]
            vr["insample_tau"] = ins["tau"]
            li[v] = vr
        R["lint"] = li
        results["models"][mname] = R

    # ---- paired comparisons vs tfidf
    results["paired"] = []
    if "tfidf" in models:
        T = results["models"]["tfidf"]
        for m in models:
            if m == "tfidf":
                continue
            M = results["models"][m]
            for split in ("loo_pooled", "extra_to_dev", "dev_to_extra"):
                if split in M["scenario"]:
                    universe = {x for x in M["scenario"][split]["centroid"].get("texts", [])}
                    wa = {e[0] for e in M["scenario"][split]["centroid"]["errors"]}
                    wb = {e[0] for e in T["scenario"][split]["centroid"]["errors"]}
                    results["paired"].append(["%s vs tfidf, scenario %s, centroid" % (m, split), *paired(wa, wb, universe)])
            for split in ("dev_to_extra", "extra_to_dev"):
                if split in M["lint"]["std+train-contrast"]:
                    a, b = M["lint"]["std+train-contrast"][split], T["lint"]["std+train-contrast"][split]
                    universe = set(a["texts"])
                    wa = {x[0] for x in a["fp"] + a["fn"]}
                    wb = {x[0] for x in b["fp"] + b["fn"]}
                    results["paired"].append(["%s vs tfidf, lint %s, std+train-contrast" % (m, split), *paired(wa, wb, universe)])

    # ---- scenario: rules first, embedding centroid as the fallback
    if args.rule_scenario_preds:
        rs = {norm(r["text"]): r.get("scenario") for r in load_jsonl(args.rule_scenario_preds)}
        gold = results["scenario_gold"]
        missing = [t for t in gold if norm(t) not in rs]
        assert not missing, "rule scenario predictions missing for %d texts, e.g. %r" % (len(missing), missing[:3])
        results["rule_scenario_source"] = "%s (sha %s)" % (os.path.basename(args.rule_scenario_preds), sha(args.rule_scenario_preds))
        rows = []
        for m in models:
            for split in ("extra_to_dev", "dev_to_extra", "loo_pooled"):
                if split not in results["models"][m]["scenario"]:
                    continue
                r = results["models"][m]["scenario"][split]["centroid"]
                emb_pred = {t: gold[t] for t in r["texts"]}
                emb_pred.update({t: p for t, _, p in r["errors"]})
                ts = r["texts"]
                fired = [t for t in ts if rs[norm(t)]]
                rule_ok = sum(rs[norm(t)] == gold[t] for t in fired)
                rest = [t for t in ts if not rs[norm(t)]]
                emb_ok_rest = sum(emb_pred[t] == gold[t] for t in rest)
                rows.append([m, split, len(ts), len(fired) / len(ts), (rule_ok / len(fired)) if fired else None,
                             rule_ok / len(ts), (emb_ok_rest / len(rest)) if rest else None,
                             (rule_ok + emb_ok_rest) / len(ts), sum(emb_pred[t] == gold[t] for t in ts) / len(ts)])
        results["rule_scenario_fallback"] = rows

    # ---- cost
    if not args.no_cost:
        sent_file = os.path.join(OUT, "latency_sentences.txt")
        # a fixed, seeded sample of 300 of the evaluation's texts (>= 200 required)
        lat = random.Random(SEED).sample(texts, min(300, len(texts)))
        while len(lat) < 200:
            lat += lat
        with open(sent_file, "w", encoding="utf-8") as f:
            f.write("\n".join(t.replace("\n", " ") for t in lat) + "\n")
        results["cost"] = {}
        for mname in models:
            if mname == "tfidf" or "+" in mname:
                continue
            print("[cost] %s" % mname, flush=True)
            results["cost"][mname] = run_cost(mname, sent_file)
        results["cost_env"] = {"nproc": os.cpu_count(), "python": sys.version.split()[0]}

    with open(os.path.join(OUT, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1, default=float)
    write_report(results, models)
    print("wrote RESULTS.md and out/results.json")


def binom_two_sided(k, n):
    """exact two-sided sign test p-value for k successes out of n at p=0.5"""
    if n == 0:
        return 1.0
    from math import comb
    tail = sum(comb(n, i) for i in range(0, min(k, n - k) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired(wrong_a, wrong_b, universe):
    """items only model a gets right (b wrong) vs only b right; sign-test p."""
    a_only = sum(1 for t in universe if t not in wrong_a and t in wrong_b)
    b_only = sum(1 for t in universe if t in wrong_a and t not in wrong_b)
    return a_only, b_only, binom_two_sided(a_only, a_only + b_only)


def write_report(res, models):
    d = res["data"]["counts"]
    L = []
    verdict_path = os.path.join(HERE, "verdict.md")
    if os.path.exists(verdict_path):
        L.append(open(verdict_path, encoding="utf-8").read().rstrip() + "\n")
    else:
        L.append("# Embedding evaluation (kefu)\n\n_(no verdict.md yet)_\n")
    L.append("\n---\n\n# Generated numbers (run_eval.py — do not edit below by hand)\n")
    L.append("Data used: " + ", ".join("%s=%s" % kv for kv in d.items()) + ".")
    L.append("Input fingerprints (sha256, 12 hex): " + ", ".join(
        "%s=%s" % (k, v["sha256_12"] or "absent") for k, v in res["data"].items() if k != "counts") + ".\n")
    L.append("Models: " + "; ".join("`%s` = %s" % (m, res["models"][m]["label"]) for m in models) + ".\n")

    # scenario table
    L.append("## (a) Scenario classification — accuracy\n")
    splits = [s for s in ("loo_dev", "extra_to_dev", "dev_to_extra", "loo_pooled") if s in res["models"][models[0]]["scenario"]]
    desc = {"loo_dev": "LOO on scenario_dev (1 example/class left to match)",
            "extra_to_dev": "train scenario_extra → test scenario_dev",
            "dev_to_extra": "train scenario_dev → test scenario_extra",
            "loo_pooled": "LOO on dev ∪ extra"}
    L.append("| split | n | " + " | ".join("%s 1-NN / 3-NN / centroid" % m for m in models) + " |")
    L.append("|---|---|" + "---|" * len(models))
    for s in splits:
        n = res["models"][models[0]]["scenario"][s]["1nn"]["n"]
        cells = []
        for m in models:
            r = res["models"][m]["scenario"][s]
            cells.append(" / ".join(pct(r[k]["acc"]) for k in METHODS))
        L.append("| %s | %d | %s |" % (desc[s], n, " | ".join(cells)))
    L.append("")
    if "loo_dev" in splits:
        L.append("Note: in the LOO-on-dev split the held-out item's class keeps 1 member while every other class keeps 2, "
                 "which biases nearest-centroid against the right class; read 1-NN there. With scenario_extra present, the other rows are the ones that count.\n")
    if "loo_pooled" in splits:
        L.append("### Per-class accuracy, nearest-centroid, LOO on dev ∪ extra\n")
        rows0 = res["models"][models[0]]["scenario"]["loo_pooled"]["centroid"]
        gold = res["scenario_gold"]
        classes = sorted(set(gold.values()))
        L.append("| class | n | " + " | ".join(models) + " |")
        L.append("|---|---|" + "---|" * len(models))
        for c in classes:
            n = sum(1 for t in rows0["texts"] if gold[t] == c)
            cells = []
            for m in models:
                r = res["models"][m]["scenario"]["loo_pooled"]["centroid"]
                wrong = sum(1 for t, g, _ in r["errors"] if g == c)
                cells.append(pct((n - wrong) / n))
            L.append("| %s | %d | %s |" % (c, n, " | ".join(cells)))
        L.append("")
        for m in models:
            conf = Counter((g, p) for _, g, p in res["models"][m]["scenario"]["loo_pooled"]["centroid"]["errors"])
            L.append("- %s, most frequent confusions (gold → predicted): %s" % (m, ", ".join("%s→%s ×%d" % (g, p, k) for (g, p), k in conf.most_common(6))))
        L.append("")
    # per-class errors (centroid) for the main split
    main_split = "extra_to_dev" if "extra_to_dev" in splits else "loo_dev"
    L.append("### Errors, nearest-centroid, split `%s`\n" % main_split)
    for m in models:
        errs = res["models"][m]["scenario"][main_split]["centroid"]["errors"]
        byc = Counter(g for _, g, _ in errs)
        L.append("- **%s** (%d errors; by gold class: %s)" % (m, len(errs), ", ".join("%s×%d" % kv for kv in byc.most_common()) or "none"))
        for t, g, p in errs[:40]:
            L.append("  - 「%s」 %s → %s" % (t, g, p))
    L.append("")

    # lint
    L.append("## (b) Forbidden-phrase detection\n")
    sub = res["baselines"]["substring"]
    L.append("Lexical reference, no model (the standards' sentence list as literal substrings after NFKC/punctuation stripping — *not* the kefu engine): "
             + "; ".join("%s P=%s R=%s F1=%s" % (k, f2(v["P"]), f2(v["R"]), f2(v["F1"])) for k, v in sub.items() if isinstance(v, dict))
             + "; " + "; ".join("%s=%s" % (k, pct(v)) for k, v in sub.items() if not isinstance(v, dict)) + ".\n")
    L.append("Variants: `std` = max cosine to the %d standards sentences; `std+clauses` = also their comma clauses (%d phrases); "
             "`std+train` = plus the training split's violation examples; `std+train-contrast` = that score minus max cosine to the training split's "
             "non-violations. Threshold = best F1 on the training split (training items never match themselves).\n"
             % (d["forbidden_phrases_sentences"], d["forbidden_phrases_with_clauses"]))
    cvk = "cv2x%d" % CV_REPEATS
    L.append("### Stratified 2-fold CV on all lint rows (dev%s), %d repeats — mean (sd)\n" % (" ∪ extra" if d["lint_extra"] else "", CV_REPEATS))
    L.append("| model | variant | P | R | F1 | AUC | recall verbatim-in-std | recall paraphrase | nearest-phrase category right | polite-proxy FPR |" + (" polite_turns FPR |" if d["polite_turns"] else ""))
    L.append("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if d["polite_turns"] else ""))
    for m in models:
        for v, vr in res["models"][m]["lint"].items():
            a = vr[cvk]
            row = "| %s | %s | %s (%s) | %s (%s) | %s (%s) | %s | %s | %s | %s | %s |" % (
                m, v, f2(a.get("P")), f2(a.get("P_sd")), f2(a.get("R")), f2(a.get("R_sd")), f2(a.get("F1")), f2(a.get("F1_sd")),
                f2(a.get("auc")), pct(a.get("recall_verbatim")), pct(a.get("recall_paraphrase")), pct(a.get("cat_hit")), pct(a.get("polite_fpr")))
            if d["polite_turns"]:
                row += " %s |" % pct(a.get("polite_turns_fpr"))
            L.append(row)
    L.append("")
    L.append("### Beside the rules — same CV folds; rule side = %s\n" % res.get("rule_side"))
    L.append("`rescued` = share of the positives the rule side misses that the embedding flags; `added FP` = share of the negatives the rule side passes "
             "that the embedding flags; `union` = flag if either fires.\n")
    L.append("| model | variant | rule P / R / F1 | union P / R / F1 | rescued | added FP (lint negatives) | added FP (polite proxy) |")
    L.append("|---|---|---|---|---|---|---|")
    for m in models:
        for v, vr in res["models"][m]["lint"].items():
            a = vr[cvk]
            L.append("| %s | %s | %s / %s / %s | %s / %s / %s | %s | %s | %s |" % (
                m, v, f2(a.get("rule_P")), f2(a.get("rule_R")), f2(a.get("rule_F1")), f2(a.get("union_P")), f2(a.get("union_R")),
                f2(a.get("union_F1")), pct(a.get("rescued")), pct(a.get("added_fp")), pct(a.get("added_polite_fp"))))
    L.append("")
    L.append("In-sample diagnostic (threshold tuned on all lint rows): polite-proxy phrases flagged by `std+train-contrast`, highest score first:\n")
    for m in models:
        vr = res["models"][m]["lint"]["std+train-contrast"]
        L.append("- **%s** (τ=%.3f): %s" % (m, vr["insample_tau"], "; ".join("「%s」%.2f" % x for x in vr["insample_polite_fp_examples"]) or "none"))
    L.append("")
    for split in ("extra_to_dev", "dev_to_extra"):
        if split not in res["models"][models[0]]["lint"]["std"]:
            continue
        L.append("### Threshold tuned on %s, tested on %s\n" % tuple(split.split("_to_")))
        L.append("| model | variant | τ | P | R | F1 | AUC | recall verbatim | recall paraphrase | polite-proxy FPR |" + (" polite_turns FPR |" if d["polite_turns"] and split == "extra_to_dev" else ""))
        L.append("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if d["polite_turns"] and split == "extra_to_dev" else ""))
        for m in models:
            for v, vr in res["models"][m]["lint"].items():
                a = vr[split]
                row = "| %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s |" % (
                    m, v, a["tau"], f2(a["P"]), f2(a["R"]), f2(a["F1"]), f2(a["auc"]),
                    pct(a["recall_verbatim"]), pct(a["recall_paraphrase"]), pct(a["polite_fpr"]))
                if d["polite_turns"] and split == "extra_to_dev":
                    row += " %s |" % pct(a.get("polite_turns_fpr"))
                L.append(row)
        L.append("")
        for m in models:
            a = res["models"][m]["lint"]["std+train-contrast"][split]
            L.append("- **%s** `std+train-contrast` misses: %s" % (m, "; ".join("「%s」%.2f" % x for x in a["fn"][:15]) or "none"))
            L.append("  false alarms: %s" % ("; ".join("「%s」%.2f" % x for x in a["fp"][:15]) or "none"))
        L.append("")
    if "dev_to_extra" in res["models"][models[0]]["lint"]["std"]:
        L.append("Recall by category, `std+train-contrast`, tuned on dev → tested on extra (detected/total):\n")
        cats = sorted(res["models"][models[0]]["lint"]["std+train-contrast"]["dev_to_extra"]["recall_by_category"])
        L.append("| model | " + " | ".join(cats) + " |")
        L.append("|---|" + "---|" * len(cats))
        for m in models:
            rc = res["models"][m]["lint"]["std+train-contrast"]["dev_to_extra"]["recall_by_category"]
            L.append("| %s | %s |" % (m, " | ".join("%d/%d" % tuple(rc.get(c, (0, 0))) for c in cats)))
        L.append("")
    L.append("Threshold-free AUC of `std`/`std+clauses` scores over every lint row: " + "; ".join(
        "%s %s/%s" % (m, f2(res["models"][m]["lint"]["std"]["auc_pool_std_only"]), f2(res["models"][m]["lint"]["std+clauses"]["auc_pool_std_only"])) for m in models) + ".\n")

    if res.get("rule_scenario_fallback"):
        L.append("## Scenario: kefu rules first, embedding nearest-centroid as fallback (rules = %s)\n" % res["rule_scenario_source"])
        L.append("| model | split | n | rule fires | rule accuracy when it fires | rules alone (no answer = wrong) | embedding accuracy where no rule fires | rules + fallback | embedding alone |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for m, sp, n, cov, racc, ralone, eacc, comb, ealone in res["rule_scenario_fallback"]:
            L.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (m, sp, n, pct(cov), pct(racc), pct(ralone), pct(eacc), pct(comb), pct(ealone)))
        L.append("")

    # paired comparisons against the lexical baseline
    if "tfidf" in models and res.get("paired"):
        L.append("## Paired comparison with the lexical baseline (same test items; exact sign test on the discordant items)\n")
        L.append("| comparison | model right, tfidf wrong | tfidf right, model wrong | p |")
        L.append("|---|---|---|---|")
        for row in res["paired"]:
            L.append("| %s | %d | %d | %.3f |" % tuple(row))
        L.append("")

    # cost
    if "cost" in res:
        L.append("## Cost (this machine: %d cores, Python %s; batch size 1, default threads)\n" % (res["cost_env"]["nproc"], res["cost_env"]["python"]))
        L.append("| model | files read (MB) | load (s) | first call (ms) | latency median / p90 (ms) | n sentences | peak RSS (MB) | RSS of python+numpy alone (MB) |")
        L.append("|---|---|---|---|---|---|---|---|")
        for m, c in res["cost"].items():
            if "error" in c:
                L.append("| %s | error: %s |" % (m, c["error"].replace("\n", " ")[:200]))
                continue
            L.append("| %s | %.1f | %.2f | %.0f | %.1f / %.1f | %d | %.0f | %.0f |" % (
                m, c["disk_mb"], c["load_s"], c["first_call_ms"], c["latency_ms_median"], c["latency_ms_p90"], c["n_sentences"], c["rss_peak_mb"], c["rss_baseline_mb"]))
        L.append("")
    with open(os.path.join(HERE, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
