//! The matcher: one pass over the original text that normalises each character
//! and steps a character-wise Aho–Corasick automaton (daachorse) with it at the
//! same time, recording where pattern fragments end. Sequences with gaps are stitched from
//! those fragment hits afterwards, which only touches the (few) hits.

use std::collections::HashSet;

use daachorse::CharwiseDoubleArrayAhoCorasick;

use crate::normalize::{normalize_char, Norm};
use crate::pattern::Sequence;

/// One normalised character and the original characters it stands for.
#[derive(Debug, Clone, Copy)]
struct NormChar {
    /// First original char index (inclusive), with `BOUNDARY_BIT` set when a
    /// clause boundary (punctuation, space, start of text) precedes it.
    start_and_boundary: u32,
    /// Last original char index (exclusive); > start + 1 for collapsed runs.
    end: u32,
}

const BOUNDARY_BIT: u32 = 1 << 31;


impl NormChar {
    fn start(self) -> u32 {
        self.start_and_boundary & !BOUNDARY_BIT
    }

    fn boundary_before(self) -> bool {
        self.start_and_boundary & BOUNDARY_BIT != 0
    }
}

#[derive(Debug, Clone, Copy)]
struct FragHit {
    fragment: u32,
    /// Normalised char range, end exclusive.
    nstart: u32,
    nend: u32,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    seq: u32,
    nstart: u32,
    core_nstart: u32,
    nend: u32,
}

/// A sequence matched in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternHit {
    /// The owner given when the sequence was added (a rule, an exception, a cue…).
    pub owner: u32,
    /// Span in the original text, in chars, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Where the sequence's last fragment (its key words) starts; exceptions
    /// cancel a hit when they cover `core_start..end`.
    pub core_start: usize,
}

#[derive(Debug)]
struct CompiledSeq {
    /// Per segment, the fragment ids that may stand there.
    segments: Vec<Vec<u32>>,
    gaps: Vec<u8>,
    anchor_start: bool,
    anchor_end: bool,
    one_clause: bool,
    owner: u32,
}

/// Reusable buffers, so that checking a draft on every keystroke allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    chars: Vec<NormChar>,
    /// Hits of fragments that some sequence needs to look back at, by end.
    lookback: Vec<FragHit>,
    /// Sequences stitched together, before anchors and span mapping.
    candidates: Vec<Candidate>,
    hits: Vec<PatternHit>,
    /// (sequence, segment, fragment, end) of lookback hits from which no
    /// stitch reaches back to segment 0: each is tried once per text, so
    /// stitching stays polynomial however many segments a pattern has.
    dead_ends: HashSet<(u32, u32, u32, u32)>,
    /// Normalised positions that a clause boundary (or the start of the
    /// text) precedes, ascending: one entry per clause, so that stitching
    /// can honour `^` and `=` while it searches, not only afterwards.
    boundaries: Vec<u32>,
}

/// Whether a clause boundary precedes normalised position `at`.
#[inline]
fn boundary_at(boundaries: &[u32], at: u32) -> bool {
    boundaries.binary_search(&at).is_ok()
}

/// Whether a clause boundary precedes any normalised position in `from..to`.
#[inline]
fn boundary_within(boundaries: &[u32], from: u32, to: u32) -> bool {
    let i = boundaries.partition_point(|&b| b < from);
    boundaries.get(i).is_some_and(|&b| b < to)
}

/// Per fragment: its length, whether later segments look back at it, and
/// which sequences it ends (single-segment ones, then multi-segment ones, as
/// ranges into `Matcher::seq_ids`).
#[derive(Debug, Clone, Copy, Default)]
struct FragInfo {
    chars: u32,
    /// The widest gap allowed before this fragment in the sequences it ends.
    gap_before: u32,
    needed_for_lookback: bool,
    single: (u32, u32),
    multi: (u32, u32),
}

/// A compiled set of sequences.
pub struct Matcher {
    automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    /// The literal fragments, by id (normalised text).
    fragments: Vec<String>,
    seqs: Vec<CompiledSeq>,
    /// Fragment id → what a hit of it means, packed for the hot loop.
    info: Vec<FragInfo>,
    /// Sequence ids, indexed by the ranges in `FragInfo`.
    seq_ids: Vec<u32>,
    /// Fragment id → the fragments (sorted) that may stand in the segment just
    /// before it in any sequence it ends: a cheap test that prunes most stitching.
    predecessors: Vec<Vec<u32>>,
    /// The widest gap of any sequence (merged optional segments can exceed `~9`).
    max_gap: u32,
    /// The furthest back (in normalised chars) that stitching a sequence can
    /// reach from the end of its last fragment: older lookback hits are dropped.
    max_reach: u32,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").field("fragments", &self.fragments.len()).field("sequences", &self.seqs.len()).finish()
    }
}

