//! Where a figure comes from: source, date, method, confidence.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::vocab::Confidence;

/// A source date as precise as the source gives it: a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceDate {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date: write YYYY, YYYY-MM, YYYY-MM-DD or DD.MM.YYYY")]
pub struct BadDate(pub String);

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl FromStr for SourceDate {
    type Err = BadDate;

    fn from_str(text: &str) -> Result<Self, BadDate> {
        let text = text.trim();
        let bad = || BadDate(text.to_string());
        let number = |s: &str| s.parse::<i32>().map_err(|_| bad());
        let (year, month, day) = if text.contains('.') {
            // Russian/Kazakh convention: DD.MM.YYYY or MM.YYYY.
            let parts: Vec<&str> = text.split('.').collect();
            match parts.as_slice() {
                [d, m, y] => (number(y)?, Some(number(m)?), Some(number(d)?)),
                [m, y] => (number(y)?, Some(number(m)?), None),
                _ => return Err(bad()),
            }
        } else {
            let parts: Vec<&str> = text.split('-').collect();
            match parts.as_slice() {
                [y] => (number(y)?, None, None),
                [y, m] => (number(y)?, Some(number(m)?), None),
                [y, m, d] => (number(y)?, Some(number(m)?), Some(number(d)?)),
                _ => return Err(bad()),
            }
        };
        if !(1800..=2200).contains(&year) {
            return Err(bad());
        }
        let month = month
            .map(|m| {
                u8::try_from(m)
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(bad)
            })
            .transpose()?;
        let day = match (month, day) {
            (Some(m), Some(d)) => Some(
                u8::try_from(d)
                    .ok()
                    .filter(|d| *d >= 1 && *d <= days_in_month(year, m))
                    .ok_or_else(bad)?,
            ),
            (None, Some(_)) => return Err(bad()),
            (_, None) => None,
        };
        Ok(SourceDate { year, month, day })
    }
}

impl fmt::Display for SourceDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for SourceDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SourceDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The provenance every figure carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Provenance {
    /// Who published or measured the figure ("Kazzinc annual report 2023", "MIID inventory 2018").
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<SourceDate>,
    /// How it was obtained (survey, drilling and kriging, press statement, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub confidence: Confidence,
    /// Demo or made-up data built from public facts, not an official figure.
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Provenance {
    /// Same origin: two figures from one source, date and method describe the same statement.
    pub fn same_origin(&self, other: &Provenance) -> bool {
        self.source == other.source && self.date == other.date && self.method == other.method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_both_conventions() {
        assert_eq!("2018".parse::<SourceDate>().unwrap().to_string(), "2018");
        assert_eq!(
            "2024-05".parse::<SourceDate>().unwrap().to_string(),
            "2024-05"
        );
        assert_eq!(
            "2025-10-31".parse::<SourceDate>().unwrap().to_string(),
            "2025-10-31"
        );
        assert_eq!(
            "31.10.2025".parse::<SourceDate>().unwrap().to_string(),
            "2025-10-31"
        );
        for bad in [
            "2025-02-30",
            "2025-13",
            "18",
            "yesterday",
            "2025-1-1-1",
            "32.01.2020",
        ] {
            assert!(bad.parse::<SourceDate>().is_err(), "{bad}");
        }
        assert!("2024-02-29".parse::<SourceDate>().is_ok());
        assert!("2023-02-29".parse::<SourceDate>().is_err());
    }

    #[test]
    fn dates_order_chronologically() {
        let a: SourceDate = "2018".parse().unwrap();
        let b: SourceDate = "2018-03".parse().unwrap();
        let c: SourceDate = "2024".parse().unwrap();
        assert!(a < b && b < c);
    }
}
