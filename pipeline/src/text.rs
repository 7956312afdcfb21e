//! Submitted text as Baseline shows it back: clipped, with control characters escaped, so one
//! hostile cell can neither fill an output nor drive a terminal; and line breaks counted the
//! way the CSV readers split lines.

/// `text` with control characters written as escapes (`\u{1b}`, `\n`) and at most `max`
/// characters kept, the length said after them when it was cut.
pub fn echo(text: &str, max: usize) -> String {
    let mut shown = String::with_capacity(text.len().min(max * 2));
    let mut count = 0;
    for c in text.chars() {
        if count < max {
            if c.is_control() {
                shown.extend(c.escape_default());
            } else {
                shown.push(c);
            }
        }
        count += 1;
    }
    if count > max {
        shown.push_str(&format!("... ({count} characters)"));
    }
    shown
}

/// Line breaks in `bytes` as a CSV reader counts them: `\n`, `\r\n` and a lone `\r` each end
/// one line.
pub fn line_breaks(bytes: &[u8]) -> usize {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    let lone_returns = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .count();
    newlines + lone_returns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_escapes_controls_and_clips() {
        assert_eq!(echo("a\u{1b}[31mb\n", 60), "a\\u{1b}[31mb\\n");
        assert_eq!(echo("abcdef", 3), "abc... (6 characters)");
        assert_eq!(echo("abc", 3), "abc");
    }

    #[test]
    fn every_line_ending_counts() {
        assert_eq!(line_breaks(b"a\nb\r\nc\rd"), 3);
        assert_eq!(line_breaks(b"a\r\r\n"), 2);
        assert_eq!(line_breaks(b"abc"), 0);
    }
}