impl Matcher {
    /// Compiles `(owner, sequence)` pairs.
    pub fn new<'a>(sequences: impl IntoIterator<Item = (u32, &'a Sequence)>) -> Result<Self, String> {
        let mut fragment_ids: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut fragments: Vec<String> = Vec::new();
        let mut seqs = Vec::new();
        for (owner, seq) in sequences {
            let ids = seq
                .segments
                .iter()
                .map(|alternatives| {
                    alternatives
                        .iter()
                        .map(|f| {
                            *fragment_ids.entry(f.clone()).or_insert_with(|| {
                                fragments.push(f.clone());
                                (fragments.len() - 1) as u32
                            })
                        })
                        .collect()
                })
                .collect();
            seqs.push(CompiledSeq {
                segments: ids,
                gaps: seq.gaps.clone(),
                anchor_start: seq.anchor_start,
                one_clause: seq.one_clause,
                anchor_end: seq.anchor_end,
                owner,
            });
        }
        let mut final_of = vec![Vec::new(); fragments.len()];
        let mut needed_for_lookback = vec![false; fragments.len()];
        for (i, s) in seqs.iter_mut().enumerate() {
            for segment in &mut s.segments {
                segment.sort_unstable();
                segment.dedup();
            }
            if let Some((last, earlier)) = s.segments.split_last() {
                for &f in last {
                    final_of[f as usize].push(i as u32);
                }
                for &f in earlier.iter().flatten() {
                    needed_for_lookback[f as usize] = true;
                }
            }
        }
        // Values are fragment ids: daachorse numbers patterns in the order given.
        let automaton = if fragments.is_empty() {
            None
        } else {
            Some(CharwiseDoubleArrayAhoCorasick::new(&fragments).map_err(|e| format!("无法编译匹配自动机: {e}"))?)
        };
        let mut predecessors: Vec<Vec<u32>> = vec![Vec::new(); fragments.len()];
        for (f, seq_ids) in final_of.iter().enumerate() {
            for &q in seq_ids {
                let segs = &seqs[q as usize].segments;
                if segs.len() > 1 {
                    predecessors[f].extend_from_slice(&segs[segs.len() - 2]);
                }
            }
            predecessors[f].sort_unstable();
            predecessors[f].dedup();
        }
        let mut seq_ids = Vec::new();
        let mut info = vec![FragInfo::default(); fragments.len()];
        for (f, ids) in final_of.iter().enumerate() {
            let mut range = |single: bool| {
                let start = seq_ids.len() as u32;
                seq_ids.extend(ids.iter().copied().filter(|&q| (seqs[q as usize].segments.len() == 1) == single));
                (start, seq_ids.len() as u32)
            };
            let single = range(true);
            let multi = range(false);
            let gap_before = seq_ids[multi.0 as usize..multi.1 as usize]
                .iter()
                .filter_map(|&q| seqs[q as usize].gaps.last())
                .map(|&g| u32::from(g))
                .max()
                .unwrap_or(0);
            info[f] = FragInfo {
                chars: fragments[f].chars().count() as u32,
                gap_before,
                needed_for_lookback: needed_for_lookback[f],
                single,
                multi,
            };
        }
        let max_gap = seqs.iter().flat_map(|s| s.gaps.iter()).map(|&g| u32::from(g)).max().unwrap_or(0);
        let longest = |segment: &Vec<u32>| segment.iter().map(|&f| info[f as usize].chars).max().unwrap_or(0);
        let max_reach = seqs
            .iter()
            .map(|s| {
                // Every segment counts, the last one too: a fragment found
                // later may start before the position where pruning happens.
                let widths: u32 = s.segments.iter().map(longest).fold(0u32, u32::saturating_add);
                let gaps: u32 = s.gaps.iter().map(|&g| u32::from(g)).fold(0u32, u32::saturating_add);
                widths.saturating_add(gaps)
            })
            .max()
            .unwrap_or(0);
        Ok(Matcher { automaton, fragments, seqs, info, seq_ids, predecessors, max_gap, max_reach })
    }

    /// The fragments (normalised literals) this matcher looks for.
    pub fn fragments(&self) -> &[String] {
        &self.fragments
    }

    /// Finds every sequence in `text`. Hits are in order of their end.
    pub fn find<'s>(&self, text: &str, scratch: &'s mut Scratch) -> &'s [PatternHit] {
        scratch.chars.clear();
        scratch.lookback.clear();
        scratch.candidates.clear();
        scratch.hits.clear();
        scratch.dead_ends.clear();
        scratch.boundaries.clear();
        let Some(automaton) = &self.automaton else { return &scratch.hits };
        self.scan(automaton, text, scratch);
        if scratch.candidates.is_empty() {
            return &scratch.hits;
        }
        // Rare: something matched. Map normalised positions back to the
        // original text and check the clause anchors.
        map_chars(text, &mut scratch.chars);
        for c in &scratch.candidates {
            let seq = &self.seqs[c.seq as usize];
            if let Some((start, end)) = anchored_span(seq, c.nstart, c.nend, &scratch.chars) {
                let core_start = scratch.chars[c.core_nstart as usize].start() as usize;
                scratch.hits.push(PatternHit { owner: seq.owner, start, end, core_start });
            }
        }
        &scratch.hits
    }

    /// Pass one: normalise and step the automaton, char by char, recording
    /// only where fragments end (in normalised chars).
    fn scan(&self, automaton: &CharwiseDoubleArrayAhoCorasick<u32>, text: &str, scratch: &mut Scratch) {
        let mut stepper = automaton.find_overlapping_stepper();
        let mut last: Option<char> = None;
        let mut boundary = true;
        let mut nend: u32 = 0;
        // Lookback hits too old for any sequence to reach are dropped now and
        // then, so a long text keeps only a window of them.
        let mut prune_at = PRUNE_AT_LEAST;
        for c in text.chars() {
            let k = match normalize_char(c) {
                Norm::Skip { boundary: b } => {
                    boundary |= b;
                    continue;
                }
                Norm::Keep(k) => k,
            };
            // A repeated character counts once (烦烦烦 = 烦).
            if last == Some(k) && !boundary {
                continue;
            }
            last = Some(k);
            if boundary {
                scratch.boundaries.push(nend);
            }
            boundary = false;
            nend += 1;
            stepper.consume(k);
            for m in stepper.matches() {
                let fragment = m.value();
                let info = self.info[fragment as usize];
                let hit = FragHit { fragment, nstart: nend - info.chars, nend };
                if info.single.0 != info.multi.1 {
                    self.complete(hit, info, &scratch.lookback, &scratch.boundaries, &mut scratch.candidates, &mut scratch.dead_ends);
                }
                if info.needed_for_lookback {
                    scratch.lookback.push(hit);
                }
            }
            if scratch.lookback.len() >= prune_at {
                let reach = self.max_reach.saturating_add(1);
                let stale = scratch.lookback.partition_point(|h| h.nend.saturating_add(reach) < nend);
                scratch.lookback.drain(..stale);
                prune_at = (scratch.lookback.len() * 2).max(PRUNE_AT_LEAST);
            }
        }
    }

    /// The sequences that `hit` (just found) completes, given the earlier hits.
    #[inline]
    fn complete(
        &self,
        hit: FragHit,
        info: FragInfo,
        lookback: &[FragHit],
        boundaries: &[u32],
        candidates: &mut Vec<Candidate>,
        dead_ends: &mut HashSet<(u32, u32, u32, u32)>,
    ) {
        let f = hit.fragment as usize;
        for &seq in &self.seq_ids[info.single.0 as usize..info.single.1 as usize] {
            candidates.push(Candidate { seq, nstart: hit.nstart, core_nstart: hit.nstart, nend: hit.nend });
        }
        let multi = &self.seq_ids[info.multi.0 as usize..info.multi.1 as usize];
        // Earlier segments must end at most `max_gap` chars before this one
        // starts; usually no lookback hit is that close and we are done.
        if multi.is_empty() || lookback.last().is_none_or(|h| h.nend + info.gap_before < hit.nstart) {
            return;
        }
        let window = self.window(lookback, hit.nstart, info.gap_before);
        let before = &self.predecessors[f];
        if !window.iter().any(|h| before.binary_search(&h.fragment).is_ok()) {
            return;
        }
        for &seq_id in multi {
            let seq = &self.seqs[seq_id as usize];
            if let Some(nstart) = self.stitch(seq_id, seq.segments.len() - 1, hit, window, lookback, boundaries, dead_ends) {
                candidates.push(Candidate { seq: seq_id, nstart, core_nstart: hit.nstart, nend: hit.nend });
            }
        }
    }

    /// The lookback hits ending in `[nstart - gap, nstart]` (the list is
    /// ordered by end, so two binary searches find them).
    #[inline]
    fn window<'l>(&self, lookback: &'l [FragHit], nstart: u32, gap: u32) -> &'l [FragHit] {
        let upto = lookback.partition_point(|h| h.nend <= nstart);
        let from = lookback[..upto].partition_point(|h| h.nend.saturating_add(gap) < nstart);
        &lookback[from..upto]
    }

    /// Finds segments `0..=k` of sequence `seq_id` ending with `hit` (in
    /// segment k), returning the normalised start of segment 0. `window`
    /// holds the lookback hits that end within the widest gap before `hit`;
    /// earlier segments must end within their own gap before the next one
    /// starts; the closest is tried first. The sequence's `^` (segment 0
    /// begins a clause) and `=` (no boundary after the start, up to the end
    /// of `hit`) are part of the search: a closer segment that breaks them
    /// does not hide a farther one that keeps them. A lookback hit that
    /// leads nowhere is remembered in `dead_ends` and never tried again for
    /// this sequence.
    #[allow(clippy::too_many_arguments)]
    fn stitch(
        &self,
        seq_id: u32,
        k: usize,
        hit: FragHit,
        window: &[FragHit],
        lookback: &[FragHit],
        boundaries: &[u32],
        dead_ends: &mut HashSet<(u32, u32, u32, u32)>,
    ) -> Option<u32> {
        let seq = &self.seqs[seq_id as usize];
        if k == 0 {
            let anchored = !seq.anchor_start || boundary_at(boundaries, hit.nstart);
            let one_clause = !seq.one_clause || !boundary_within(boundaries, hit.nstart + 1, hit.nend);
            return (anchored && one_clause).then_some(hit.nstart);
        }
        let want = &seq.segments[k - 1];
        let lowest_end = hit.nstart.saturating_sub(u32::from(seq.gaps[k - 1]));
        for prev in window.iter().rev() {
            if prev.nend > hit.nstart {
                continue;
            }
            if prev.nend < lowest_end {
                break;
            }
            if want.binary_search(&prev.fragment).is_ok() {
                // One clause: nothing from the end of `prev` to the end of `hit`
                // may be preceded by a boundary (earlier ones are `stitch`'s);
                // hits further back only widen that span.
                if seq.one_clause && boundary_within(boundaries, prev.nend, hit.nend) {
                    break;
                }
                let key = (seq_id, (k - 1) as u32, prev.fragment, prev.nend);
                if dead_ends.contains(&key) {
                    continue;
                }
                let earlier = self.window(lookback, prev.nstart, self.max_gap);
                if let Some(start) = self.stitch(seq_id, k - 1, *prev, earlier, lookback, boundaries, dead_ends) {
                    return Some(start);
                }
                dead_ends.insert(key);
            }
        }
        None
    }
}

