#!/usr/bin/env python3
"""Assemble the hand-written gen/*.txt batches of source hand_c into JSONL.

This script does NOT compose any sentence: every text was typed by hand into
gen/agent_*.txt and gen/customer_*.txt.  It only expands the short codes of
those files, validates labels and lengths, removes exact duplicates and
writes agent.jsonl / customer.jsonl plus a count table (stats.md).

gen file format (one utterance per line, '#' starts a comment line):
  @<industry> <channel>          sets industry/channel for following lines
  agent:    <label>|<style>|<text>   label = N (no violation) or cat[,cat]
  customer: <scenario>|<style>|<text>
"""
import collections
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

IND = {"tel": "telecom", "bank": "banking", "ecom": "e-commerce",
       "util": "utilities", "appl": "appliances", "logi": "logistics",
       "ins": "insurance", "trav": "travel", "gov": "government"}
CH = {"a": "phone_asr", "c": "chat"}
STYLE = {"t": "terse", "v": "verbose", "p": "polite_wrapper",
         "r": "regional", "q": "rhetorical", "s": "sarcasm",
         "i": "implication", "f": "paraphrase", "n": "plain",
         "sc": "self_correction", "iu": "innocent_use",
         "rd": "polite_redirection", "pr": "polite_refusal",
         "em": "empathy", "b": "business", "tr": "traditional",
         "e": "emoji", "m": "mixed"}
CATS = {"command", "blame", "grumble", "lecture", "shirk", "impatient",
        "rude_address", "interrogate", "arrogant", "blunt_correction"}
SCEN = {"gr": "greeting", "th": "thanks", "pra": "praise", "ap": "apology",
        "ch": "cannot_hear", "nu": "not_understood", "co": "complaint",
        "cs": "complaint_staff", "hr": "hard_to_reach", "ab": "abusive",
        "wm": "wants_manager", "su": "suggestion", "ur": "urgent",
        "an": "ask_agent_name", "pc": "personal_call", "ha": "harassment",
        "rr": "repair_request", "lm": "leave_message", "gb": "goodbye",
        "in": "inquiry", "ot": "other"}


def parse(kind):
    out, seen, errors, dups = [], set(), [], 0
    for path in sorted(glob.glob(os.path.join(HERE, "gen", kind + "_*.txt"))):
        ind = ch = None
        for n, raw in enumerate(open(path, encoding="utf-8"), 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            where = "%s:%d" % (os.path.basename(path), n)
            if line.startswith("@"):
                a, b = line[1:].split()
                ind, ch = IND[a], CH[b]
                continue
            parts = line.split("|", 2)
            if len(parts) != 3:
                errors.append(where + " bad line")
                continue
            lab, sty, text = parts
            text = text.strip()
            if sty not in STYLE:
                errors.append(where + " style " + sty)
                continue
            if not (2 <= len(text) <= 120):
                errors.append(where + " length %d" % len(text))
                continue
            if text in seen:
                dups += 1
                continue
            seen.add(text)
            if kind == "agent":
                if lab == "N":
                    rec = {"text": text, "violation": False, "categories": []}
                else:
                    cats = lab.split(",")
                    bad = [c for c in cats if c not in CATS]
                    if bad:
                        errors.append(where + " cat " + ",".join(bad))
                        continue
                    rec = {"text": text, "violation": True, "categories": cats}
            else:
                if lab not in SCEN:
                    errors.append(where + " scen " + lab)
                    continue
                rec = {"text": text, "scenario": SCEN[lab]}
            rec.update({"industry": ind, "channel": ch, "style": STYLE[sty],
                        "source": "hand_c"})
            out.append(rec)
    return out, errors, dups


def table(title, counter, total):
    rows = ["| %s | n | %% |" % title, "|---|---|---|"]
    for k, v in counter.most_common():
        rows.append("| %s | %d | %.1f |" % (k, v, 100.0 * v / total))
    return "\n".join(rows)


def main():
    stats = []
    ok = True
    for kind in ("agent", "customer"):
        recs, errors, dups = parse(kind)
        for e in errors:
            print("ERROR", e)
        ok = ok and not errors
        with open(os.path.join(HERE, kind + ".jsonl"), "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        tot = len(recs)
        print(kind, tot, "records,", dups, "duplicates dropped")
        stats.append("## %s.jsonl — %d lines (%d exact duplicates dropped)\n" % (kind, tot, dups))
        if kind == "agent":
            v = sum(r["violation"] for r in recs)
            stats.append("violations: %d (%.1f %%), non-violations: %d\n" % (v, 100.0 * v / max(tot, 1), tot - v))
            c = collections.Counter(x for r in recs for x in r["categories"])
            stats.append(table("category (share of violations)", c, max(v, 1)) + "\n")
            multi = sum(len(r["categories"]) > 1 for r in recs)
            stats.append("multi-category lines: %d\n" % multi)
        else:
            stats.append(table("scenario", collections.Counter(r["scenario"] for r in recs), tot) + "\n")
        for key in ("industry", "channel", "style"):
            stats.append(table(key, collections.Counter(r[key] for r in recs), tot) + "\n")
        lens = sorted(len(r["text"]) for r in recs)
        if lens:
            mid = sum(6 <= l <= 40 for l in lens)
            stats.append("length: min %d, median %d, max %d; 6–40 chars: %.1f %%\n" % (
                lens[0], lens[len(lens) // 2], lens[-1], 100.0 * mid / tot))
    with open(os.path.join(HERE, "stats.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(stats))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
