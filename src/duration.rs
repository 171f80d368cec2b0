//! Durations as every flag and config value writes them: `90` (seconds), `500ms`, `90s`, `30m`,
//! `2h`, `30d`, `2w`; one parser and one error message for all of them. Two flags read a bare
//! number in their own unit, as their names and JSON fields say: `--min-days` (days; `7d`, `2w`
//! also) and `--stuck-after` (hours, like its `stuck_after_hours` field; any unit also).

use std::time::Duration;

/// The longest duration accepted (36600 days, about a century): a deadline computed from it
/// (`Instant::now() + d`) never overflows.
pub(crate) const MAX_SECS: u64 = 36_600 * 86_400;

/// What every duration value may look like (the tail of the one error message).
pub(crate) const FORMS: &str =
    "a whole number with an optional unit: 90 (seconds), 500ms, 90s, 30m, 2h, 30d, 2w";

/// Why a text is not a duration; every variant starts `invalid duration "TEXT": `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    #[error("invalid duration \"{0}\": expected {FORMS}")]
    Invalid(String),
    #[error("invalid duration \"{0}\": it must be more than 0")]
    Zero(String),
    #[error("invalid duration \"{0}\": the longest is 36600d")]
    TooLong(String),
    #[error("invalid number of days \"{0}\": expected {DAY_FORMS}")]
    Days(String),
}

/// What a day count may look like (`--min-days`).
pub(crate) const DAY_FORMS: &str = "whole days: 7, 7d or 2w";

/// A day count (`--min-days`): a bare number is days; `7d` and `2w` are accepted too. Other
/// units (`12h`) are refused: the count is of whole days.
pub(crate) fn parse_days(text: &str) -> Result<u32, DurationError> {
    let days = || DurationError::Days(text.to_string());
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let per = match unit.trim_start() {
        "" | "d" => 1u64,
        "w" => 7,
        _ => return Err(days()),
    };
    if digits.is_empty() {
        return Err(days());
    }
    let n: u64 = digits
        .parse()
        .map_err(|_| DurationError::TooLong(text.to_string()))?;
    match n.checked_mul(per) {
        Some(d) if d <= MAX_SECS / 86_400 => Ok(d as u32),
        _ => Err(DurationError::TooLong(text.to_string())),
    }
}

/// A duration whose bare number is hours (`--stuck-after 24` = 24h, as `stuck_after_hours`
/// says); with a unit it is [`parse_positive`].
pub(crate) fn parse_hours(text: &str) -> Result<Duration, DurationError> {
    let s = text.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_positive(&format!("{s}h")).map_err(|e| match e {
            DurationError::Zero(_) => DurationError::Zero(text.to_string()),
            _ => DurationError::TooLong(text.to_string()),
        });
    }
    parse_positive(text)
}

/// Parses `90`, `500ms`, `90s`, `30m`, `2h`, `30d` or `2w` (surrounding spaces ignored);
/// zero is allowed.
pub(crate) fn parse(text: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(text.to_string());
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    if digits.is_empty() {
        return Err(invalid());
    }
    let millis_per: u64 = match unit.trim_start() {
        "" | "s" => 1000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return Err(invalid()),
    };
    let too_long = || DurationError::TooLong(text.to_string());
    // All digits: a parse failure is an overflow.
    let n: u64 = digits.parse().map_err(|_| too_long())?;
    let millis = n.checked_mul(millis_per).ok_or_else(too_long)?;
    if millis > MAX_SECS * 1000 {
        return Err(too_long());
    }
    Ok(Duration::from_millis(millis))
}

/// [`parse`], refusing zero: for timeouts and intervals.
pub(crate) fn parse_positive(text: &str) -> Result<Duration, DurationError> {
    match parse(text)? {
        d if d.is_zero() => Err(DurationError::Zero(text.to_string())),
        d => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form() {
        for (text, secs) in [
            ("90", 90),
            ("90s", 90),
            ("30m", 1800),
            ("2h", 7200),
            ("30d", 30 * 86_400),
            ("2w", 14 * 86_400),
            (" 45s ", 45),
            ("30 d", 30 * 86_400),
            ("0", 0),
            ("36600d", MAX_SECS),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_secs(secs)), "{text}");
        }
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_positive("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn days_take_a_day_or_week_unit() {
        for (text, days) in [("7", 7), ("7d", 7), ("2w", 14), (" 30 d ", 30), ("0", 0)] {
            assert_eq!(parse_days(text), Ok(days), "{text}");
        }
        for bad in ["", "d", "12h", "1.5", "-1", "7days", "90s"] {
            let e = parse_days(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("invalid number of days \"{bad}\": expected whole days: 7, 7d or 2w")
            );
        }
        assert!(matches!(
            parse_days("36601"),
            Err(DurationError::TooLong(_))
        ));
    }

    #[test]
    fn a_bare_stuck_after_is_hours() {
        assert_eq!(parse_hours("24"), Ok(Duration::from_secs(24 * 3600)));
        assert_eq!(parse_hours("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_hours("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_hours("0"), Err(DurationError::Zero("0".into())));
        assert!(matches!(parse_hours("3x"), Err(DurationError::Invalid(_))));
    }

    #[test]
    fn one_message_for_every_bad_value() {
        for bad in [
            "", " ", "s", "-5s", "+5s", "1.5s", "0.5", "3x", "30M", "5 sec", "1h30m", "d30", "５s",
            "1e3", "NaN", "inf",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e, DurationError::Invalid(bad.to_string()));
            assert_eq!(
                e.to_string(),
                format!("invalid duration \"{bad}\": expected {FORMS}")
            );
        }
        for long in [
            "36601d",
            "99999999999999999999999s",
            "18446744073709551615w",
        ] {
            assert_eq!(parse(long), Err(DurationError::TooLong(long.into())));
        }
        for zero in ["0", "0s", "0ms", "000d"] {
            assert_eq!(parse_positive(zero), Err(DurationError::Zero(zero.into())));
            assert!(parse_positive(zero)
                .unwrap_err()
                .to_string()
                .starts_with(&format!("invalid duration \"{zero}\": ")));
        }
    }
}
