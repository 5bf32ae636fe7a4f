//! Calendar arithmetic without a clock: [`CalendarDate`] for the configuration, [`Day`]
//! (a day number) inside the generator, and conversions to the FHIR date types.

use std::fmt;

use fhir_model::datetime::Offset;
use fhir_model::{Date, DateTime, Instant, Time};

/// A calendar date (proleptic Gregorian), as given in [`super::Config::end_date`].
///
/// Out-of-range parts are clamped when used: month to 1-12, day to the month's length,
/// year to 1900-9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarDate {
    /// The year, e.g. `2026`.
    pub year: u16,
    /// The month, 1-12.
    pub month: u8,
    /// The day of the month, 1-31.
    pub day: u8,
}

impl CalendarDate {
    /// The date `year`-`month`-`day`.
    pub const fn new(year: u16, month: u8, day: u8) -> CalendarDate {
        CalendarDate { year, month, day }
    }
}

impl fmt::Display for CalendarDate {
    /// Writes `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A day, as the number of days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Day(i64);

/// Days in `month` of `year`.
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl Day {
    /// The day of a calendar date, with out-of-range parts clamped.
    pub(crate) fn from_calendar(date: CalendarDate) -> Day {
        let year = i64::from(date.year.clamp(1900, 9999));
        let month = date.month.clamp(1, 12);
        let day = date.day.clamp(1, days_in_month(year, month));
        Day::from_civil(year, month, day)
    }

    /// Howard Hinnant's `days_from_civil`.
    fn from_civil(year: i64, month: u8, day: u8) -> Day {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// Howard Hinnant's `civil_from_days`: (year, month, day).
    pub(crate) fn civil(self) -> (i64, u8, u8) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // `month` is 1-12 and `day` 1-31 by construction.
        (year, month as u8, day as u8)
    }

    /// The year.
    pub(crate) fn year(self) -> i64 {
        self.civil().0
    }

    /// `days` later (earlier when negative).
    pub(crate) fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// The number of days from `earlier` to `self`.
    pub(crate) fn days_since(self, earlier: Day) -> i64 {
        self.0 - earlier.0
    }

    /// The same day and month `years` years earlier (Feb 29 becomes Feb 28).
    pub(crate) fn years_before(self, years: i64) -> Day {
        let (year, month, day) = self.civil();
        let year = year - years;
        Day::from_civil(year, month, day.min(days_in_month(year, month)))
    }

    /// The first day of `month` in `year`.
    pub(crate) fn first_of_month(year: i64, month: u8) -> Day {
        Day::from_civil(year, month, 1)
    }

    /// Whole years from `birth` to `self` (an age).
    pub(crate) fn years_since(self, birth: Day) -> i64 {
        let (y, m, d) = self.civil();
        let (by, bm, bd) = birth.civil();
        let before_birthday = (m, d) < (bm, bd);
        y - by - i64::from(before_birthday)
    }

    /// The FHIR `date` (`None` only outside years 1-9999).
    pub(crate) fn to_date(self) -> Option<Date> {
        let (year, month, day) = self.civil();
        Date::from_ymd(u16::try_from(year).ok()?, month, day).ok()
    }

    /// The FHIR `dateTime` with day precision.
    pub(crate) fn to_date_time(self) -> Option<DateTime> {
        self.to_date().map(DateTime::from)
    }

    /// The FHIR `instant` at `hour`:`minute` UTC on this day.
    pub(crate) fn at(self, hour: u8, minute: u8) -> Option<Instant> {
        let time = Time::from_hms(hour, minute, 0).ok()?;
        Instant::new(self.to_date()?, time, Offset::Z).ok()
    }

    /// `YYYY-MM-DD`.
    pub(crate) fn iso(self) -> String {
        let (year, month, day) = self.civil();
        format!("{year:04}-{month:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        let epoch = Day::from_calendar(CalendarDate::new(1970, 1, 1));
        assert_eq!(epoch, Day(0));
        for n in -800_000..800_000 {
            if n % 997 != 0 {
                continue;
            }
            let (y, m, d) = Day(n).civil();
            assert_eq!(Day::from_civil(y, m, d), Day(n));
        }
        let day = Day::from_calendar(CalendarDate::new(2024, 2, 29));
        assert_eq!(day.iso(), "2024-02-29");
        assert_eq!(day.years_before(1).iso(), "2023-02-28");
        assert_eq!(day.plus(1).iso(), "2024-03-01");
        assert_eq!(
            Day::from_calendar(CalendarDate::new(2026, 2, 31)).iso(),
            "2026-02-28"
        );
    }

    #[test]
    fn ages() {
        let birth = Day::from_calendar(CalendarDate::new(1960, 6, 15));
        let day = Day::from_calendar(CalendarDate::new(2025, 6, 14));
        assert_eq!(day.years_since(birth), 64);
        assert_eq!(day.plus(1).years_since(birth), 65);
    }
}