/// Lookback hits are pruned once there are at least this many.
const PRUNE_AT_LEAST: usize = 4096;

/// Pass two, only when something matched: the original char span and the
/// clause boundary of every normalised char, by the same rules as `scan`.
fn map_chars(text: &str, chars: &mut Vec<NormChar>) {
    chars.clear();
    let mut last: Option<char> = None;
    let mut boundary = true;
    for (idx, c) in text.chars().enumerate() {
        let idx = idx as u32;
        let k = match normalize_char(c) {
            Norm::Skip { boundary: b } => {
                boundary |= b;
                continue;
            }
            Norm::Keep(k) => k,
        };
        if last == Some(k) && !boundary {
            if let Some(prev) = chars.last_mut() {
                prev.end = idx + 1;
            }
            continue;
        }
        last = Some(k);
        let flag = if boundary { BOUNDARY_BIT } else { 0 };
        chars.push(NormChar { start_and_boundary: idx | flag, end: idx + 1 });
        boundary = false;
    }
}

/// Applies the `^`/`$` anchors and maps a normalised span to original chars.
fn anchored_span(seq: &CompiledSeq, nstart: u32, nend: u32, chars: &[NormChar]) -> Option<(usize, usize)> {
    let first = chars.get(nstart as usize)?;
    let last = chars.get(nend as usize - 1)?;
    if seq.anchor_start && !first.boundary_before() {
        return None;
    }
    if seq.anchor_end && chars.get(nend as usize).is_some_and(|next| !next.boundary_before()) {
        return None;
    }
    if seq.one_clause && chars[nstart as usize + 1..nend as usize].iter().any(|c| c.boundary_before()) {
        return None;
    }
    Some((first.start() as usize, last.end as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::compile;

    fn matcher(patterns: &[&str]) -> Matcher {
        let seqs: Vec<(u32, Sequence)> = patterns
            .iter()
            .enumerate()
            .flat_map(|(i, p)| compile(p).expect("pattern").into_iter().map(move |s| (i as u32, s)))
            .collect();
        Matcher::new(seqs.iter().map(|(o, s)| (*o, s))).expect("matcher")
    }

    fn spans(m: &Matcher, text: &str) -> Vec<(u32, usize, usize)> {
        let mut scratch = Scratch::default();
        m.find(text, &mut scratch).iter().map(|h| (h.owner, h.start, h.end)).collect()
    }

    #[test]
    fn spans_are_in_original_chars() {
        let m = matcher(&["不知道"]);
        assert_eq!(spans(&m, "我不知道"), vec![(0, 1, 4)]);
        assert_eq!(spans(&m, "我 不 知 道"), vec![(0, 2, 7)]);
        assert_eq!(spans(&m, "我*不*知*道!"), vec![(0, 2, 7)]);
        assert_eq!(spans(&m, "不不不知道"), vec![(0, 0, 5)]);
        assert_eq!(spans(&m, "不\u{200b}知道"), vec![(0, 0, 4)]);
    }

    #[test]
    fn gaps_are_bounded() {
        let m = matcher(&["我~2不知道"]);
        assert_eq!(spans(&m, "我真的不知道"), vec![(0, 0, 6)]);
        assert_eq!(spans(&m, "我不知道"), vec![(0, 0, 4)]);
        assert!(spans(&m, "我今天真的是不知道").is_empty());
    }

    #[test]
    fn anchors_look_at_clause_boundaries() {
        let m = matcher(&["^什么$"]);
        assert_eq!(spans(&m, "什么？"), vec![(0, 0, 2)]);
        assert_eq!(spans(&m, "好的，什么！"), vec![(0, 3, 5)]);
        assert!(spans(&m, "什么时候").is_empty());
        assert!(spans(&m, "为什么").is_empty());
    }

    #[test]
    fn anchors_hold_for_any_stitch_not_only_the_closest() {
        // The 最好 closest to 提前 is mid-clause; the first one begins the clause.
        let m = matcher(&["^最好~8提前"]);
        assert_eq!(spans(&m, "最好你们最好提前通知"), vec![(0, 0, 8)]);
        assert!(spans(&m, "你们最好提前通知").is_empty());
        let m = matcher(&["^b~a"]);
        assert_eq!(spans(&m, "BaBa"), vec![(0, 0, 2), (0, 0, 4)]);
    }

    #[test]
    fn one_clause_patterns_do_not_cross_punctuation() {
        let m = matcher(&["=不清楚你"]);
        assert_eq!(spans(&m, "我不清楚你的情况"), vec![(0, 1, 5)]);
        assert!(spans(&m, "我不清楚，你去问").is_empty());
    }

    #[test]
    fn traditional_and_width() {
        let m = matcher(&["其它部门的问题"]);
        assert_eq!(spans(&m, "這是其它部門的問題"), vec![(0, 2, 9)]);
        let m = matcher(&["vip"]);
        assert_eq!(spans(&m, "ＶＩＰ客户"), vec![(0, 0, 3)]);
    }

    #[test]
    fn overlapping_patterns_all_found() {
        let m = matcher(&["不知道", "我不知道", "知道了"]);
        let found = spans(&m, "我不知道了");
        assert!(found.contains(&(0, 1, 4)) && found.contains(&(1, 0, 4)) && found.contains(&(2, 2, 5)));
    }
}
