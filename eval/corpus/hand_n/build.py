#!/usr/bin/env python3
"""Convert the hand-typed compact files in raw/ into JSON Lines and validate.

Only a format converter + checker: every text line is typed by hand in raw/*.txt.
Compact format:
  @<industry> <channel>        sets context for following lines
  agent lines:    <cats|-> <style> <text>     cats joined with '+'
  customer lines: <scenario> <style> <text>
  lines starting with '#' are comments.
"""
import json, glob, os, sys, collections

HERE = os.path.dirname(os.path.abspath(__file__))
IND = {'t': 'telecom', 'b': 'banking', 'e': 'e-commerce', 'u': 'utilities',
       'a': 'appliances', 'l': 'logistics', 'i': 'insurance', 'v': 'travel',
       'g': 'government'}
CH = {'p': 'phone_asr', 'c': 'chat'}
STY = {'te': 'terse', 've': 'verbose', 'pw': 'polite-wrapper', 're': 'regional',
       'rh': 'rhetorical', 'sa': 'sarcasm', 'im': 'implication', 'pa': 'paraphrase'}
CAT = {'cmd': 'command', 'bla': 'blame', 'gru': 'grumble', 'lec': 'lecture',
       'shi': 'shirk', 'imp': 'impatient', 'rud': 'rude_address',
       'int': 'interrogate', 'arr': 'arrogant', 'blu': 'blunt_correction'}
SCN = {'gre': 'greeting', 'tha': 'thanks', 'pra': 'praise', 'apo': 'apology',
       'hear': 'cannot_hear', 'nu': 'not_understood', 'comp': 'complaint',
       'staff': 'complaint_staff', 'reach': 'hard_to_reach', 'abu': 'abusive',
       'mgr': 'wants_manager', 'sug': 'suggestion', 'urg': 'urgent',
       'name': 'ask_agent_name', 'pers': 'personal_call', 'har': 'harassment',
       'rep': 'repair_request', 'msg': 'leave_message', 'bye': 'goodbye',
       'inq': 'inquiry', 'oth': 'other'}

errors = []

def parse(kind):
    rows = []
    for fn in sorted(glob.glob(os.path.join(HERE, 'raw', kind + '_*.txt'))):
        ind = ch = None
        for n, line in enumerate(open(fn, encoding='utf-8'), 1):
            line = line.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            where = '%s:%d' % (os.path.basename(fn), n)
            if line.startswith('@'):
                a = line[1:].split()
                if len(a) != 2 or a[0] not in IND or a[1] not in CH:
                    errors.append(where + ' bad header'); continue
                ind, ch = IND[a[0]], CH[a[1]]
                continue
            parts = line.split(None, 2)
            if len(parts) != 3:
                errors.append(where + ' bad line'); continue
            lab, sty, text = parts
            text = text.strip()
            if ind is None:
                errors.append(where + ' no header'); continue
            if sty not in STY:
                errors.append(where + ' bad style ' + sty); continue
            if not (2 <= len(text) <= 120):
                errors.append(where + ' bad length %d' % len(text))
            if kind == 'agent':
                if lab == '-':
                    cats = []
                else:
                    cs = lab.split('+')
                    if any(c not in CAT for c in cs) or len(set(cs)) != len(cs):
                        errors.append(where + ' bad cats ' + lab); continue
                    cats = [CAT[c] for c in cs]
                rows.append((where, {'text': text, 'violation': bool(cats),
                    'categories': cats, 'industry': ind, 'channel': ch,
                    'style': STY[sty], 'source': 'hand_n'}))
            else:
                if lab not in SCN:
                    errors.append(where + ' bad scenario ' + lab); continue
                rows.append((where, {'text': text, 'scenario': SCN[lab],
                    'industry': ind, 'channel': ch, 'style': STY[sty],
                    'source': 'hand_n'}))
    return rows

agent = parse('agent')
cust = parse('customer')
seen = {}
for where, r in agent + cust:
    t = r['text']
    if t in seen:
        errors.append('duplicate text %r at %s and %s' % (t, seen[t], where))
    seen[t] = where

def report(rows, key, title):
    c = collections.Counter()
    for _, r in rows:
        v = r[key]
        for x in (v if isinstance(v, list) else [v]):
            c[x] += 1
    tot = len(rows)
    print('  %s:' % title)
    for k, v in sorted(c.items(), key=lambda kv: -kv[1]):
        print('    %-18s %5d  %5.1f%%' % (k, v, 100.0 * v / tot))
    return c

print('agent lines:', len(agent))
viol = [x for x in agent if x[1]['violation']]
print('  violations: %d (%.1f%%)' % (len(viol), 100.0 * len(viol) / max(1, len(agent))))
report(viol, 'categories', 'categories (share of violation lines)')
print('  multi-label violation lines:', sum(1 for _, r in viol if len(r['categories']) > 1))
for k in ('industry', 'channel', 'style'):
    report(agent, k, k)
print('customer lines:', len(cust))
for k in ('scenario', 'industry', 'channel', 'style'):
    report(cust, k, k)
L = [len(r['text']) for _, r in agent + cust]
if L:
    print('lengths: min %d max %d; share 6-40: %.1f%%' % (min(L), max(L),
          100.0 * sum(6 <= x <= 40 for x in L) / len(L)))
if errors:
    print('ERRORS:'); [print('  ' + e) for e in errors]
    sys.exit(1)
if '--write' in sys.argv:
    with open(os.path.join(HERE, 'agent.jsonl'), 'w', encoding='utf-8') as f:
        for _, r in agent:
            f.write(json.dumps(r, ensure_ascii=False) + '\n')
    with open(os.path.join(HERE, 'customer.jsonl'), 'w', encoding='utf-8') as f:
        for _, r in cust:
            f.write(json.dumps(r, ensure_ascii=False) + '\n')
    print('written')
