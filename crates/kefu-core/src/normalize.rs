//! Character normalisation, applied one character at a time while the matcher
//! walks the text (there is no normalised copy of the text).
//!
//! Each input character either becomes one normalised character or is skipped.
//! Skipped characters say whether they separate clauses (punctuation, spaces),
//! which is what the `^`/`$` anchors of patterns look at; invisible and
//! decorative characters (zero-width spaces, `*`, `～`, `★`, emoji) do not.

include!(concat!(env!("OUT_DIR"), "/t2s.rs"));

/// What one input character becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    /// Matched as this character.
    Keep(char),
    /// Ignored by matching; `boundary` is true when it ends a clause.
    Skip { boundary: bool },
}

const DECORATIVE: Norm = Norm::Skip { boundary: false };
const BOUNDARY: Norm = Norm::Skip { boundary: true };

/// Normalises one character: traditional→simplified, full-width→half-width,
/// lower case; punctuation, spaces, invisible and decorative marks skipped.
#[inline(always)]
pub fn normalize_char(c: char) -> Norm {
    let cp = c as u32;
    if cp < 0x80 {
        return ascii(c);
    }
    if (T2S_START..=T2S_END).contains(&cp) {
        let bit = (cp - T2S_START) as usize;
        if T2S_BITMAP[bit / 64] & (1 << (bit % 64)) == 0 {
            return Norm::Keep(c);
        }
        return Norm::Keep(simplified(cp).unwrap_or(c));
    }
    match cp {
        // Full-width ASCII variants map onto ASCII, then follow its rules.
        0xFF01..=0xFF5E => match char::from_u32(cp - 0xFEE0) {
            Some('~') => DECORATIVE,
            Some(a) => ascii(a),
            None => BOUNDARY,
        },
        // Half-width CJK punctuation 。「」、・
        0xFF61..=0xFF65 => BOUNDARY,
        0x00A0 | 0x1680 | 0x3000 => BOUNDARY,
        // Combining marks, variation selectors, BOM, tags: invisible.
        0x0300..=0x036F | 0xFE00..=0xFE0F | 0xFEFF | 0xE0000..=0xE007F | 0x180E => DECORATIVE,
        // Zero-width space/joiners, direction marks, word joiner and friends.
        0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F => DECORATIVE,
        // Middle dots, bullets, ellipsis-like decoration, wave dashes.
        0x00B7 | 0x2022 | 0x2027 | 0x2219 | 0x22C5 | 0x30FB | 0x301C | 0x3030 | 0x2053 => DECORATIVE,
        // Quotes and dashes read as clause separators, as do other general punctuation.
        0x2000..=0x206F => BOUNDARY,
        // Latin-1 punctuation and symbols.
        0x00A1..=0x00BF | 0x00D7 | 0x00F7 => BOUNDARY,
        // CJK symbols and punctuation (、。「」《》【】 …).
        0x3001..=0x303F => BOUNDARY,
        // Vertical, compatibility and small forms of punctuation.
        0xFE10..=0xFE1F | 0xFE30..=0xFE6F => BOUNDARY,
        // Arrows, maths, technical, box drawing, shapes, misc symbols, dingbats,
        // enclosed alphanumerics, emoji: decoration.
        0x2100..=0x2BFF | 0x1F000..=0x1FAFF | 0x2E80..=0x2EFF => DECORATIVE,
        _ if c.is_whitespace() => BOUNDARY,
        _ if c.is_uppercase() => Norm::Keep(c.to_lowercase().next().unwrap_or(c)),
        0xF900..=0xFAFF => Norm::Keep(simplified(cp).unwrap_or(c)),
        _ => Norm::Keep(c),
    }
}

#[inline(always)]
fn ascii(c: char) -> Norm {
    match c {
        'A'..='Z' => Norm::Keep(c.to_ascii_lowercase()),
        'a'..='z' | '0'..='9' => Norm::Keep(c),
        '*' | '~' | '^' | '`' | '_' | '#' | '=' | '+' | '|' | '\\' | '@' | '&' | '$' | '%' => DECORATIVE,
        _ if c.is_ascii_control() && c != '\t' && c != '\n' && c != '\r' => DECORATIVE,
        _ => BOUNDARY,
    }
}

/// The simplified form of a traditional (or compatibility) ideograph.
fn simplified(cp: u32) -> Option<char> {
    T2S_PAIRS
        .binary_search_by_key(&cp, |&(from, _)| from)
        .ok()
        .and_then(|i| char::from_u32(T2S_PAIRS[i].1))
}

/// Normalises a whole string the way the matcher sees it (skipped characters
/// dropped, runs of one character collapsed). Used to compile patterns and in
/// tests; the matcher itself never builds this string.
pub fn normalize_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last: Option<char> = None;
    let mut boundary = false;
    for c in s.chars() {
        match normalize_char(c) {
            Norm::Skip { boundary: b } => boundary |= b,
            Norm::Keep(k) => {
                if last != Some(k) || boundary {
                    out.push(k);
                }
                last = Some(k);
                boundary = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_fullwidth_case_and_noise() {
        assert_eq!(normalize_str("這是其它部門的問題"), "这是其它部门的问题");
        assert_eq!(normalize_str("我 不 知 道"), "我不知道");
        assert_eq!(normalize_str("我*不*知*道"), "我不知道");
        assert_eq!(normalize_str("真～烦～人"), "真烦人");
        assert_eq!(normalize_str("我\u{200b}不\u{200d}知道"), "我不知道");
        assert_eq!(normalize_str("ＡＢＣ　abc"), "abcabc");
        assert_eq!(normalize_str("烦烦烦死了!!!"), "烦死了");
        assert_eq!(normalize_str("真麻煩，你怎麼不早說"), "真麻烦你怎么不早说");
        assert_eq!(normalize_str("好的😊★"), "好的");
    }

    #[test]
    fn boundaries() {
        assert_eq!(normalize_char('，'), BOUNDARY);
        assert_eq!(normalize_char('？'), BOUNDARY);
        assert_eq!(normalize_char(' '), BOUNDARY);
        assert_eq!(normalize_char('*'), DECORATIVE);
        assert_eq!(normalize_char('\u{200b}'), DECORATIVE);
        assert_eq!(normalize_char('～'), DECORATIVE);
    }
}
