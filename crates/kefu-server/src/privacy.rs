//! Personal data in logs: phone numbers are masked before anything that may
//! carry user text is logged.

/// Masks every run of 7 or more digits (spaces and dashes inside allowed):
/// a mobile number keeps its first three and last four digits
/// (13812345678 → 138****5678), a shorter number only its last four.
pub fn mask_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between them.
        let mut j = i;
        let mut digits = Vec::new();
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            } else if (chars[j] == ' ' || chars[j] == '-') && chars.get(j + 1).is_some_and(char::is_ascii_digit) && !digits.is_empty() {
                j += 1;
            } else {
                break;
            }
        }
        let n = digits.len();
        if n >= 11 {
            out.extend(&digits[..3]);
            out.push_str(&"*".repeat(n - 7));
            out.extend(&digits[n - 4..]);
        } else if n >= 7 {
            out.push_str(&"*".repeat(n - 4));
            out.extend(&digits[n - 4..]);
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_phones;

    #[test]
    fn phone_numbers_are_masked() {
        assert_eq!(mask_phones("我的手机是13812345678，打给我"), "我的手机是138****5678，打给我");
        assert_eq!(mask_phones("call 138-1234-5678 now"), "call 138****5678 now");
        assert_eq!(mask_phones("座机 010 6512 3456"), "座机 010****3456");
        assert_eq!(mask_phones("工号1024，3 声"), "工号1024，3 声");
        assert_eq!(mask_phones("分机 6512345"), "分机 ***2345");
        assert_eq!(mask_phones(""), "");
    }
}
