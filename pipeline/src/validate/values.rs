//! Typing one measure's value by the dictionary: counts, money, yes/no and dates, each with
//! the exact acceptance rules of SPEC ("Values") and a message that says what to change.

use chrono::NaiveDate;

use crate::contract::{Code, Measure, MeasureType};
use crate::ingest::returns::{RawValue, clip};
use crate::period::parse_date;

/// A measure's value once typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Count(u64),
    Money(f64),
    Bool(bool),
    Date(NaiveDate),
}

impl Value {
    pub fn as_count(self) -> Option<u64> {
        match self {
            Value::Count(n) => Some(n),
            _ => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Money(m) => write!(f, "{m:.2}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Date(d) => write!(f, "{d}"),
        }
    }
}

/// Why a value was rejected: the code and the message for the submitter.
pub type Rejection = (Code, String);

/// Types `raw` as `measure` requires; `period_end` bounds dates that may not be later.
pub fn type_value(
    measure: &Measure,
    raw: &RawValue,
    period_end: NaiveDate,
) -> Result<Value, Rejection> {
    let value = match measure.kind {
        MeasureType::Count => count(raw).map(Value::Count)?,
        MeasureType::Money => money(raw).map(Value::Money)?,
        MeasureType::Bool => boolean(raw).map(Value::Bool)?,
        MeasureType::Date => date(raw).map(Value::Date)?,
    };
    match value {
        Value::Count(n) if n < measure.min => Err((
            Code::OutOfRange,
            format!("must be at least {}; {n} was given", measure.min),
        )),
        Value::Date(d) if measure.not_after_period_end && d > period_end => Err((
            Code::DateAfterPeriodEnd,
            format!(
                "{d} is after the end of the period ({period_end}); give the date of the last one that has happened"
            ),
        )),
        value => Ok(value),
    }
}

fn invalid(raw: &RawValue, expected: &str) -> Rejection {
    (
        Code::InvalidValue,
        format!("{} is not {expected}", raw.shown()),
    )
}

const COUNT: &str = "a whole number: give a count such as 5230 or 5,230, without decimals or signs";
const MONEY: &str =
    "an amount in pounds: give a number such as 125000 or 125000.50, without a currency sign";
const BOOL: &str = "yes or no: give one of yes, no, true, false, y, n, 1 or 0";
const DATE: &str = "a date: give it as YYYY-MM-DD (2026-03-14) or DD/MM/YYYY (14/03/2026)";

/// Digits only, or digits grouped by commas in threes (`1,234,567`).
fn digits_grouped(text: &str) -> Option<String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.to_string());
    }
    let groups: Vec<&str> = text.split(',').collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let digits = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    (groups.len() > 1 && first_ok && rest_ok && digits).then(|| groups.concat())
}

fn count(raw: &RawValue) -> Result<u64, Rejection> {
    match raw {
        RawValue::Text(text) => {
            let text = text.trim();
            if let Some(rest) = text.strip_prefix('-')
                && digits_grouped(rest).is_some()
            {
                return Err((
                    Code::OutOfRange,
                    format!("{} is negative; a count cannot be below 0", clip(text)),
                ));
            }
            let digits = digits_grouped(text).ok_or_else(|| invalid(raw, COUNT))?;
            digits.parse().map_err(|_| {
                (
                    Code::OutOfRange,
                    format!("{} is too large to be a count", clip(text)),
                )
            })
        }
        RawValue::Number(n) if n.is_finite() && n.fract() == 0.0 => {
            if *n < 0.0 {
                Err((
                    Code::OutOfRange,
                    format!("{n} is negative; a count cannot be below 0"),
                ))
            } else if *n > 9.0e15 {
                Err((Code::OutOfRange, format!("{n} is too large to be a count")))
            } else {
                Ok(*n as u64)
            }
        }
        _ => Err(invalid(raw, COUNT)),
    }
}

