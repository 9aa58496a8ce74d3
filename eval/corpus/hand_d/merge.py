#!/usr/bin/env python3
"""Merge the hand-written scene files of hand_d into agent.jsonl / customer.jsonl.

No text is generated here: every line of the output is a line written by hand
in scenes/*.txt. This script only parses, maps abbreviations to ids,
deduplicates, validates and counts.

Scene file format (one record per line, '|' separated):
  @<industry>              sets the industry for following lines
  # <scene title>          comment / scene heading
  A|<ch>|<cats or ->|<style>|<text>     agent line
  C|<ch>|<scenario>|<style>|<text>      customer line
  ch: p = phone_asr, c = chat
"""
import json, sys, glob, os, collections

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = "hand_d"
CH = {"p": "phone_asr", "c": "chat"}
CAT = {"cmd": "command", "bl": "blame", "gr": "grumble", "lec": "lecture",
       "sh": "shirk", "imp": "impatient", "ra": "rude_address",
       "int": "interrogate", "arr": "arrogant", "bc": "blunt_correction"}
SCN = {"gre": "greeting", "thx": "thanks", "pra": "praise", "apo": "apology",
       "ch": "cannot_hear", "nu": "not_understood", "cp": "complaint",
       "cs": "complaint_staff", "htr": "hard_to_reach", "ab": "abusive",
       "mgr": "wants_manager", "sug": "suggestion", "urg": "urgent",
       "name": "ask_agent_name", "pc": "personal_call", "har": "harassment",
       "rep": "repair_request", "msg": "leave_message", "bye": "goodbye",
       "inq": "inquiry", "oth": "other"}
STY = {"t": "terse", "v": "verbose", "pw": "polite-wrapper", "r": "regional",
       "q": "rhetorical", "s": "sarcasm", "i": "implication",
       "pa": "paraphrase", "n": "plain"}
IND = {"telecom", "banking", "e-commerce", "utilities", "appliances",
       "logistics", "insurance", "travel", "government"}

def main():
    agent, cust, errs = [], [], []
    seen_a, seen_c = set(), set()
    dup_a = dup_c = 0
    scenes = 0
    for fn in sorted(glob.glob(os.path.join(HERE, "scenes", "*.txt"))):
        ind = None
        for no, raw in enumerate(open(fn, encoding="utf-8"), 1):
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            where = f"{os.path.basename(fn)}:{no}"
            if line.startswith("@"):
                ind = line[1:].strip()
                if ind not in IND:
                    errs.append(f"{where}: bad industry {ind}")
                continue
            if line.startswith("#"):
                scenes += 1
                continue
            parts = line.split("|", 4)
            if len(parts) != 5:
                errs.append(f"{where}: bad field count: {line}")
                continue
            side, ch, lab, sty, text = parts
            text = text.strip()
            if ch not in CH or sty not in STY:
                errs.append(f"{where}: bad channel/style: {line}")
                continue
            # 'plain' (n) is the default the writer left when no special
            # style applied; very short / very long plain lines are recorded
            # as terse / verbose (length rule, documented in README).
            if sty == "n" and len(text) <= 8:
                sty = "t"
            elif sty == "n" and len(text) >= 45:
                sty = "v"
            if False:
                errs.append(f"{where}: bad channel/style: {line}")
                continue
            if not (2 <= len(text) <= 120):
                errs.append(f"{where}: bad length {len(text)}: {text}")
                continue
            if ind is None:
                errs.append(f"{where}: no industry")
                continue
            if side == "A":
                if lab == "-":
                    cats = []
                else:
                    try:
                        cats = [CAT[x] for x in lab.split(",")]
                    except KeyError:
                        errs.append(f"{where}: bad category {lab}")
                        continue
                if text in seen_a:
                    dup_a += 1
                    continue
                seen_a.add(text)
                agent.append({"text": text, "violation": bool(cats),
                              "categories": cats, "industry": ind,
                              "channel": CH[ch], "style": STY[sty],
                              "source": SRC})
            elif side == "C":
                if lab not in SCN:
                    errs.append(f"{where}: bad scenario {lab}")
                    continue
                if text in seen_c:
                    dup_c += 1
                    continue
                seen_c.add(text)
                cust.append({"text": text, "scenario": SCN[lab],
                             "industry": ind, "channel": CH[ch],
                             "style": STY[sty], "source": SRC})
            else:
                errs.append(f"{where}: bad side {side}")
    for e in errs:
        print("ERROR", e, file=sys.stderr)
    with open(os.path.join(HERE, "agent.jsonl"), "w", encoding="utf-8") as f:
        for r in agent:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "customer.jsonl"), "w", encoding="utf-8") as f:
        for r in cust:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # counts
    out = []
    out.append(f"scenes: {scenes}")
    out.append(f"agent lines: {len(agent)} (dropped duplicates {dup_a})")
    v = [r for r in agent if r["violation"]]
    out.append(f"  violations: {len(v)} ({100*len(v)/max(1,len(agent)):.1f} %), non-violations: {len(agent)-len(v)}")
    cc = collections.Counter(c for r in v for c in r["categories"])
    for k in CAT.values():
        out.append(f"    {k}: {cc[k]} ({100*cc[k]/max(1,len(v)):.1f} % of violations)")
    multi = sum(1 for r in v if len(r["categories"]) > 1)
    out.append(f"    multi-label violations: {multi}")
    for key in ("industry", "channel", "style"):
        c = collections.Counter(r[key] for r in agent)
        out.append(f"  agent by {key}: " + ", ".join(f"{k} {n}" for k, n in c.most_common()))
    out.append(f"customer lines: {len(cust)} (dropped duplicates {dup_c})")
    sc = collections.Counter(r["scenario"] for r in cust)
    for k in SCN.values():
        out.append(f"    {k}: {sc[k]} ({100*sc[k]/max(1,len(cust)):.1f} %)")
    for key in ("industry", "channel", "style"):
        c = collections.Counter(r[key] for r in cust)
        out.append(f"  customer by {key}: " + ", ".join(f"{k} {n}" for k, n in c.most_common()))
    L = [len(r["text"]) for r in agent + cust]
    mid = sum(1 for x in L if 6 <= x <= 40)
    out.append(f"length 6-40 chars: {100*mid/max(1,len(L)):.1f} %")
    print("\n".join(out))
    return 1 if errs else 0

if __name__ == "__main__":
    sys.exit(main())
