#!/usr/bin/env python3
"""Convert the hand-typed compact batches (batches/*.txt) into agent.jsonl /
customer.jsonl and validate them.  Standard library only.  This script does
NOT generate text: every line of text is typed by hand in the batch files; the
script only expands abbreviations and checks the result.

Compact format (one item per line, '#' starts a comment line):
  @ IND CH free scene note        scene header: sets industry and channel
  A- STYLE[/hn] text              agent line, no violation (hn = hard-negative tag)
  A+ CAT[,CAT] STYLE text         agent line, violation
  C  SCEN STYLE text              customer line
"""
import json, sys, glob, os, re, collections

HERE = os.path.dirname(os.path.abspath(__file__))
IND = {'tel': 'telecom', 'bank': 'banking', 'ec': 'e-commerce', 'util': 'utilities',
       'app': 'appliances', 'log': 'logistics', 'ins': 'insurance', 'trv': 'travel',
       'gov': 'government'}
CH = {'p': 'phone_asr', 'c': 'chat'}
STY = {'t': 'terse', 'v': 'verbose', 'w': 'polite_wrapper', 'r': 'regional',
       'q': 'rhetorical', 's': 'sarcasm', 'i': 'implication', 'p': 'paraphrase',
       'n': 'plain'}
CAT = {'cmd': 'command', 'bla': 'blame', 'gru': 'grumble', 'lec': 'lecture',
       'shi': 'shirk', 'imp': 'impatient', 'rud': 'rude_address', 'int': 'interrogate',
       'arr': 'arrogant', 'blu': 'blunt_correction'}
HN = {'self': 'self-correction', 'inn': 'list words in innocent use',
      'redir': 'polite redirection', 'refuse': 'polite refusal',
      'emp': 'apology / empathy', 'biz': 'ordinary business talk',
      'remind': 'polite reminder / explanation of policy'}
SCEN = {'gre': 'greeting', 'thx': 'thanks', 'pra': 'praise', 'apo': 'apology',
        'hear': 'cannot_hear', 'nu': 'not_understood', 'comp': 'complaint',
        'cst': 'complaint_staff', 'htr': 'hard_to_reach', 'abu': 'abusive',
        'mgr': 'wants_manager', 'sug': 'suggestion', 'urg': 'urgent',
        'name': 'ask_agent_name', 'pers': 'personal_call', 'har': 'harassment',
        'rep': 'repair_request', 'msg': 'leave_message', 'bye': 'goodbye',
        'inq': 'inquiry', 'oth': 'other'}
SRC = 'hand_o'


def load():
    agent, cust, errs = [], [], []
    hn_count = collections.Counter()
    for fn in sorted(glob.glob(os.path.join(HERE, 'batches', '*.txt'))):
        ind = ch = None
        for no, raw in enumerate(open(fn, encoding='utf-8'), 1):
            line = raw.rstrip('\n').rstrip()
            where = '%s:%d' % (os.path.basename(fn), no)
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            if line.startswith('@'):
                parts = line.split(None, 3)
                try:
                    ind, ch = IND[parts[1]], CH[parts[2]]
                except (KeyError, IndexError):
                    errs.append(where + ' bad header')
                continue
            if ind is None:
                errs.append(where + ' no header'); continue
            tag = line.split(None, 1)[0]
            try:
                if tag == 'A-':
                    _, sty, text = line.split(None, 2)
                    hn = None
                    if '/' in sty:
                        sty, hn = sty.split('/')
                        if hn not in HN:
                            errs.append(where + ' bad hn ' + hn)
                        hn_count[hn] += 1
                    agent.append(dict(text=text.strip(), violation=False, categories=[],
                                      industry=ind, channel=ch, style=STY[sty], source=SRC,
                                      _where=where, _hn=hn))
                elif tag == 'A+':
                    _, cats, sty, text = line.split(None, 3)
                    cl = [CAT[c] for c in cats.split(',')]
                    agent.append(dict(text=text.strip(), violation=True, categories=cl,
                                      industry=ind, channel=ch, style=STY[sty], source=SRC,
                                      _where=where))
                elif tag == 'C':
                    _, sc, sty, text = line.split(None, 3)
                    cust.append(dict(text=text.strip(), scenario=SCEN[sc], industry=ind,
                                     channel=ch, style=STY[sty], source=SRC, _where=where))
                else:
                    errs.append(where + ' bad tag')
            except (KeyError, ValueError) as e:
                errs.append('%s parse error %r' % (where, e))
    return agent, cust, errs, hn_count


