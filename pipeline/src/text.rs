//! Submitted text as Baseline shows it back: clipped, with control characters escaped, so one
//! hostile cell can neither fill an output nor drive a terminal; line breaks counted the way
//! the CSV readers split lines; and cells trimmed.

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

/// `text.trim()`, answered from the two end bytes when both are ASCII and not whitespace (an
/// inventory's dates, two a row): then neither end can be whitespace, of one byte or many.
pub fn trim(text: &str) -> &str {
    let kept = |b: u8| b.is_ascii() && !char::from(b).is_whitespace();
    match text.as_bytes() {
        [first, .., last] if kept(*first) && kept(*last) => text,
        _ => text.trim(),
    }
}

/// Line breaks in `bytes` as a CSV reader counts them: `\n`, `\r\n` and a lone `\r` each end
/// one line.
///
/// Each byte is counted in blocks the compiler turns into wide vector compares (an inventory
/// is read whole before it is parsed, so this pass is on the path of every device row); pairs
/// are counted only when there is a `\r` at all.
pub fn line_breaks(bytes: &[u8]) -> usize {
    let newlines = occurrences(bytes, b'\n');
    let returns = occurrences(bytes, b'\r');
    if returns == 0 {
        return newlines;
    }
    let pairs = bytes
        .iter()
        .zip(&bytes[1..])
        .filter(|&(&a, &b)| a == b'\r' && b == b'\n')
        .count();
    newlines + returns - pairs
}

/// How many times `byte` occurs. Each block of 255 bytes is counted in a `u8`, which cannot
/// overflow there: a count kept in a `usize` made the compiler widen every byte to 64 bits
/// and compare four at a time, a fifth of an inventory's parsing time.
fn occurrences(bytes: &[u8], byte: u8) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            let count = block.iter().fold(0u8, |n, &b| n + u8::from(b == byte));
            usize::from(count)
        })
        .sum()
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
    fn trim_is_str_trim() {
        // Every text of up to four characters over letters, ASCII and Unicode whitespace
        // (vertical tab, no-break space, ideographic space) and a two-byte letter.
        let alphabet = [
            'a', '1', ' ', '\t', '\u{b}', '\n', '\u{a0}', '\u{3000}', 'é',
        ];
        for len in 0..=4u32 {
            for n in 0..9usize.pow(len) {
                let text: String = (0..len).map(|i| alphabet[n / 9usize.pow(i) % 9]).collect();
                assert_eq!(trim(&text), text.trim(), "{text:?}");
            }
        }
    }

    /// Each `\n`, and each `\r` not followed by `\n`, one byte at a time.
    fn by_definition(t: &[u8]) -> usize {
        (0..t.len())
            .filter(|&i| t[i] == b'\n' || (t[i] == b'\r' && t.get(i + 1) != Some(&b'\n')))
            .count()
    }

    #[test]
    fn line_breaks_agree_with_the_definition_on_every_short_text() {
        // Every text of up to 7 bytes over `a`, `\r` and `\n`.
        for len in 0..=7u32 {
            for n in 0..3usize.pow(len) {
                let text: Vec<u8> = (0..len)
                    .map(|i| [b'a', b'\r', b'\n'][n / 3usize.pow(i) % 3])
                    .collect();
                assert_eq!(line_breaks(&text), by_definition(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn line_breaks_agree_with_the_definition_across_counting_blocks() {
        // Texts longer than the 255-byte blocks, every break at every offset of a block.
        for step in [1, 2, 3, 7, 254, 255, 256] {
            for shape in [&b"\n"[..], b"\r", b"\r\n", b"a"] {
                let mut text = Vec::new();
                while text.len() < 1_200 {
                    text.extend(std::iter::repeat_n(b'x', step));
                    text.extend_from_slice(shape);
                }
                assert_eq!(line_breaks(&text), by_definition(&text), "{step} {shape:?}");
            }
        }
    }

    #[test]
    fn every_line_ending_counts() {
        assert_eq!(line_breaks(b"a\nb\r\nc\rd"), 3);
        assert_eq!(line_breaks(b"a\r\r\n"), 2);
        assert_eq!(line_breaks(b"abc"), 0);
    }
}
