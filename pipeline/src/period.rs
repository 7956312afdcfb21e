//! Reporting periods: calendar months written `YYYY-MM`, with their start, end and deadline.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a period: write the month as YYYY-MM, for example 2026-10")]
pub struct PeriodError(pub String);

impl Period {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1000..=9999).contains(&year))
            .then_some(Period { year, month })
    }

    /// The first day of the month.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a Period is a valid month")
    }

    /// The last day of the month.
    pub fn end(self) -> NaiveDate {
        self.next()
            .start()
            .pred_opt()
            .expect("a Period is a valid month")
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// 00:00:00 UTC on the first day: no return can be submitted before it.
    pub fn start_utc(self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.start().and_hms_opt(0, 0, 0).expect("midnight exists"))
    }

    /// 23:59:59 UTC on day `due_day` of the following month.
    pub fn deadline(self, due_day: u32) -> DateTime<Utc> {
        let day = self.day_of_following_month(due_day);
        Utc.from_utc_datetime(&day.and_hms_opt(23, 59, 59).expect("23:59:59 exists"))
    }

    /// Day `day` of the month after this period (its last day when the month is shorter).
    pub fn day_of_following_month(self, day: u32) -> NaiveDate {
        let next = self.next();
        NaiveDate::from_ymd_opt(next.year, next.month, day).unwrap_or_else(|| next.end())
    }

    /// The period a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError(s.to_string());
        let (year, month) = s.trim().split_once('-').ok_or_else(err)?;
        if year.len() != 4
            || month.len() != 2
            || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        Period::new(
            year.parse().map_err(|_| err())?,
            month.parse().map_err(|_| err())?,
        )
        .ok_or_else(err)
    }
}

/// `YYYY-MM` in settings files.
impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A date as the number of days since 1970-01-01: how dates are compared in assessment and
/// inventory counting.
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

/// Days from 0001-01-01, day 1 of the common era, to 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

/// Parses `YYYY-MM-DD` or `DD/MM/YYYY` with two-digit day and month.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 {
        return None;
    }
    let (y, m, d) = if b[4] == b'-' && b[7] == b'-' {
        (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)
    } else if b[2] == b'/' && b[5] == b'/' {
        (digits(&b[6..10])?, digits(&b[3..5])?, digits(&b[0..2])?)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// The number an ASCII run of at most nine digits spells; `None` for any other byte. Every
/// inventory row has two dates, so this skips `str::parse`'s sign and overflow handling.
fn digits(run: &[u8]) -> Option<u32> {
    run.iter().try_fold(0, |n: u32, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_months() {
        let p: Period = "2026-02".parse().unwrap();
        assert_eq!(p.to_string(), "2026-02");
        assert_eq!(p.end(), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!(
            "2026-12".parse::<Period>().unwrap().next().to_string(),
            "2027-01"
        );
        for bad in [
            "2026-13", "2026-00", "26-01", "2026-1", "2026/01", "abcd-ef", "",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad} should not parse");
        }
    }

    /// The parser as it was first written, with `str::parse`: the definition the fast one
    /// must keep.
    fn parse_date_by_definition(text: &str) -> Option<NaiveDate> {
        let b = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (y, m, d) = match (b.len(), b.get(4), b.get(2)) {
            (10, Some(b'-'), _) if b[7] == b'-' => (digits(0..4)?, digits(5..7)?, digits(8..10)?),
            (10, _, Some(b'/')) if b[5] == b'/' => (digits(6..10)?, digits(3..5)?, digits(0..2)?),
            _ => return None,
        };
        NaiveDate::from_ymd_opt(y as i32, m, d)
    }

    #[test]
    fn parse_date_agrees_with_its_definition() {
        // Every day of 1899 to 2101 both ways, then each of those texts with one byte
        // replaced by a separator, a letter, a space, a sign or a multi-byte character.
        let mut texts = Vec::new();
        let mut day = NaiveDate::from_ymd_opt(1899, 1, 1).unwrap();
        while day.year() <= 2101 {
            texts.push(day.format("%Y-%m-%d").to_string());
            texts.push(day.format("%d/%m/%Y").to_string());
            day = day.succ_opt().unwrap();
        }
        texts.extend(
            [
                "2026-02-29",
                "29/02/2024",
                "2026-13-01",
                "00/01/2026",
                "0000-01-01",
            ]
            .map(String::from),
        );
        let mut mutated = Vec::new();
        for text in texts.iter().step_by(97) {
            for at in 0..text.len() {
                for with in ["-", "/", "x", " ", "+", "é", "0"] {
                    let mut m = text.clone();
                    m.replace_range(at..=at, with);
                    mutated.push(m);
                }
            }
            mutated.push(format!("{text} "));
            mutated.push(text[1..].to_string());
        }
        for text in texts.iter().chain(&mutated) {
            assert_eq!(parse_date(text), parse_date_by_definition(text), "{text:?}");
        }
    }

    #[test]
    fn day_number_counts_the_days_since_1970_on_every_day_of_four_digit_years() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let first = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        for date in first.iter_days().take_while(|d| *d <= last) {
            assert_eq!(day_number(date), (date - epoch).num_days() as i32, "{date}");
        }
    }

    #[test]
    fn deadline_is_the_tenth_of_the_next_month() {
        let p: Period = "2026-12".parse().unwrap();
        assert_eq!(p.deadline(10).to_rfc3339(), "2027-01-10T23:59:59+00:00");
    }
}
