"""Reference phrases pulled out of the standards in shared/standards/.

forbidden_phrases(): the listed 服务忌语 of 01 (by category) and 04 §3, split
    into single sentences (plus each comma clause of >= 3 characters);
    phrases shorter than 2 characters are dropped
    (04's "喂、嘿" — a one-character vector is not a sentence embedding).
polite_phrases():   a proxy set of *recommended* agent phrases: the quoted
    “…” strings of 02, 03, 04 §4 and 05 that are not customer speech.
Both are deterministic; run_eval.py writes them to out/ for inspection.
"""
import os
import re
import unicodedata

CAT_01 = {"命令语": "command", "责备语": "blame", "埋怨语": "grumble", "教训语": "lecture",
          "推卸语": "shirk", "烦燥语": "impatient", "烦躁语": "impatient"}
CAT_04 = {"1": "rude_address", "2": "interrogate", "3": "arrogant", "4": "shirk"}
_SENT_SPLIT = re.compile(r"[。！？!?;；]+")


def _nfkc(s):
    return unicodedata.normalize("NFKC", s)


def _core_len(s):
    return sum(ch.isalnum() for ch in s)


def _sentences(item):
    """'A(B)C' -> 'AC' plus 'B' when B is itself a phrase; then split on 。！？；."""
    item = _nfkc(item).strip()
    variants = []
    paren = re.findall(r"\(([^()]*)\)", item)
    base = re.sub(r"\([^()]*\)", "", item)
    variants.append(base)
    variants += [p for p in paren if _core_len(p) >= 4]
    out = []
    for v in variants:
        for s in _SENT_SPLIT.split(v):
            s = s.strip(" ,，、:：.。")
            if _core_len(s) >= 2:
                out.append((s, False))
                # comma-joined alternatives ("这不关我的事,这不是我的错,没这回事"):
                # also keep each clause of >= 3 characters as its own phrase
                clauses = [c.strip() for c in re.split(r"[,，]", s)]
                if len(clauses) > 1:
                    out += [(c, True) for c in clauses if _core_len(c) >= 3]
    return out


def forbidden_phrases(std_dir, clauses=True):
    """-> list of (phrase, category, source); clauses=False drops the comma clauses"""
    out = []
    # 01: "在线客服服务忌语" section, "一、命令语:" headers, "1. ..." items
    txt = open(os.path.join(std_dir, "01-online-service-manual.md"), encoding="utf-8").read()
    sec = txt[txt.index("在线客服服务忌语"):]
    cat = None
    for line in sec.splitlines():
        line = _nfkc(line).strip()
        m = re.match(r"^[一二三四五六七八九十]+、(\S+?)[:：]", line)
        if m:
            cat = CAT_01.get(m.group(1))
            continue
        m = re.match(r"^\d+\.\s*(.+)$", line)
        if m and cat:
            for s, is_clause in _sentences(m.group(1)):
                if clauses or not is_clause:
                    out.append((s, cat, "01"))
    # 04: between "3、服务忌语" and "4、不同情况下的标准用语"; (1)..(4) groups, ①.. items.
    # (circled numbers are split on before NFKC, which would turn them into digits)
    txt = open(os.path.join(std_dir, "04-hotline-conduct.md"), encoding="utf-8").read()
    sec = txt[txt.index("3、服务忌语"):txt.index("4、不同情况下的标准用语")]
    sec = sec[sec.index("如:") + 2:]
    for m in re.finditer(r"\((\d)\)(.*?)(?=\(\d\)|$)", sec, flags=re.S):
        cat = CAT_04[m.group(1)]
        parts = re.split(r"[①②③④⑤⑥⑦⑧⑨⑩]", m.group(2))
        if len(parts) == 1:  # "(1)对客户直呼:喂、嘿。" -> items after the colon, split on 、
            items = re.split(r"、", parts[0].split(":", 1)[-1])
        else:  # parts[0] is the group's heading ("责问、训斥或反问客户")
            items = parts[1:]
        for it in items:
            for s, is_clause in _sentences(it):
                if clauses or not is_clause:
                    out.append((s, cat, "04"))
    seen, uniq = set(), []
    for p in out:
        if p[0] not in seen:
            seen.add(p[0])
            uniq.append(p)
    return uniq


def polite_phrases(std_dir):
    out = []
    for fn, section in (("02-daily-conduct.md", None), ("03-after-sales-phrases.md", None),
                        ("04-hotline-conduct.md", "4、不同情况下的标准用语"), ("05-response-standards.md", None)):
        txt = _nfkc(open(os.path.join(std_dir, fn), encoding="utf-8").read())
        if section:
            txt = txt[txt.index(section):]
        for m in re.finditer(r"“([^“”]{4,80})”", txt):
            before = txt[max(0, m.start() - 4):m.start()]
            if "客户:" in before or "客人" in before or "客户问" in before:
                continue
            s = re.sub(r"\s+", "", re.sub(r"\([^()]*\)", "", m.group(1)))
            if re.search(r"[A-Za-z]{2,}", s) and "xx" not in s.lower():
                continue
            if _core_len(s) >= 4 and s != "自己就代表公司":  # a motto, not an utterance
                out.append((s, fn[:2]))
    seen, uniq = set(), []
    for p in out:
        if p[0] not in seen:
            seen.add(p[0])
            uniq.append(p)
    return uniq


if __name__ == "__main__":
    import sys

    d = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/standards"
    for p in forbidden_phrases(d):
        print("F", *p, sep="\t")
    for p in polite_phrases(d):
        print("P", *p, sep="\t")
