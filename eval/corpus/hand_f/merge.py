#!/usr/bin/env python3
"""Merge, deduplicate and validate the hand-written hand_f lines.

Only merges what was written by hand in raw/*.txt (format: ch|industry|style|text[|cats]).
Python 3 standard library only; no generation, no randomness.
"""
import collections, glob, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, "raw")
SRC = "hand_f"
IND = {"tel": "telecom", "bank": "banking", "ec": "e-commerce", "util": "utilities",
       "app": "appliances", "log": "logistics", "ins": "insurance", "travel": "travel",
       "gov": "government"}
CH = {"p": "phone_asr", "c": "chat"}
STYLE = {"polite": "polite-wrapper", "rhet": "rhetorical", "implied": "implication",
         "selfcorrect": "self-correction", "innocent": "innocent-use",
         "gentle_correct": "gentle-correction", "polite_request": "polite-request",
         "hard": "hard-case"}
ACAT = {"a_command": "command", "a_blame": "blame", "a_grumble": "grumble",
        "a_lecture": "lecture", "a_shirk": "shirk", "a_impatient": "impatient",
        "a_rude": "rude_address", "a_interrogate": "interrogate",
        "a_arrogant": "arrogant", "a_blunt": "blunt_correction"}
CATS = set(ACAT.values())
SCEN = {"greeting", "thanks", "praise", "apology", "cannot_hear", "not_understood",
        "complaint", "complaint_staff", "hard_to_reach", "abusive", "wants_manager",
        "suggestion", "urgent", "ask_agent_name", "personal_call", "harassment",
        "repair_request", "leave_message", "goodbye", "inquiry", "other"}
CFILE = {"c_repair": "repair_request", "c_ask_name": "ask_agent_name"}
ASR_BAD = re.compile(r"[，。！？；：“”、（）!?;:,]")

errors = []
def parse(path):
    out = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) not in (4, 5):
            errors.append(f"{path}:{n}: bad field count: {line}")
            continue
        ch, ind, style, text = parts[:4]
        extra = parts[4] if len(parts) == 5 else None
        if ch not in CH or ind not in IND:
            errors.append(f"{path}:{n}: bad channel/industry: {line}")
            continue
        text = text.strip()
        if not (2 <= len(text) <= 120):
            errors.append(f"{path}:{n}: bad length {len(text)}: {text}")
            continue
        if ch == "p" and ASR_BAD.search(text):
            errors.append(f"{path}:{n}: punctuation in phone_asr: {text}")
        out.append((ch, ind, STYLE.get(style, style), text, extra, f"{os.path.basename(path)}:{n}"))
    return out

agent, customer, seen_a, seen_c = [], [], {}, {}
norm = lambda t: re.sub(r"[\s\W_]+", "", t)
for path in sorted(glob.glob(os.path.join(RAW, "*.txt"))):
    stem = os.path.basename(path)[:-4]
    for ch, ind, style, text, extra, where in parse(path):
        if stem.startswith("a_") or stem.startswith("n_"):
            if stem.startswith("a_"):
                cats = extra.split("+") if extra else [ACAT[stem]]
                bad = [c for c in cats if c not in CATS]
                if bad:
                    errors.append(f"{where}: bad cats {bad}"); continue
                rec = {"text": text, "violation": True, "categories": cats}
            else:
                if extra:
                    errors.append(f"{where}: extra field on non-violation"); continue
                rec = {"text": text, "violation": False, "categories": []}
            if text in seen_a:
                errors.append(f"{where}: duplicate of {seen_a[text]}: {text}"); continue
            seen_a[text] = where
            rec.update(industry=IND[ind], channel=CH[ch], style=style, source=SRC)
            agent.append(rec)
        elif stem.startswith("c_"):
            scen = CFILE.get(stem, stem[2:])
            if scen not in SCEN:
                errors.append(f"{where}: bad scenario {scen}"); continue
            if text in seen_c:
                errors.append(f"{where}: duplicate of {seen_c[text]}: {text}"); continue
            seen_c[text] = where
            customer.append({"text": text, "scenario": scen, "industry": IND[ind],
                             "channel": CH[ch], "style": style, "source": SRC})

# near-duplicates (same text after removing punctuation/space) -> warn
for name, recs in (("agent", agent), ("customer", customer)):
    g = collections.defaultdict(list)
    for r in recs:
        g[norm(r["text"])].append(r["text"])
    for k, v in g.items():
        if len(v) > 1:
            print(f"WARN near-duplicate {name}: {v}", file=sys.stderr)

if errors:
    print("\n".join(errors), file=sys.stderr)
    if "--force" not in sys.argv:
        sys.exit(1)

with open(os.path.join(HERE, "agent.jsonl"), "w", encoding="utf-8") as f:
    for r in agent:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(HERE, "customer.jsonl"), "w", encoding="utf-8") as f:
    for r in customer:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

def table(counter, total):
    return "\n".join(f"| {k} | {v} | {100*v/total:.1f}% |" for k, v in counter.most_common())
nv = sum(r["violation"] for r in agent)
cat = collections.Counter(c for r in agent for c in r["categories"])
print(f"agent {len(agent)} (violations {nv} = {100*nv/len(agent):.1f}%), customer {len(customer)}")
stats = {
    "agent_total": len(agent), "agent_violations": nv,
    "categories": cat, "agent_industry": collections.Counter(r["industry"] for r in agent),
    "agent_channel": collections.Counter(r["channel"] for r in agent),
    "agent_nonviol_style": collections.Counter(r["style"] for r in agent if not r["violation"]),
    "customer_total": len(customer),
    "scenario": collections.Counter(r["scenario"] for r in customer),
    "customer_industry": collections.Counter(r["industry"] for r in customer),
    "customer_channel": collections.Counter(r["channel"] for r in customer),
}
with open(os.path.join(HERE, "stats.md"), "w", encoding="utf-8") as f:
    f.write(f"Agent lines: {len(agent)}; violations {nv} ({100*nv/len(agent):.1f}%), non-violations {len(agent)-nv}\n\n")
    f.write("Violation categories (a line may carry more than one; % of violations):\n\n| category | lines | % |\n|---|---|---|\n" + table(cat, nv) + "\n\n")
    f.write("Non-violation kinds:\n\n| kind | lines | % |\n|---|---|---|\n" + table(stats["agent_nonviol_style"], len(agent)-nv) + "\n\n")
    f.write("Agent industries:\n\n| industry | lines | % |\n|---|---|---|\n" + table(stats["agent_industry"], len(agent)) + "\n\n")
    f.write("Agent channels:\n\n| channel | lines | % |\n|---|---|---|\n" + table(stats["agent_channel"], len(agent)) + "\n\n")
    f.write(f"Customer lines: {len(customer)}\n\nScenarios:\n\n| scenario | lines | % |\n|---|---|---|\n" + table(stats["scenario"], len(customer)) + "\n\n")
    f.write("Customer industries:\n\n| industry | lines | % |\n|---|---|---|\n" + table(stats["customer_industry"], len(customer)) + "\n\n")
    f.write("Customer channels:\n\n| channel | lines | % |\n|---|---|---|\n" + table(stats["customer_channel"], len(customer)) + "\n")
print(open(os.path.join(HERE, "stats.md"), encoding="utf-8").read())
