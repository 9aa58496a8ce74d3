//! Line numbers of byte positions, for errors that say `file:line`.

/// Byte offsets of the line breaks of a text, to turn a byte position into a
/// line number by binary search: counting newlines from the top for every
/// item would make loading a file quadratic in the number of its items.
pub(crate) struct Lines(Vec<usize>);

impl Lines {
    pub(crate) fn of(text: &str) -> Lines {
        Lines(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i).collect())
    }

    /// The 1-based line of a byte position.
    pub(crate) fn line(&self, byte: usize) -> usize {
        self.0.partition_point(|&nl| nl < byte) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_are_one_based() {
        let lines = Lines::of("a\nbc\n\nd");
        assert_eq!([0, 1, 2, 3, 4, 5, 6, 7, 99].map(|b| lines.line(b)), [1, 1, 2, 2, 2, 3, 4, 4, 4]);
    }
}
