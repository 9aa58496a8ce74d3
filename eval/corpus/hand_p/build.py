#!/usr/bin/env python3
"""Convert the hand-typed compact files in src/ into JSON Lines and validate.

Compact format (one utterance per line, written by hand):
  @ind <industry>                 -> sets the industry for following lines
  # ...                           -> comment
  agent:    <ch> <style> <cats>|<text>
            cats = '-' (no violation), '-h' (no violation, hard negative),
                   or comma list of category codes
  customer: <ch> <style> <scen>[*]|<text>    ('*' marks a hard case)
Nothing is generated or recombined: each line becomes exactly one record.
Standard library only.
"""
import json, sys, glob, os, collections

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'src')
SOURCE = 'hand_p'

IND = {'telecom', 'banking', 'e-commerce', 'utilities', 'appliances', 'logistics',
       'insurance', 'travel', 'government'}
CH = {'p': 'phone_asr', 'c': 'chat'}
ASTY = {'t': 'terse', 'v': 'verbose', 'pw': 'polite_wrapper', 'r': 'regional',
        'q': 'rhetorical', 's': 'sarcasm', 'i': 'implication', 'pa': 'paraphrase',
        'pl': 'plain'}
CSTY = dict(ASTY)
CSTY.update({'mx': 'mixed'})
CAT = {'cmd': 'command', 'bl': 'blame', 'gr': 'grumble', 'lec': 'lecture',
       'sh': 'shirk', 'imp': 'impatient', 'ra': 'rude_address', 'int': 'interrogate',
       'arr': 'arrogant', 'bc': 'blunt_correction'}
SCN = {'gre': 'greeting', 'thx': 'thanks', 'pra': 'praise', 'apo': 'apology',
       'hear': 'cannot_hear', 'nu': 'not_understood', 'cmp': 'complaint',
       'stf': 'complaint_staff', 'htr': 'hard_to_reach', 'abu': 'abusive',
       'mgr': 'wants_manager', 'sug': 'suggestion', 'urg': 'urgent',
       'name': 'ask_agent_name', 'pers': 'personal_call', 'har': 'harassment',
       'rep': 'repair_request', 'msg': 'leave_message', 'bye': 'goodbye',
       'inq': 'inquiry', 'oth': 'other'}

errors = []

def parse(kind):
    recs, seen = [], {}
    for fn in sorted(glob.glob(os.path.join(SRC, kind + '_*.txt'))):
        ind = None
        for n, raw in enumerate(open(fn, encoding='utf-8'), 1):
            line = raw.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            where = '%s:%d' % (os.path.basename(fn), n)
            if line.startswith('@ind'):
                ind = line.split()[1]
                if ind not in IND:
                    errors.append(where + ' bad industry ' + ind)
                continue
            if '|' not in line:
                errors.append(where + ' no |'); continue
            head, text = line.split('|', 1)
            text = text.strip()
            parts = head.split()
            if len(parts) != 3:
                errors.append(where + ' bad head ' + head); continue
            ch, sty, lab = parts
            if ch not in CH: errors.append(where + ' bad channel')
            if not (2 <= len(text) <= 120): errors.append(where + ' length %d' % len(text))
            if text in seen: errors.append(where + ' duplicate of ' + seen[text])
            seen[text] = where
            if kind == 'agent':
                if sty not in ASTY: errors.append(where + ' bad style ' + sty)
                if lab in ('-', '-h'):
                    cats, hard = [], lab == '-h'
                else:
                    codes = lab.split(',')
                    bad = [c for c in codes if c not in CAT]
                    if bad: errors.append(where + ' bad cat %s' % bad)
                    cats, hard = [CAT.get(c, c) for c in codes], False
                r = {'text': text, 'violation': bool(cats), 'categories': cats,
                     'industry': ind, 'channel': CH.get(ch), 'style': ASTY.get(sty),
                     'source': SOURCE}
                recs.append((r, hard))
            else:
                if sty not in CSTY: errors.append(where + ' bad style ' + sty)
                hard = lab.endswith('*')
                lab = lab.rstrip('*')
                if lab not in SCN: errors.append(where + ' bad scenario ' + lab)
                r = {'text': text, 'scenario': SCN.get(lab), 'industry': ind,
                     'channel': CH.get(ch), 'style': CSTY.get(sty), 'source': SOURCE}
                recs.append((r, hard))
    return recs

def report(kind, recs):
    out = []
    C = collections.Counter
    n = len(recs)
    out.append('%s lines: %d' % (kind, n))
    if kind == 'agent':
        v = [r for r, h in recs if r['violation']]
        out.append('violations: %d (%.1f%%); non-violations: %d, of which hard negatives: %d'
                   % (len(v), 100.0 * len(v) / max(n, 1), n - len(v), sum(h for _, h in recs)))
        cc = C(c for r in v for c in r['categories'])
        for k, m in sorted(cc.items(), key=lambda x: -x[1]):
            out.append('  cat %-17s %4d (%.1f%% of violations)' % (k, m, 100.0 * m / len(v)))
        out.append('  multi-label violations: %d' % sum(len(r['categories']) > 1 for r in v))
    else:
        sc = C(r['scenario'] for r, _ in recs)
        for k, m in sorted(sc.items(), key=lambda x: -x[1]):
            out.append('  scen %-16s %4d (%.1f%%)' % (k, m, 100.0 * m / n))
        out.append('  hard cases marked: %d' % sum(h for _, h in recs))
    for f in ('industry', 'channel', 'style'):
        cc = C(r[f] for r, _ in recs)
        out.append('  %s: ' % f + ', '.join('%s %d' % kv for kv in sorted(cc.items(), key=lambda x: -x[1])))
    L = [len(r['text']) for r, _ in recs]
    if L:
        out.append('  length min %d max %d; share 6-40 chars: %.1f%%' % (
            min(L), max(L), 100.0 * sum(6 <= x <= 40 for x in L) / len(L)))
    return '\n'.join(out)

def main():
    rep = []
    for kind in ('agent', 'customer'):
        recs = parse(kind)
        with open(os.path.join(HERE, kind + '.jsonl'), 'w', encoding='utf-8') as f:
            for r, _ in recs:
                f.write(json.dumps(r, ensure_ascii=False) + '\n')
        rep.append(report(kind, recs))
    print('\n\n'.join(rep))
    if errors:
        print('\nERRORS (%d):' % len(errors))
        print('\n'.join(errors[:200]))
        sys.exit(1)

if __name__ == '__main__':
    main()