fn money(raw: &RawValue) -> Result<f64, Rejection> {
    match raw {
        RawValue::Text(text) => {
            let text = text.trim();
            let (negative, unsigned) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text),
            };
            let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
            let whole = digits_grouped(whole);
            let fraction_ok = fraction.len() <= 2 && fraction.bytes().all(|b| b.is_ascii_digit());
            let has_point = unsigned.contains('.');
            match whole {
                Some(whole) if fraction_ok && (!has_point || !fraction.is_empty()) => {
                    if negative {
                        return Err((
                            Code::OutOfRange,
                            format!("{} is negative; spend cannot be below 0", clip(text)),
                        ));
                    }
                    format!("{whole}.{fraction}0")
                        .parse()
                        .map_err(|_| invalid(raw, MONEY))
                }
                _ => Err(invalid(raw, MONEY)),
            }
        }
        RawValue::Number(n) if n.is_finite() => {
            if *n < 0.0 {
                Err((
                    Code::OutOfRange,
                    format!("{n} is negative; spend cannot be below 0"),
                ))
            } else if ((n * 100.0).round() - n * 100.0).abs() > 1e-6 {
                Err(invalid(raw, MONEY))
            } else {
                Ok(*n)
            }
        }
        _ => Err(invalid(raw, MONEY)),
    }
}

fn boolean(raw: &RawValue) -> Result<bool, Rejection> {
    match raw {
        RawValue::Bool(b) => Ok(*b),
        RawValue::Number(n) if *n == 1.0 => Ok(true),
        RawValue::Number(n) if *n == 0.0 => Ok(false),
        RawValue::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(true),
            "false" | "no" | "n" | "0" => Ok(false),
            _ => Err(invalid(raw, BOOL)),
        },
        _ => Err(invalid(raw, BOOL)),
    }
}

fn date(raw: &RawValue) -> Result<NaiveDate, Rejection> {
    match raw {
        RawValue::Date(d) => Ok(*d),
        RawValue::Text(text) => parse_date(text.trim()).ok_or_else(|| invalid(raw, DATE)),
        _ => Err(invalid(raw, DATE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> RawValue {
        RawValue::Text(s.into())
    }

    #[test]
    fn counts_follow_the_exact_rules() {
        assert_eq!(count(&text("5,230")), Ok(5230));
        assert_eq!(count(&text("1,234,567")), Ok(1_234_567));
        assert_eq!(count(&text("0")), Ok(0));
        assert_eq!(count(&RawValue::Number(12.0)), Ok(12));
        for bad in ["12.5", "abc", "+5", "12,34", "1,2345", ",123", "12.0", ""] {
            assert_eq!(
                count(&text(bad)).unwrap_err().0,
                Code::InvalidValue,
                "{bad}"
            );
        }
        assert_eq!(count(&text("-3")).unwrap_err().0, Code::OutOfRange);
        assert_eq!(
            count(&RawValue::Number(12.5)).unwrap_err().0,
            Code::InvalidValue
        );
    }

    #[test]
    fn money_takes_at_most_two_decimals() {
        assert_eq!(money(&text("125000.50")), Ok(125000.5));
        assert_eq!(money(&text("1,250")), Ok(1250.0));
        for bad in ["12.345", "£12", "12.", "1e5", "abc"] {
            assert_eq!(
                money(&text(bad)).unwrap_err().0,
                Code::InvalidValue,
                "{bad}"
            );
        }
        assert_eq!(money(&text("-1.50")).unwrap_err().0, Code::OutOfRange);
    }

    #[test]
    fn booleans_and_dates() {
        for yes in ["true", "YES", "y", "1", " Yes "] {
            assert_eq!(boolean(&text(yes)), Ok(true), "{yes}");
        }
        assert_eq!(boolean(&text("maybe")).unwrap_err().0, Code::InvalidValue);
        assert_eq!(
            parse_date("2026-03-14"),
            NaiveDate::from_ymd_opt(2026, 3, 14)
        );
        assert_eq!(
            parse_date("14/03/2026"),
            NaiveDate::from_ymd_opt(2026, 3, 14)
        );
        for bad in [
            "31/02/2026",
            "2026-3-14",
            "4/03/2026",
            "2026/03/14",
            "14-03-2026",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
