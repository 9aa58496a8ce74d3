#!/usr/bin/env python3
"""hand_e: parse hand-written transcripts (raw/*.txt), dedupe, validate, write jsonl.
Only parses/validates; every text was written by hand."""
import json, re, glob, os, sys, collections
CATS = {"command","blame","grumble","lecture","shirk","impatient","rude_address","interrogate","arrogant","blunt_correction"}
SCEN = {"greeting","thanks","praise","apology","cannot_hear","not_understood","complaint","complaint_staff","hard_to_reach","abusive","wants_manager","suggestion","urgent","ask_agent_name","personal_call","harassment","repair_request","leave_message","goodbye","inquiry","other"}
IND = {"telecom","banking","ecommerce","utilities","appliances","logistics","insurance","travel","government"}
CH = {"phone_asr","chat"}
here = os.path.dirname(os.path.abspath(__file__))
agent, cust, seen, errs = [], [], set(), []
dups = 0; ntrans = 0
COLL = re.compile("嘛|呗|啥|咋|甭|俺|闺女|嘞|哎哟|整明白|玩意")
def dstyle(t, cats=()):
    if "interrogate" in cats: return "rhetorical"
    if COLL.search(t): return "colloquial"
    if len(t) <= 8: return "terse"
    if len(t) > 40: return "verbose"
    return "plain"
for fn in sorted(glob.glob(os.path.join(here, "raw", "*.txt"))):
    ind = ch = None
    for ln, raw in enumerate(open(fn, encoding="utf-8"), 1):
        line = raw.rstrip("\n").strip()
        if not line or line.startswith("#") and not line.startswith("## "):
            continue
        where = f"{os.path.basename(fn)}:{ln}"
        if line.startswith("## "):
            parts = line[3:].split()
            ind, ch = parts[0], parts[1]
            if ind not in IND or ch not in CH: errs.append(f"{where} bad header {line}")
            ntrans += 1
            continue
        if "|" not in line: errs.append(f"{where} no bar: {line}"); continue
        tag, text = line.split("|", 1)
        text = text.strip()
        style = None
        if "@" in tag: tag, style = tag.split("@", 1)
        if not (2 <= len(text) <= 120): errs.append(f"{where} length {len(text)}: {text}")
        if text in seen: dups += 1; continue
        seen.add(text)
        if tag == "A":
            agent.append(dict(text=text, violation=False, categories=[], industry=ind, channel=ch, style=style or dstyle(text), source="hand_e"))
        elif tag.startswith("A!"):
            cats = [c.strip() for c in tag[2:].split(",") if c.strip()]
            bad = [c for c in cats if c not in CATS]
            if bad or not cats: errs.append(f"{where} bad cats {cats}")
            agent.append(dict(text=text, violation=True, categories=cats, industry=ind, channel=ch, style=style or dstyle(text, cats), source="hand_e"))
        elif tag.startswith("C:"):
            sc = tag[2:].strip()
            if sc not in SCEN: errs.append(f"{where} bad scenario {sc}")
            cust.append(dict(text=text, scenario=sc, industry=ind, channel=ch, style=style or dstyle(text), source="hand_e"))
        else:
            errs.append(f"{where} bad tag {tag}")
if errs:
    print("\n".join(errs)); sys.exit(1) if "--strict" in sys.argv else None
with open(os.path.join(here, "agent.jsonl"), "w", encoding="utf-8") as f:
    for r in agent: f.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(here, "customer.jsonl"), "w", encoding="utf-8") as f:
    for r in cust: f.write(json.dumps(r, ensure_ascii=False) + "\n")
nv = sum(r["violation"] for r in agent)
print(f"transcripts {ntrans} agent {len(agent)} (viol {nv} = {nv/max(1,len(agent)):.1%}) customer {len(cust)} dups_dropped {dups}")
cc = collections.Counter(c for r in agent for c in r["categories"])
print("categories:", ", ".join(f"{k} {v} ({v/max(1,nv):.1%})" for k, v in cc.most_common()))
sc = collections.Counter(r["scenario"] for r in cust)
print("scenarios:", ", ".join(f"{k} {v} ({v/max(1,len(cust)):.1%})" for k, v in sc.most_common()))
for name, key in (("industry", "industry"), ("channel", "channel"), ("style", "style")):
    print(f"{name} agent:", dict(collections.Counter(r[key] for r in agent).most_common()))
    print(f"{name} customer:", dict(collections.Counter(r[key] for r in cust).most_common()))
