//! Calendar dates written `YYYY-MM-DD`, with the inclusive-period arithmetic the rules need.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use time::{macros::format_description, Date};

/// A calendar date (no time zone), as used for periods and `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(Date);

const FORMAT: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

impl Day {
    /// Parses `YYYY-MM-DD`; the error says what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() != 10 {
            return Err(format!("invalid date \"{text}\", expected YYYY-MM-DD"));
        }
        Date::parse(text, FORMAT)
            .map(Day)
            .map_err(|_| format!("invalid date \"{text}\", expected YYYY-MM-DD"))
    }

    /// Builds a day from year, month (1-12) and day of month.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(Day)
    }

    /// The number of days in the inclusive period `self..=to` (1 when equal, 0 or less when `to` is earlier).
    pub fn inclusive_days_to(self, to: Day) -> i64 {
        (to.0 - self.0).whole_days() + 1
    }

    /// The day `n` days before this one, saturating at the earliest representable date.
    pub fn minus_days(self, n: i64) -> Day {
        Day(self.0.checked_sub(time::Duration::days(n)).unwrap_or(Date::MIN))
    }

    /// The day `n` days after this one, saturating at the latest representable date.
    pub fn plus_days(self, n: i64) -> Day {
        Day(self.0.checked_add(time::Duration::days(n)).unwrap_or(Date::MAX))
    }

    /// The underlying `time` date.
    pub fn date(self) -> Date {
        self.0
    }
}

impl From<Date> for Day {
    fn from(date: Date) -> Self {
        Day(date)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Day;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Day, E> {
                Day::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Day;

    #[test]
    fn inclusive_periods_count_both_ends() {
        let from = Day::parse("2026-01-01").unwrap();
        let to = Day::parse("2026-01-31").unwrap();
        assert_eq!(from.inclusive_days_to(to), 31);
        assert_eq!(to.minus_days(30), from);
        assert_eq!(to.inclusive_days_to(from), -29);
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in
            ["2026-02-30", "2026-1-01", "26-01-01", "", "2026-01-01T00:00:00Z", "２０２６-01-01"]
        {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
    }
}