def std_phrases():
    """Sentences of the standards (>= 6 chars) that must not be copied verbatim."""
    out = set()
    for fn in glob.glob('/work/shared/standards/0*.md'):
        txt = open(fn, encoding='utf-8').read()
        for seg in re.split(r'[，,。.！!？?；;：:“”"（）()\n\s、…*/]+', txt):
            seg = seg.strip()
            if len(seg) >= 6 and re.search(r'[\u4e00-\u9fff]', seg):
                out.add(seg)
    return out


def length_style(rows):
    """The hand-chosen form styles (regional, sarcasm, implication, rhetorical,
    polite_wrapper, paraphrase) are kept as typed.  The three length styles were
    typed loosely ('t' was my default key), so they are re-derived from length:
    <= 14 characters terse, >= 45 verbose, otherwise plain."""
    for r in rows:
        if r['style'] in ('terse', 'plain', 'verbose'):
            n = len(r['text'])
            r['style'] = 'terse' if n <= 14 else ('verbose' if n >= 45 else 'plain')


def main():
    agent, cust, errs, hn = load()
    length_style(agent)
    length_style(cust)
    for name, rows in (('agent', agent), ('customer', cust)):
        seen = {}
        for r in rows:
            t = r['text']
            if not (2 <= len(t) <= 120):
                errs.append('%s len %d: %s' % (r['_where'], len(t), t))
            if t in seen:
                errs.append('%s dup of %s: %s' % (r['_where'], seen[t], t))
            seen[t] = r['_where']
    dup_x = set(a['text'] for a in agent) & set(c['text'] for c in cust)
    for t in dup_x:
        errs.append('text in both files: ' + t)
    phrases = std_phrases()
    for r in agent + cust:
        norm = re.sub(r'[，,。.！!？?；;：:“”"\s、…~～]+', '', r['text'])
        for p in phrases:
            if p in r['text'] or p in norm:
                errs.append('%s copies standard phrase %r: %s' % (r['_where'], p, r['text']))
    for e in errs:
        print('ERR', e)
    with open(os.path.join(HERE, 'agent.jsonl'), 'w', encoding='utf-8') as f:
        for r in agent:
            f.write(json.dumps({k: v for k, v in r.items() if not k.startswith('_')},
                               ensure_ascii=False) + '\n')
    with open(os.path.join(HERE, 'customer.jsonl'), 'w', encoding='utf-8') as f:
        for r in cust:
            f.write(json.dumps({k: v for k, v in r.items() if not k.startswith('_')},
                               ensure_ascii=False) + '\n')
    if '-q' in sys.argv:
        print('agent', len(agent), 'customer', len(cust), 'errors', len(errs))
        return
    nv = sum(r['violation'] for r in agent)
    print('AGENT %d  violations %d (%.1f%%)' % (len(agent), nv, 100.0 * nv / max(1, len(agent))))
    cc = collections.Counter(c for r in agent for c in r['categories'])
    for c in CAT.values():
        print('  %-17s %4d  %.1f%% of violations' % (c, cc[c], 100.0 * cc[c] / max(1, nv)))
    print('  multi-label lines', sum(len(r['categories']) > 1 for r in agent))
    print('  hard negatives', dict(hn), 'total', sum(hn.values()))
    for key in ('industry', 'channel', 'style'):
        print('  %s' % key, dict(collections.Counter(r[key] for r in agent).most_common()))
    print('  violation styles', dict(collections.Counter(r['style'] for r in agent if r['violation']).most_common()))
    print('CUSTOMER %d' % len(cust))
    sc = collections.Counter(r['scenario'] for r in cust)
    for s in SCEN.values():
        print('  %-16s %4d  %.1f%%' % (s, sc[s], 100.0 * sc[s] / max(1, len(cust))))
    for key in ('industry', 'channel', 'style'):
        print('  %s' % key, dict(collections.Counter(r[key] for r in cust).most_common()))
    lens = [len(r['text']) for r in agent + cust]
    print('LENGTH share 6-40: %.1f%%  max %d  min %d' % (
        100.0 * sum(6 <= l <= 40 for l in lens) / max(1, len(lens)), max(lens or [0]), min(lens or [0])))
    print('errors', len(errs))


if __name__ == '__main__':
    main()
