//! Numbers as the outputs write them: figures stay numbers through the stages and become text
//! here, at the edge, for a table or a page.

/// A percentage to one decimal, halves rounded up, from whole counts; empty for a whole of 0.
pub fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        return String::new();
    }
    let tenths = (2000 * part + whole) / (2 * whole);
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_round_up() {
        assert_eq!(pct(1, 8), "12.5");
        assert_eq!(pct(1, 3), "33.3");
        assert_eq!(pct(2, 3), "66.7");
        assert_eq!(pct(1, 0), "");
    }
}
