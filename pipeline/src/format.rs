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

/// `value` to `decimals` places, exactly as `format!("{value:.decimals$}")` writes it: the
/// binary value's exact decimal expansion, rounded half to even. That formatting takes an
/// exact path costing over a thousand instructions a number, and each outcome's value is
/// written several times a run; so a value of no more than a billion units is scaled to whole
/// units instead, which gives the same digits unless the scaled value is within a millionth
/// of a half (the product's error is at most about a ten-millionth there), and only then,
/// or for a negative or non-finite value, or for more than nine places, is the exact path
/// taken.
pub fn fixed(value: f64, decimals: u32) -> String {
    let unit = 10u64.pow(decimals.min(9));
    let scaled = value * unit as f64;
    let whole = scaled.floor();
    let fraction = scaled - whole;
    let plain =
        decimals <= 9 && value.is_sign_positive() && scaled < 1e9 && (fraction - 0.5).abs() > 1e-6;
    if !plain {
        return format!("{value:.*}", decimals as usize);
    }
    let units = whole as u64 + u64::from(fraction > 0.5);
    let mut text = String::with_capacity(16);
    push_decimal(&mut text, units / unit, 1);
    if decimals > 0 {
        text.push('.');
        push_decimal(&mut text, units % unit, decimals as usize);
    }
    text
}

/// `n` in decimal, zeros in front to at least `width` digits (up to 20), written without
/// the formatting machinery, which costs more than the digits.
fn push_decimal(text: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let (mut at, mut rest) = (digits.len(), n);
    while rest > 0 {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let start = at.min(digits.len() - width.clamp(1, digits.len()));
    text.extend(digits[start..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_writes_what_format_writes() {
        let mut values: Vec<f64> = Vec::new();
        // Every ratio of up to 600 devices, as a share and as a percentage.
        for n in 1..=600u32 {
            for k in 0..=n {
                let ratio = f64::from(k) / f64::from(n);
                values.extend([ratio, ratio * 100.0]);
            }
        }
        // Exact halves and near-halves at every place shown, both sides of the boundary.
        for k in 0..=24 {
            let half = 1.0 / f64::from(1u32 << k);
            values.extend([half, half.next_up(), half.next_down(), 0.5 * 3.0 * half]);
        }
        values.extend([
            0.00005,
            0.00015,
            0.05,
            0.15,
            0.25,
            0.35,
            2.5,
            1e8 + 0.5,
            1e9,
            1e12,
        ]);
        values.extend([
            -0.0,
            -0.25,
            -1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]);
        values.extend([f64::MIN_POSITIVE, f64::MAX, 4e-324, 0.999_95, 0.999_949_999]);
        // And values of every magnitude from their bits.
        let mut state = 0x853C_49E6_748F_EA9B_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = f64::from_bits(state >> 2);
            values.extend([value, (state % 1_000_000) as f64 / 997.0]);
        }
        for value in values {
            for decimals in [0, 1, 2, 4, 12] {
                let expected = format!("{value:.*}", decimals as usize);
                assert_eq!(fixed(value, decimals), expected, "{value:e} to {decimals}");
            }
        }
    }

    #[test]
    fn halves_round_up() {
        assert_eq!(pct(1, 8), "12.5");
        assert_eq!(pct(1, 3), "33.3");
        assert_eq!(pct(2, 3), "66.7");
        assert_eq!(pct(1, 0), "");
    }
}
