//! What the channels say about a release besides its bytes: the product's metadata, and
//! the tag's date that stands in for the clock.

use std::str::FromStr;

use super::invalid;
use crate::error::{Error, Result};
use crate::names;

/// What a channel says about the program besides its bytes: the metadata of the NuGet
/// package, the container image's annotations and the Homebrew formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// The binary name, and the package id (`caro`).
    pub name: &'static str,
    /// `owner/name` of the repository it is released from.
    pub repository: &'static str,
    /// Its licence as an SPDX expression.
    pub license: &'static str,
    /// Who makes it.
    pub authors: &'static str,
    /// One sentence on what it does.
    pub description: &'static str,
}

impl Product {
    /// The product published as `name`: one of [`NAMES`](super::NAMES).
    pub fn of(name: &str) -> Option<Product> {
        match name {
            names::CARO => Some(Product {
                name: names::CARO,
                repository: "wildcard/caro",
                license: "AGPL-3.0-only",
                authors: "wildcard",
                description: "Turns natural language into safe POSIX shell commands with a \
                              local language model",
            }),
            names::INSTALLER => Some(Product {
                name: names::INSTALLER,
                repository: "wildcard/caro-install",
                license: "MIT OR Apache-2.0",
                authors: "wildcard",
                description: "Installs, updates and removes caro from GitHub Releases",
            }),
            _ => None,
        }
    }

    /// `https://github.com/{repository}`: the project URL, and the releases' base.
    pub fn homepage(&self) -> String {
        format!("https://github.com/{}", self.repository)
    }
}

/// The time a release was tagged, which the container image records as its creation time
/// and every reproducible archive entry carries: given, never read from the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDate {
    /// `YYYY-MM-DDTHH:MM:SSZ`, as given.
    pub text: String,
    /// Seconds since 1970-01-01 UTC.
    pub seconds: u64,
}

impl FromStr for SourceDate {
    type Err = Error;

    /// Parses an RFC 3339 time in UTC, `2026-01-31T12:00:00Z` (what
    /// `TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd TAG` prints).
    fn from_str(input: &str) -> Result<SourceDate> {
        let refuse = || {
            invalid(
                input,
                "the tag's date is `YYYY-MM-DDTHH:MM:SSZ` in UTC, such as `2026-01-31T12:00:00Z`",
            )
        };
        let bytes = input.as_bytes();
        let shape = bytes.len() == 20
            && bytes.iter().enumerate().all(|(at, byte)| match at {
                4 | 7 => *byte == b'-',
                10 => *byte == b'T',
                13 | 16 => *byte == b':',
                19 => *byte == b'Z',
                _ => byte.is_ascii_digit(),
            });
        if !shape {
            return Err(refuse());
        }
        let number = |from: usize, to: usize| input[from..to].parse::<u64>().unwrap_or(0);
        let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
        let (hour, minute, second) = (number(11, 13), number(14, 16), number(17, 19));
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let month_days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1970..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > month_days[(month - 1) as usize]
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(refuse());
        }
        let leap_years = |y: u64| (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
        let days = (year - 1970) * 365 + leap_years(year) - leap_years(1970)
            + month_days[..(month - 1) as usize].iter().sum::<u64>()
            + (day - 1);
        Ok(SourceDate {
            text: input.to_string(),
            seconds: days * 86_400 + hour * 3600 + minute * 60 + second,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_dates_are_utc_seconds_since_1970() {
        for (text, seconds) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-03-01T00:00:00Z", 951_868_800),
            ("2026-01-31T12:00:00Z", 1_769_860_800),
            ("2024-02-29T23:59:59Z", 1_709_251_199),
        ] {
            assert_eq!(
                text.parse::<SourceDate>().unwrap().seconds,
                seconds,
                "{text}"
            );
        }
        for bad in [
            "2026-01-31",
            "2026-01-31T12:00:00+01:00",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-01-31T24:00:00Z",
            "now",
        ] {
            let error = bad.parse::<SourceDate>().unwrap_err().to_string();
            assert!(error.contains(bad), "{error}");
        }
    }
}
