//! FHIR R4 date and time primitives: [`Date`], [`DateTime`], [`Instant`] and [`Time`].
//!
//! Formats follow the regular expressions of the R4 datatypes page:
//! [date](http://hl7.org/fhir/R4/datatypes.html#date),
//! [dateTime](http://hl7.org/fhir/R4/datatypes.html#dateTime),
//! [instant](http://hl7.org/fhir/R4/datatypes.html#instant) and
//! [time](http://hl7.org/fhir/R4/datatypes.html#time). Days are also checked against the
//! month and year (the XML Schema types the regexes stand for reject `2019-02-29`), and
//! fractions of a second are limited to 18 digits so that they fit in a `u64`.
//!
//! # Why the lexical form is kept
//!
//! The values keep everything that was written rather than converting to a timestamp, so
//! `parse(s)?.to_string() == s` for every valid `s`. Resources are often signed, hashed,
//! diffed or passed through unchanged, and a reformatted date would break all of that.
//! The written form also carries meaning a timestamp loses:
//!
//! * precision: `2020` means "some time in 2020", not `2020-01-01T00:00:00`;
//! * the offset the author used: `+05:30` says where the event happened, and `Z`,
//!   `+00:00` and `-00:00` are kept apart (RFC 3339 uses `-00:00` for "offset unknown");
//! * the digits of the fraction: `.5` and `.500` are the same time but not the same text.
//!
//! Comparisons, on the other hand, follow the meaning: instants compare as points in
//! time (UTC), and partial dates compare as the periods they cover, the way FHIR search
//! treats them ([search on dates](http://hl7.org/fhir/R4/search.html#date)).
//!
//! All types are small `Copy` values that never allocate.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::str::FromStr;

use chrono::{Datelike as _, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike as _, Utc};

use crate::{Error, Result};

const TYPE_DATE: &str = "date";
const TYPE_DATE_TIME: &str = "dateTime";
const TYPE_INSTANT: &str = "instant";
const TYPE_TIME: &str = "time";

/// More digits would not fit in a `u64`; 18 digits (attoseconds) is far beyond any clock.
const MAX_FRACTION_DIGITS: u8 = 18;

const POW10: [u64; 19] = {
    let mut table = [1u64; 19];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

const NANOS_PER_SECOND: u32 = 1_000_000_000;
/// A fraction scaled to 18 digits counts attoseconds.
const ATTOS_PER_SECOND: u64 = POW10[18];
const ATTOS_PER_NANO: u64 = POW10[9];
const MINUTES_PER_DAY: i64 = 24 * 60;
/// FHIR allows offsets up to and including ±14:00 (Line Islands).
const MAX_OFFSET_MINUTES: i16 = 14 * 60;

/// How much of a [`Date`] was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DatePrecision {
    /// `YYYY`
    Year,
    /// `YYYY-MM`
    Month,
    /// `YYYY-MM-DD`
    Day,
}

/// How much of a [`DateTime`] was written.
///
/// A time always has seconds in FHIR; how many fraction digits follow them is a separate
/// matter, see [`DateTime::fraction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DateTimePrecision {
    /// `YYYY`
    Year,
    /// `YYYY-MM`
    Month,
    /// `YYYY-MM-DD`
    Day,
    /// `YYYY-MM-DDThh:mm:ss` with an offset, and maybe a fraction of a second.
    Second,
}

impl From<DatePrecision> for DateTimePrecision {
    fn from(precision: DatePrecision) -> Self {
        match precision {
            DatePrecision::Year => DateTimePrecision::Year,
            DatePrecision::Month => DateTimePrecision::Month,
            DatePrecision::Day => DateTimePrecision::Day,
        }
    }
}

/// The digits written after the decimal point of the seconds, e.g. `500` in `00:00:00.500`.
///
/// Equality is on the written digits (`.5` and `.500` differ here); the time types that
/// hold a fraction compare by value instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fraction {
    digits: u64,
    count: u8,
}

impl Fraction {
    /// The fraction written with `digit_count` digits (leading zeros included) whose value
    /// is `digits`: `Fraction::new(5, 3)` is `.005`. `None` unless `digit_count` is 1-18 and
    /// `digits` fits in that many digits.
    pub fn new(digits: u64, digit_count: u8) -> Option<Fraction> {
        if digit_count == 0
            || digit_count > MAX_FRACTION_DIGITS
            || digits >= POW10[usize::from(digit_count)]
        {
            return None;
        }
        Some(Fraction {
            digits,
            count: digit_count,
        })
    }

    /// The shortest fraction for `nanos` nanoseconds: 500 000 000 gives `.5`. `None` for
    /// zero (no fraction is written) or for a second or more.
    pub fn from_nanoseconds(nanos: u32) -> Option<Fraction> {
        if nanos == 0 || nanos >= NANOS_PER_SECOND {
            return None;
        }
        let mut digits = nanos;
        let mut count = 9;
        while digits.is_multiple_of(10) {
            digits /= 10;
            count -= 1;
        }
        Some(Fraction {
            digits: u64::from(digits),
            count,
        })
    }

    /// The digits as a number (`.050` gives 50).
    pub fn digits(self) -> u64 {
        self.digits
    }

    /// How many digits were written (`.050` gives 3), 1 to 18.
    pub fn digit_count(self) -> u8 {
        self.count
    }

    /// The fraction in nanoseconds; digits beyond the ninth are dropped (truncated).
    pub fn nanoseconds(self) -> u32 {
        let count = usize::from(self.count);
        let nanos = if count <= 9 {
            self.digits * POW10[9 - count]
        } else {
            self.digits / POW10[count - 9]
        };
        // Below 10^9 by construction, so the conversion never saturates.
        u32::try_from(nanos).unwrap_or(u32::MAX)
    }

    /// The value scaled to 18 digits, so fractions of different lengths compare directly.
    fn attoseconds(self) -> u64 {
        self.digits * POW10[usize::from(MAX_FRACTION_DIGITS - self.count)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum OffsetSign {
    Z,
    Plus,
    Minus,
}

/// A timezone offset as written: `Z`, `+hh:mm` or `-hh:mm`.
///
/// `Z`, `+00:00` and `-00:00` all mean UTC but are different values here (equality is
/// on the written form), so that they print back as they were read. Use
/// [`Offset::total_minutes`] to compare offsets by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Offset {
    sign: OffsetSign,
    hours: u8,
    minutes: u8,
}

impl Offset {
    /// UTC written as `Z`.
    pub const Z: Offset = Offset {
        sign: OffsetSign::Z,
        hours: 0,
        minutes: 0,
    };

    /// `+hh:mm`, ahead of UTC. `None` beyond `+14:00` or with minutes over 59.
    pub fn east(hours: u8, minutes: u8) -> Option<Offset> {
        Self::with_sign(OffsetSign::Plus, hours, minutes)
    }

    /// `-hh:mm`, behind UTC (`west(0, 0)` is `-00:00`). `None` beyond `-14:00` or with
    /// minutes over 59.
    pub fn west(hours: u8, minutes: u8) -> Option<Offset> {
        Self::with_sign(OffsetSign::Minus, hours, minutes)
    }

    fn with_sign(sign: OffsetSign, hours: u8, minutes: u8) -> Option<Offset> {
        let total = i16::from(hours) * 60 + i16::from(minutes);
        let valid = minutes <= 59 && total <= MAX_OFFSET_MINUTES;
        valid.then_some(Offset {
            sign,
            hours,
            minutes,
        })
    }

    /// The offset of a chrono value, written `+hh:mm` (`+00:00` for zero, since chrono
    /// does not record a `Z`). `None` unless it is whole minutes within ±14:00.
    pub fn from_chrono(offset: FixedOffset) -> Option<Offset> {
        let seconds = offset.local_minus_utc();
        if seconds % 60 != 0 {
            return None;
        }
        let total = (seconds / 60).unsigned_abs();
        let hours = u8::try_from(total / 60).ok()?;
        let minutes = u8::try_from(total % 60).ok()?;
        if seconds < 0 {
            Offset::west(hours, minutes)
        } else {
            Offset::east(hours, minutes)
        }
    }

    /// Whether this is the `Z` form.
    pub fn is_z(self) -> bool {
        self.sign == OffsetSign::Z
    }

    /// Whether it was written with `-` (including `-00:00`).
    pub fn is_negative(self) -> bool {
        self.sign == OffsetSign::Minus
    }

    /// The hours as written (0-14).
    pub fn hours(self) -> u8 {
        self.hours
    }

    /// The minutes as written (0-59).
    pub fn minutes(self) -> u8 {
        self.minutes
    }

    /// Minutes ahead of UTC (negative behind it); 0 for `Z`, `+00:00` and `-00:00`.
    pub fn total_minutes(self) -> i16 {
        let magnitude = i16::from(self.hours) * 60 + i16::from(self.minutes);
        if self.is_negative() {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The offset as chrono's `FixedOffset` (which cannot tell `Z` from `+00:00`).
    pub fn to_chrono(self) -> FixedOffset {
        // At most 14 hours, well inside chrono's ±24 hours.
        FixedOffset::east_opt(i32::from(self.total_minutes()) * 60)
            .expect("FHIR offsets are within ±14:00")
    }

    /// Appends `Z`, `+hh:mm` or `-hh:mm`.
    pub(crate) fn write_to(&self, out: &mut String) {
        match self.sign {
            OffsetSign::Z => {
                out.push('Z');
                return;
            }
            OffsetSign::Plus => out.push('+'),
            OffsetSign::Minus => out.push('-'),
        }
        push_2(out, self.hours);
        out.push(':');
        push_2(out, self.minutes);
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(6);
        self.write_to(&mut out);
        f.pad(&out)
    }
}

impl fmt::Debug for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Offset({self})")
    }
}

/// A FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, with no time and no timezone
/// ([R4 date](http://hl7.org/fhir/R4/datatypes.html#date)).
///
/// Equality and hashing are structural: same precision and same fields. Ordering compares
/// the periods the values cover: `2019` < `2020-01`, because all of 2019 is over before
/// January 2020 starts, but `2020` and `2020-05` overlap, so they are not ordered
/// (`partial_cmp` is `None`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    year: u16,
    /// 0 when not written.
    month: u8,
    /// 0 when not written.
    day: u8,
}

impl Date {
    /// Parses the lexical form; see the type documentation.
    pub fn parse(s: &str) -> Result<Self> {
        let mut p = Parser::new(s, TYPE_DATE)?;
        let date = p.date()?;
        if p.at_end() {
            Ok(date)
        } else if p.peek() == Some(b'T') {
            Err(p.error("a date must not have a time (use dateTime)"))
        } else {
            Err(p.after_date_error(date))
        }
    }

    /// A year-only date (`YYYY`); the year must be 1-9999.
    pub fn from_year(year: u16) -> Result<Date> {
        check_year(year, TYPE_DATE)?;
        Ok(Date {
            year,
            month: 0,
            day: 0,
        })
    }

    /// A year and month (`YYYY-MM`).
    pub fn from_year_month(year: u16, month: u8) -> Result<Date> {
        check_year(year, TYPE_DATE)?;
        check_month(month, TYPE_DATE)?;
        Ok(Date {
            year,
            month,
            day: 0,
        })
    }

    /// A full date (`YYYY-MM-DD`); the day must exist in that month of that year.
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Result<Date> {
        check_year(year, TYPE_DATE)?;
        check_month(month, TYPE_DATE)?;
        check_day(year, month, day, TYPE_DATE)?;
        Ok(Date { year, month, day })
    }

    /// The year, 1-9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month (1-12), if written.
    pub fn month(&self) -> Option<u8> {
        (self.month != 0).then_some(self.month)
    }

    /// The day of the month (1-31), if written.
    pub fn day(&self) -> Option<u8> {
        (self.day != 0).then_some(self.day)
    }

    /// How much was written.
    pub fn precision(&self) -> DatePrecision {
        if self.month == 0 {
            DatePrecision::Year
        } else if self.day == 0 {
            DatePrecision::Month
        } else {
            DatePrecision::Day
        }
    }

    /// The chrono date, for day precision only: a partial date is not a day.
    pub fn to_naive_date(&self) -> Option<NaiveDate> {
        if self.day == 0 {
            return None;
        }
        NaiveDate::from_ymd_opt(
            i32::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        )
    }

    /// The period the date covers, from its first instant (inclusive) to the first instant
    /// after it (exclusive): `2020-02` gives `2020-02-01T00:00:00Z..2020-03-01T00:00:00Z`.
    ///
    /// This is the range FHIR search compares with the `eq`, `lt`, `gt`, `sa`, `eb` and
    /// `ap` prefixes ([search on dates](http://hl7.org/fhir/R4/search.html#date)).
    ///
    /// A FHIR date has no timezone. The search rules say to assume the server's local
    /// timezone; this crate has no clock or timezone database, so it assumes UTC. When both
    /// sides lack a timezone that makes no difference; to compare with a value that has
    /// an offset in some other local time, shift both ends by that zone's offset.
    pub fn period_utc(&self) -> Range<chrono::DateTime<Utc>> {
        let (start, end) = self.day_span();
        utc_from_key(Key::midnight(start))..utc_from_key(Key::midnight(end))
    }

    /// Appends the lexical form.
    pub(crate) fn write_to(&self, out: &mut String) {
        out.reserve(10);
        push_4(out, self.year);
        if self.month != 0 {
            out.push('-');
            push_2(out, self.month);
            if self.day != 0 {
                out.push('-');
                push_2(out, self.day);
            }
        }
    }

    /// First day covered and first day after, as days since 1970-01-01.
    fn day_span(&self) -> (i64, i64) {
        let year = i64::from(self.year);
        match (self.month, self.day) {
            (0, _) => (days_from_civil(year, 1, 1), days_from_civil(year + 1, 1, 1)),
            (12, 0) => (
                days_from_civil(year, 12, 1),
                days_from_civil(year + 1, 1, 1),
            ),
            (month, 0) => (
                days_from_civil(year, month, 1),
                days_from_civil(year, month + 1, 1),
            ),
            (month, day) => {
                let start = days_from_civil(year, month, day);
                (start, start + 1)
            }
        }
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        // Two dates cover the same days only if they are the same date, so `Equal` here
        // agrees with the structural `==`.
        if self == other {
            return Some(Ordering::Equal);
        }
        let (a_start, a_end) = self.day_span();
        let (b_start, b_end) = other.day_span();
        compare_periods(a_start..a_end, b_start..b_end)
    }
}

impl TryFrom<NaiveDate> for Date {
    type Error = Error;

    /// Fails for years outside 1-9999, which FHIR cannot express.
    fn try_from(date: NaiveDate) -> Result<Self> {
        let year = year_from_chrono(date.year(), TYPE_DATE)?;
        Ok(Date {
            year,
            month: month_or_day_from_chrono(date.month()),
            day: month_or_day_from_chrono(date.day()),
        })
    }
}

/// A FHIR `time`: a time of day `hh:mm:ss` with an optional fraction of a second, and no
/// timezone ([R4 time](http://hl7.org/fhir/R4/datatypes.html#time)).
///
/// Equality, ordering and hashing are by value: `10:00:00.5 == 10:00:00.500`. A leap
/// second (`23:59:60`) is accepted and sorts between `23:59:59.999…` and the next minute.
#[derive(Clone, Copy)]
pub struct Time {
    hour: u8,
    minute: u8,
    second: u8,
    /// 0 when no fraction was written.
    fraction_count: u8,
    fraction_digits: u64,
}

impl Time {
    /// Parses the lexical form; see the type documentation.
    pub fn parse(s: &str) -> Result<Self> {
        let mut p = Parser::new(s, TYPE_TIME)?;
        let time = p.time()?;
        match p.peek() {
            None => Ok(time),
            Some(b'Z' | b'+' | b'-') => Err(p.error("a time must not have a timezone offset")),
            Some(_) => Err(p.error("unexpected characters after the time")),
        }
    }

    /// `hh:mm:ss` with no fraction. Hours 0-23, minutes 0-59, seconds 0-60 (60 being a
    /// leap second).
    pub fn from_hms(hour: u8, minute: u8, second: u8) -> Result<Time> {
        let reason = if hour > 23 {
            "hour must be 00-23"
        } else if minute > 59 {
            "minute must be 00-59"
        } else if second > 60 {
            "second must be 00-60"
        } else {
            return Ok(Time {
                hour,
                minute,
                second,
                fraction_count: 0,
                fraction_digits: 0,
            });
        };
        Err(Error::invalid_primitive(TYPE_TIME, reason))
    }

    /// The same time with this fraction of a second (or none).
    pub fn with_fraction(self, fraction: Option<Fraction>) -> Time {
        let (fraction_digits, fraction_count) = fraction.map_or((0, 0), |f| (f.digits, f.count));
        Time {
            fraction_count,
            fraction_digits,
            ..self
        }
    }

    /// The hour, 0-23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0-59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, 0-60 (60 is a leap second).
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The fraction of the second in nanoseconds, truncated after nine digits.
    pub fn nanosecond(&self) -> u32 {
        self.fraction().map_or(0, Fraction::nanoseconds)
    }

    /// The fraction of the second as written, if any.
    pub fn fraction(&self) -> Option<Fraction> {
        (self.fraction_count != 0).then_some(Fraction {
            digits: self.fraction_digits,
            count: self.fraction_count,
        })
    }

    /// The chrono time, truncated to nanoseconds; a leap second becomes chrono's leap
    /// second representation (second 59 with 1 000 000 000 or more nanoseconds).
    pub fn to_naive_time(&self) -> NaiveTime {
        let (second, nanos) = self.chrono_second_and_nanos();
        NaiveTime::from_hms_nano_opt(u32::from(self.hour), u32::from(self.minute), second, nanos)
            .expect("a parsed FHIR time is a valid chrono time")
    }

    /// Appends the lexical form.
    pub(crate) fn write_to(&self, out: &mut String) {
        out.reserve(8 + 1 + usize::from(self.fraction_count));
        push_2(out, self.hour);
        out.push(':');
        push_2(out, self.minute);
        out.push(':');
        push_2(out, self.second);
        if self.fraction_count != 0 {
            out.push('.');
            push_fraction(out, self.fraction_digits, self.fraction_count);
        }
    }

    fn attoseconds(&self) -> u64 {
        self.fraction().map_or(0, Fraction::attoseconds)
    }

    /// Chrono keeps a leap second inside second 59, as nanoseconds past 10^9.
    fn chrono_second_and_nanos(&self) -> (u32, u32) {
        let nanos = self.nanosecond();
        if self.second == 60 {
            (59, NANOS_PER_SECOND + nanos)
        } else {
            (u32::from(self.second), nanos)
        }
    }

    fn value_key(&self) -> (u8, u8, u8, u64) {
        (self.hour, self.minute, self.second, self.attoseconds())
    }
}

impl PartialEq for Time {
    fn eq(&self, other: &Self) -> bool {
        self.value_key() == other.value_key()
    }
}

impl Eq for Time {}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value_key().cmp(&other.value_key())
    }
}

impl Hash for Time {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value_key().hash(state);
    }
}

impl From<NaiveTime> for Time {
    /// Chrono's nanoseconds become the shortest fraction that writes them exactly (none
    /// for zero); a chrono leap second becomes second 60.
    fn from(time: NaiveTime) -> Self {
        let raw_nanos = time.nanosecond();
        let (second, nanos) = if raw_nanos >= NANOS_PER_SECOND {
            (60, raw_nanos - NANOS_PER_SECOND)
        } else {
            (month_or_day_from_chrono(time.second()), raw_nanos)
        };
        Time {
            hour: month_or_day_from_chrono(time.hour()),
            minute: month_or_day_from_chrono(time.minute()),
            second,
            fraction_count: 0,
            fraction_digits: 0,
        }
        .with_fraction(Fraction::from_nanoseconds(nanos))
    }
}

/// A FHIR `instant`: `YYYY-MM-DDThh:mm:ss(.fraction)?` and a timezone offset, always
/// ([R4 instant](http://hl7.org/fhir/R4/datatypes.html#instant)).
///
/// Equality, ordering and hashing are by the point in time, fraction included:
/// `2020-01-01T05:00:00+05:00 == 2020-01-01T00:00:00Z` and `…00.5Z == …00.500Z`, though
/// they print differently. A leap second (`:60`) is accepted and sorts between second 59
/// and the next minute.
#[derive(Clone, Copy)]
pub struct Instant {
    /// Always day precision; the local date at `offset`.
    date: Date,
    time: Time,
    offset: Offset,
}

impl Instant {
    /// Parses the lexical form; see the type documentation.
    pub fn parse(s: &str) -> Result<Self> {
        let mut p = Parser::new(s, TYPE_INSTANT)?;
        let date = p.date()?;
        if date.day == 0 || !p.eat(b'T') {
            return Err(p.error("an instant needs a full date and time (YYYY-MM-DDThh:mm:ss)"));
        }
        let time = p.time()?;
        let offset = p.offset()?;
        p.finish("unexpected characters after the timezone offset")?;
        Ok(Instant { date, time, offset })
    }

    /// The instant at `time` on the local date `date` at `offset`; `date` must have day
    /// precision.
    pub fn new(date: Date, time: Time, offset: Offset) -> Result<Instant> {
        if date.day == 0 {
            return Err(Error::invalid_primitive(
                TYPE_INSTANT,
                "an instant needs a full date (YYYY-MM-DD)",
            ));
        }
        Ok(Instant { date, time, offset })
    }

    /// The chrono instant written in UTC with `Z`, with as many fraction digits as its
    /// nanoseconds need (none when zero). Fails for years outside 1-9999.
    pub fn from_chrono(instant: chrono::DateTime<Utc>) -> Result<Instant> {
        instant_from_naive_local(instant.naive_utc(), Offset::Z, TYPE_INSTANT)
    }

    /// The year, 1-9999 (of the local date, at the written offset).
    pub fn year(&self) -> u16 {
        self.date.year
    }

    /// The month, 1-12 (always present in an instant).
    pub fn month(&self) -> u8 {
        self.date.month
    }

    /// The day of the month, 1-31 (always present in an instant).
    pub fn day(&self) -> u8 {
        self.date.day
    }

    /// The hour, 0-23.
    pub fn hour(&self) -> u8 {
        self.time.hour
    }

    /// The minute, 0-59.
    pub fn minute(&self) -> u8 {
        self.time.minute
    }

    /// The second, 0-60 (60 is a leap second).
    pub fn second(&self) -> u8 {
        self.time.second
    }

    /// The fraction of the second in nanoseconds, truncated after nine digits.
    pub fn nanosecond(&self) -> u32 {
        self.time.nanosecond()
    }

    /// The fraction of the second as written, if any.
    pub fn fraction(&self) -> Option<Fraction> {
        self.time.fraction()
    }

    /// The timezone offset as written.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// The local date, as written.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The local time of day, as written.
    pub fn time(&self) -> Time {
        self.time
    }

    /// The same point in time as chrono sees it, at the written offset, truncated to
    /// nanoseconds. `Z` and `-00:00` both become a zero `FixedOffset`.
    pub fn to_chrono(&self) -> chrono::DateTime<FixedOffset> {
        self.to_utc().with_timezone(&self.offset.to_chrono())
    }

    /// The point in time in UTC, truncated to nanoseconds.
    pub fn to_utc(&self) -> chrono::DateTime<Utc> {
        utc_from_key(self.utc_key())
    }

    /// Appends the lexical form.
    pub(crate) fn write_to(&self, out: &mut String) {
        out.reserve(10 + 1 + 9 + usize::from(self.time.fraction_count) + 6);
        self.date.write_to(out);
        out.push('T');
        self.time.write_to(out);
        self.offset.write_to(out);
    }

    fn utc_key(&self) -> Key {
        let days = days_from_civil(i64::from(self.date.year), self.date.month, self.date.day);
        let local_minutes =
            days * MINUTES_PER_DAY + i64::from(self.time.hour) * 60 + i64::from(self.time.minute);
        Key {
            minutes: local_minutes - i64::from(self.offset.total_minutes()),
            second: self.time.second,
            attos: self.time.attoseconds(),
        }
    }

    /// The span of the written precision: one second, or one unit of the last fraction
    /// digit. Widened to whole nanoseconds, chrono's resolution.
    fn written_period(&self) -> Range<chrono::DateTime<Utc>> {
        let start = self.utc_key();
        let unit = match self.time.fraction() {
            None => ATTOS_PER_SECOND,
            Some(fraction) => POW10[usize::from(MAX_FRACTION_DIGITS - fraction.count)],
        };
        let end = start.add_attos(unit).ceil_to_nanos();
        utc_from_key(start)..utc_from_key(end)
    }
}

impl PartialEq for Instant {
    fn eq(&self, other: &Self) -> bool {
        self.utc_key() == other.utc_key()
    }
}

impl Eq for Instant {}

impl PartialOrd for Instant {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Instant {
    fn cmp(&self, other: &Self) -> Ordering {
        self.utc_key().cmp(&other.utc_key())
    }
}

impl Hash for Instant {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.utc_key().hash(state);
    }
}

impl TryFrom<chrono::DateTime<Utc>> for Instant {
    type Error = Error;

    /// Same as [`Instant::from_chrono`].
    fn try_from(instant: chrono::DateTime<Utc>) -> Result<Self> {
        Instant::from_chrono(instant)
    }
}

impl TryFrom<chrono::DateTime<FixedOffset>> for Instant {
    type Error = Error;

    /// Keeps chrono's offset, written `+hh:mm` (`+00:00` for zero). Fails when the offset
    /// is not whole minutes within ±14:00, or the local year is outside 1-9999.
    fn try_from(instant: chrono::DateTime<FixedOffset>) -> Result<Self> {
        instant_from_chrono_fixed(instant, TYPE_INSTANT)
    }
}

/// A FHIR `dateTime`: a partial or full date, or a full date with a time and an offset
/// ([R4 dateTime](http://hl7.org/fhir/R4/datatypes.html#dateTime)).
///
/// A time must come with seconds and a timezone offset; with a time the lexical form is
/// exactly an [`Instant`]'s, hence the two variants.
///
/// Comparison:
///
/// * Two values with a time compare as points in time (UTC), like [`Instant`].
/// * Two dates compare like [`Date`]: as the periods they cover, structural equality.
/// * A date and a value with a time compare the date's period (taken in UTC) with the
///   point: ordered when the point is outside the period, `None` when it is inside.
///
/// A date never equals a value with a time, even `2020-01-01` and
/// `2020-01-01T00:00:00Z`; `partial_cmp` returns `Some(Equal)` exactly when `==` holds,
/// and `Hash` agrees with `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateTime {
    /// No time: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    Date(Date),
    /// A full date with a time and an offset.
    Instant(Instant),
}

impl DateTime {
    /// Parses the lexical form; see the type documentation.
    pub fn parse(s: &str) -> Result<Self> {
        let mut p = Parser::new(s, TYPE_DATE_TIME)?;
        let date = p.date()?;
        if p.at_end() {
            return Ok(DateTime::Date(date));
        }
        if !p.eat(b'T') {
            return Err(p.after_date_error(date));
        }
        if date.day == 0 {
            return Err(p.error("a time needs a full date (YYYY-MM-DD) before it"));
        }
        let time = p.time()?;
        let offset = p.offset()?;
        p.finish("unexpected characters after the timezone offset")?;
        Ok(DateTime::Instant(Instant { date, time, offset }))
    }

    /// The year, 1-9999.
    pub fn year(&self) -> u16 {
        self.date().year
    }

    /// The month (1-12), if written.
    pub fn month(&self) -> Option<u8> {
        self.date().month()
    }

    /// The day of the month (1-31), if written.
    pub fn day(&self) -> Option<u8> {
        self.date().day()
    }

    /// How much was written.
    pub fn precision(&self) -> DateTimePrecision {
        match self {
            DateTime::Date(date) => date.precision().into(),
            DateTime::Instant(_) => DateTimePrecision::Second,
        }
    }

    /// The hour (0-23), if there is a time.
    pub fn hour(&self) -> Option<u8> {
        self.instant().map(|i| i.hour())
    }

    /// The minute (0-59), if there is a time.
    pub fn minute(&self) -> Option<u8> {
        self.instant().map(|i| i.minute())
    }

    /// The second (0-60, 60 being a leap second), if there is a time.
    pub fn second(&self) -> Option<u8> {
        self.instant().map(|i| i.second())
    }

    /// The fraction of the second in nanoseconds (truncated after nine digits), if there
    /// is a time.
    pub fn nanosecond(&self) -> Option<u32> {
        self.instant().map(|i| i.nanosecond())
    }

    /// The fraction of the second as written, if there is one.
    pub fn fraction(&self) -> Option<Fraction> {
        self.instant().and_then(|i| i.fraction())
    }

    /// The timezone offset, if there is a time.
    pub fn offset(&self) -> Option<Offset> {
        self.instant().map(|i| i.offset())
    }

    /// The date part, as written (the local date when there is a time).
    pub fn date(&self) -> Date {
        match self {
            DateTime::Date(date) => *date,
            DateTime::Instant(instant) => instant.date,
        }
    }

    /// The local time of day, if there is a time.
    pub fn time(&self) -> Option<Time> {
        self.instant().map(|i| i.time())
    }

    /// The value as an instant, if there is a time.
    pub fn instant(&self) -> Option<Instant> {
        match self {
            DateTime::Date(_) => None,
            DateTime::Instant(instant) => Some(*instant),
        }
    }

    /// The chrono value, only when there is a time: a partial date is not a point in time.
    pub fn to_chrono(&self) -> Option<chrono::DateTime<FixedOffset>> {
        self.instant().map(|i| i.to_chrono())
    }

    /// The period the value covers by its precision, start inclusive and end exclusive,
    /// as FHIR search uses it for the `eq`, `lt`, `gt`, `sa`, `eb` and `ap` prefixes
    /// ([search on dates](http://hl7.org/fhir/R4/search.html#date)):
    ///
    /// * a date: the whole year, month or day, taken in UTC (see [`Date::period_utc`]);
    /// * with a time: the second written, or one unit of the last fraction digit written
    ///   (`…10:00:00.5Z` covers `10:00:00.5` up to `10:00:00.6`). Chrono resolves
    ///   nanoseconds, so with more than nine fraction digits the period is widened to whole
    ///   nanoseconds: the start is rounded down, the end up.
    ///
    /// A second-59 period ends at the next minute, so it also contains a leap second
    /// `:60` of the same minute. For an `instant` element, which FHIR search treats as a
    /// point rather than a period, use [`Instant::to_utc`].
    pub fn period_utc(&self) -> Range<chrono::DateTime<Utc>> {
        match self {
            DateTime::Date(date) => date.period_utc(),
            DateTime::Instant(instant) => instant.written_period(),
        }
    }

    /// Appends the lexical form.
    pub(crate) fn write_to(&self, out: &mut String) {
        match self {
            DateTime::Date(date) => date.write_to(out),
            DateTime::Instant(instant) => instant.write_to(out),
        }
    }
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (DateTime::Date(a), DateTime::Date(b)) => a.partial_cmp(b),
            (DateTime::Instant(a), DateTime::Instant(b)) => Some(a.cmp(b)),
            (DateTime::Date(date), DateTime::Instant(point)) => {
                compare_period_with_point(*date, point.utc_key())
            }
            (DateTime::Instant(point), DateTime::Date(date)) => {
                compare_period_with_point(*date, point.utc_key()).map(Ordering::reverse)
            }
        }
    }
}

impl From<Date> for DateTime {
    fn from(date: Date) -> Self {
        DateTime::Date(date)
    }
}

impl From<Instant> for DateTime {
    fn from(instant: Instant) -> Self {
        DateTime::Instant(instant)
    }
}

impl TryFrom<chrono::DateTime<FixedOffset>> for DateTime {
    type Error = Error;

    /// A value with a time, as [`Instant`]'s `TryFrom` makes it.
    fn try_from(value: chrono::DateTime<FixedOffset>) -> Result<Self> {
        instant_from_chrono_fixed(value, TYPE_DATE_TIME).map(DateTime::Instant)
    }
}

impl TryFrom<chrono::DateTime<Utc>> for DateTime {
    type Error = Error;

    /// A value with a time, written in UTC with `Z`.
    fn try_from(value: chrono::DateTime<Utc>) -> Result<Self> {
        instant_from_naive_local(value.naive_utc(), Offset::Z, TYPE_DATE_TIME)
            .map(DateTime::Instant)
    }
}

macro_rules! display_and_from_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut out = String::new();
                self.write_to(&mut out);
                f.pad(&out)
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                <$ty>::parse(s)
            }
        }
    )*};
}

display_and_from_str!(Date, Time, Instant, DateTime);

// Debug shows the lexical form, which is far easier to read than the fields.
macro_rules! debug_as_display {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self)
            }
        }
    )*};
}

debug_as_display!(Date, Time, Instant);

/// A point in time in UTC, in fields that order correctly: a leap second (second 60)
/// lands after second 59 and before the next minute, which a seconds count cannot do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    /// Minutes since 1970-01-01T00:00Z.
    minutes: i64,
    /// 0-60.
    second: u8,
    /// Fraction of the second scaled to 18 digits.
    attos: u64,
}

impl Key {
    fn midnight(days: i64) -> Key {
        Key {
            minutes: days * MINUTES_PER_DAY,
            second: 0,
            attos: 0,
        }
    }

    /// Adds less than a second. Carrying out of second 59 goes to the next minute, not to
    /// a leap second, since no leap second may exist there.
    fn add_attos(self, attos: u64) -> Key {
        let sum = self.attos + attos;
        if sum < ATTOS_PER_SECOND {
            return Key { attos: sum, ..self };
        }
        let second = self.second + 1;
        if second >= 60 {
            Key {
                minutes: self.minutes + 1,
                second: 0,
                attos: sum - ATTOS_PER_SECOND,
            }
        } else {
            Key {
                minutes: self.minutes,
                second,
                attos: sum - ATTOS_PER_SECOND,
            }
        }
    }

    fn ceil_to_nanos(self) -> Key {
        match self.attos % ATTOS_PER_NANO {
            0 => self,
            rest => self.add_attos(ATTOS_PER_NANO - rest),
        }
    }
}

/// Truncates to nanoseconds.
fn utc_from_key(key: Key) -> chrono::DateTime<Utc> {
    let nanos = u32::try_from(key.attos / ATTOS_PER_NANO).unwrap_or(u32::MAX);
    let (seconds, nanos) = if key.second == 60 {
        (key.minutes * 60 + 59, NANOS_PER_SECOND + nanos)
    } else {
        (key.minutes * 60 + i64::from(key.second), nanos)
    };
    // Years 0000-10000 (after applying ±14:00) are well inside chrono's range.
    chrono::DateTime::from_timestamp(seconds, nanos)
        .expect("FHIR date/time values are within chrono's range")
}

/// Orders two half-open periods when one ends before the other starts.
fn compare_periods<T: Ord>(a: Range<T>, b: Range<T>) -> Option<Ordering> {
    if a.end <= b.start {
        Some(Ordering::Less)
    } else if b.end <= a.start {
        Some(Ordering::Greater)
    } else {
        None
    }
}

/// How the UTC period of `date` compares with `point`: `None` when the point lies in it.
fn compare_period_with_point(date: Date, point: Key) -> Option<Ordering> {
    let (start, end) = date.day_span();
    if Key::midnight(end) <= point {
        Some(Ordering::Less)
    } else if point < Key::midnight(start) {
        Some(Ordering::Greater)
    } else {
        None
    }
}

fn instant_from_chrono_fixed(
    value: chrono::DateTime<FixedOffset>,
    type_name: &'static str,
) -> Result<Instant> {
    let offset = Offset::from_chrono(*value.offset()).ok_or_else(|| {
        Error::invalid_primitive(
            type_name,
            "timezone offset must be whole minutes within -14:00 to +14:00",
        )
    })?;
    instant_from_naive_local(value.naive_local(), offset, type_name)
}

fn instant_from_naive_local(
    local: NaiveDateTime,
    offset: Offset,
    type_name: &'static str,
) -> Result<Instant> {
    let date = Date {
        year: year_from_chrono(local.year(), type_name)?,
        month: month_or_day_from_chrono(local.month()),
        day: month_or_day_from_chrono(local.day()),
    };
    Ok(Instant {
        date,
        time: Time::from(local.time()),
        offset,
    })
}

fn year_from_chrono(year: i32, type_name: &'static str) -> Result<u16> {
    u16::try_from(year)
        .ok()
        .filter(|y| (1..=9999).contains(y))
        .ok_or_else(|| Error::invalid_primitive(type_name, "year must be 0001-9999"))
}

/// Chrono's calendar fields are small; saturating cannot happen.
fn month_or_day_from_chrono(value: u32) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

fn check_year(year: u16, type_name: &'static str) -> Result<()> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(Error::invalid_primitive(
            type_name,
            "year must be 0001-9999",
        ))
    }
}

fn check_month(month: u8, type_name: &'static str) -> Result<()> {
    if (1..=12).contains(&month) {
        Ok(())
    } else {
        Err(Error::invalid_primitive(type_name, "month must be 01-12"))
    }
}

fn check_day(year: u16, month: u8, day: u8, type_name: &'static str) -> Result<()> {
    if day == 0 || day > 31 {
        Err(Error::invalid_primitive(type_name, "day must be 01-31"))
    } else if day > days_in_month(year, month) {
        Err(Error::invalid_primitive(
            type_name,
            "day does not exist in that month of that year",
        ))
    } else {
        Ok(())
    }
}

fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm),
/// so comparisons need no chrono calls.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let month = i64::from(month);
    let day = i64::from(day);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn push_2(out: &mut String, value: u8) {
    out.push(char::from(b'0' + value / 10));
    out.push(char::from(b'0' + value % 10));
}

fn push_4(out: &mut String, value: u16) {
    // Both halves are below 100.
    push_2(out, (value / 100) as u8);
    push_2(out, (value % 100) as u8);
}

/// Writes `digits` zero-padded to `count` digits, so `.05` stays `.05`.
fn push_fraction(out: &mut String, digits: u64, count: u8) {
    let mut buf = [b'0'; MAX_FRACTION_DIGITS as usize];
    let buf = &mut buf[..usize::from(count)];
    let mut rest = digits;
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend(buf.iter().map(|&b| char::from(b)));
}

/// A byte cursor over the input. Works on bytes, so any non-ASCII character (including
/// non-ASCII digits) simply fails to match. Its errors name what is wrong, never the input.
struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    type_name: &'static str,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, type_name: &'static str) -> Result<Self> {
        if input.is_empty() {
            return Err(Error::invalid_primitive(type_name, "value is empty"));
        }
        Ok(Parser {
            bytes: input.as_bytes(),
            pos: 0,
            type_name,
        })
    }

    fn error(&self, reason: &'static str) -> Error {
        Error::invalid_primitive(self.type_name, reason)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn finish(&self, reason: &'static str) -> Result<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn digit_at(&self, index: usize) -> Option<u8> {
        self.bytes
            .get(index)
            .filter(|b| b.is_ascii_digit())
            .map(|b| b - b'0')
    }

    /// Exactly `count` digits, not followed by another digit: `2020-1-1` and `2020-011`
    /// are both wrong, and it is clearer to say so at the field than later.
    fn fixed_digits(&mut self, count: usize, reason: &'static str) -> Result<u16> {
        let mut value = 0u16;
        for i in 0..count {
            let digit = self
                .digit_at(self.pos + i)
                .ok_or_else(|| self.error(reason))?;
            value = value * 10 + u16::from(digit);
        }
        if self.digit_at(self.pos + count).is_some() {
            return Err(self.error(reason));
        }
        self.pos += count;
        Ok(value)
    }

    fn two_digits(&mut self, reason: &'static str) -> Result<u8> {
        // At most 99.
        self.fixed_digits(2, reason).map(|v| v as u8)
    }

    /// `YYYY(-MM(-DD)?)?`, stopping before whatever follows.
    fn date(&mut self) -> Result<Date> {
        let year = self.fixed_digits(4, "year must be four digits (0001-9999)")?;
        if year == 0 {
            return Err(self.error("year 0000 is not allowed; years start at 0001"));
        }
        let mut date = Date {
            year,
            month: 0,
            day: 0,
        };
        if !self.eat(b'-') {
            return Ok(date);
        }
        date.month = self.two_digits("month must be two digits (01-12)")?;
        check_month(date.month, self.type_name)?;
        if !self.eat(b'-') {
            return Ok(date);
        }
        let day = self.two_digits("day must be two digits (01-31)")?;
        check_day(year, date.month, day, self.type_name)?;
        date.day = day;
        Ok(date)
    }

    fn after_date_error(&self, date: Date) -> Error {
        self.error(match date.precision() {
            DatePrecision::Year => "unexpected characters after the year",
            DatePrecision::Month => "unexpected characters after the month",
            DatePrecision::Day => "unexpected characters after the day",
        })
    }

    /// `hh:mm:ss(.f+)?`
    fn time(&mut self) -> Result<Time> {
        let hour = self.two_digits("hour must be two digits (00-23)")?;
        if hour > 23 {
            return Err(self.error("hour must be 00-23"));
        }
        if !self.eat(b':') {
            return Err(self.error("expected ':' after the hour"));
        }
        let minute = self.two_digits("minute must be two digits (00-59)")?;
        if minute > 59 {
            return Err(self.error("minute must be 00-59"));
        }
        if !self.eat(b':') {
            return Err(self.error("a time needs seconds (hh:mm:ss)"));
        }
        let second = self.two_digits("second must be two digits (00-60)")?;
        if second > 60 {
            return Err(self.error("second must be 00-60"));
        }
        let mut time = Time {
            hour,
            minute,
            second,
            fraction_count: 0,
            fraction_digits: 0,
        };
        if self.eat(b'.') {
            let start = self.pos;
            let mut digits = 0u64;
            while let Some(digit) = self.digit_at(self.pos) {
                // Keep counting past 18 only to report the error.
                if self.pos - start < usize::from(MAX_FRACTION_DIGITS) {
                    digits = digits * 10 + u64::from(digit);
                }
                self.pos += 1;
            }
            let count = self.pos - start;
            if count == 0 {
                return Err(self.error("a fraction of a second needs digits after the '.'"));
            }
            time.fraction_count = u8::try_from(count)
                .ok()
                .filter(|&c| c <= MAX_FRACTION_DIGITS)
                .ok_or_else(|| self.error("a fraction of a second may have at most 18 digits"))?;
            time.fraction_digits = digits;
        }
        Ok(time)
    }

    /// `Z`, `+hh:mm` or `-hh:mm`, at most 14:00.
    fn offset(&mut self) -> Result<Offset> {
        const FORM: &str = "timezone offset must be Z, +hh:mm or -hh:mm";
        let sign = match self.peek() {
            Some(b'Z') => {
                self.pos += 1;
                return Ok(Offset::Z);
            }
            Some(b'+') => OffsetSign::Plus,
            Some(b'-') => OffsetSign::Minus,
            None => {
                return Err(self.error("a time needs a timezone offset (Z, +hh:mm or -hh:mm)"));
            }
            Some(_) => return Err(self.error(FORM)),
        };
        self.pos += 1;
        let hours = self.two_digits(FORM)?;
        if !self.eat(b':') {
            return Err(self.error(FORM));
        }
        let minutes = self.two_digits(FORM)?;
        if minutes > 59 {
            return Err(self.error("timezone offset minutes must be 00-59"));
        }
        Offset::with_sign(sign, hours, minutes)
            .ok_or_else(|| self.error("timezone offset must be within -14:00 to +14:00"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash>(value: &T) -> u64 {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn dt(s: &str) -> DateTime {
        DateTime::parse(s).unwrap()
    }

    fn instant(s: &str) -> Instant {
        Instant::parse(s).unwrap()
    }

    fn reason(err: Error) -> String {
        match err {
            Error::InvalidPrimitive { reason, .. } => reason,
            other => panic!("unexpected error {other:?}"),
        }
    }

    const TIMES: &[&str] = &[
        "00:00:00",
        "23:59:59",
        "23:59:60",
        "12:30:15.5",
        "12:30:15.500",
        "12:30:15.05",
        "12:30:15.000000001",
        "12:30:15.123456789012345678",
        "12:30:15.000000000000000000",
    ];

    const OFFSETS: &[&str] = &[
        "Z", "+00:00", "-00:00", "+14:00", "-14:00", "+13:59", "-13:59", "+05:30", "-09:00",
    ];

    #[test]
    fn round_trips_dates() {
        for s in [
            "0001",
            "2020",
            "9999",
            "2020-01",
            "2020-12",
            "2020-02-29",
            "2000-02-29",
            "2019-02-28",
            "2021-04-30",
            "2021-12-31",
            "0001-01-01",
            "9999-12-31",
        ] {
            assert_eq!(date(s).to_string(), s);
            assert_eq!(dt(s).to_string(), s);
            assert_eq!(s.parse::<Date>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn round_trips_times_and_instants() {
        for time in TIMES {
            assert_eq!(Time::parse(time).unwrap().to_string(), *time);
            for offset in OFFSETS {
                let s = format!("2020-02-29T{time}{offset}");
                assert_eq!(instant(&s).to_string(), s);
                assert_eq!(dt(&s).to_string(), s);
                assert_eq!(s.parse::<Instant>().unwrap().to_string(), s);
                assert_eq!(s.parse::<DateTime>().unwrap().to_string(), s);
                let mut out = String::from(">");
                dt(&s).write_to(&mut out);
                assert_eq!(out, format!(">{s}"));
            }
        }
        for s in ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:60-14:00"] {
            assert_eq!(instant(s).to_string(), s);
        }
    }

    #[test]
    fn display_honours_padding() {
        assert_eq!(format!("[{:>6}]", date("2020")), "[  2020]");
        assert_eq!(format!("{:?}", date("2020-05")), "Date(2020-05)");
        assert_eq!(
            format!("{:?}", dt("2020-05")),
            "Date(Date(2020-05))".to_string()
        );
    }

    #[test]
    fn rejects_invalid_dates() {
        for s in [
            "",
            "0000",
            "0000-01-01",
            "202",
            "20201",
            "2020-",
            "2019-02-29",
            "1900-02-29",
            "2021-04-31",
            "2021-13",
            "2021-00",
            "2021-01-00",
            "2021-01-32",
            "2020-1-1",
            "2020-01-1",
            "2020-011",
            "2020-01-01T00:00:00Z",
            "2020-01-01 ",
            " 2020",
            "2020-01-01x",
            "２０２０",
            "2020/01/01",
            "+2020",
        ] {
            assert!(Date::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn rejects_invalid_date_times() {
        for s in [
            "",
            "0000",
            "2019-02-29",
            "2021-13",
            "2020-1-1",
            "2020-01-01T",
            "2020-01-01T10:00:00",
            "2020-01-01T10:00:00.5",
            "2020-01-01T10:00Z",
            "2020-01-01T10Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T23:60:00Z",
            "2020-01-01T23:59:61Z",
            "2020-01-01T1:00:00Z",
            "2020-01-01T10:00:00.Z",
            "2020-01-01T10:00:00.1234567890123456789Z",
            "2020-01-01T10:00:00+14:30",
            "2020-01-01T10:00:00+14:01",
            "2020-01-01T10:00:00-15:00",
            "2020-01-01T10:00:00+05:60",
            "2020-01-01T10:00:00+0530",
            "2020-01-01T10:00:00+5:30",
            "2020-01-01T10:00:00z",
            "2020-01-01t10:00:00Z",
            "2020-01-01T10:00:00ZZ",
            "2020-01-01T10:00:00Z ",
            "2020-01-01T10:00:00+05:30:00",
            "2020-01T10:00:00Z",
            "2020T10:00:00Z",
            "2020-01-01X",
            "2020-01-01T１0:00:00Z",
            "2020-01-01T10:00:00.５Z",
        ] {
            assert!(DateTime::parse(s).is_err(), "{s:?} should be rejected");
            assert!(Instant::parse(s).is_err(), "{s:?} should be rejected");
        }
        for s in ["2020", "2020-01", "2020-01-01"] {
            assert!(Instant::parse(s).is_err(), "{s:?} is not an instant");
        }
    }

    #[test]
    fn rejects_invalid_times() {
        for s in [
            "",
            "24:00:00",
            "10:00",
            "10:60:00",
            "10:00:61",
            "10:00:00Z",
            "10:00:00+01:00",
            "10:00:00.",
            "10:00:00.1234567890123456789",
            "1:00:00",
            "10:00:00 ",
        ] {
            assert!(Time::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn errors_explain_without_echoing_input() {
        let cases = [
            (
                DateTime::parse("2020-01-01T10:00:00").unwrap_err(),
                "a time needs a timezone offset",
            ),
            (Date::parse("2021-13").unwrap_err(), "month must be 01-12"),
            (Date::parse("2019-02-29").unwrap_err(), "day does not exist"),
            (Date::parse("0000").unwrap_err(), "0000"),
            (
                Instant::parse("2020-01-01T10:00:00+14:30").unwrap_err(),
                "within -14:00 to +14:00",
            ),
            (
                Instant::parse("2020-01-01T10:00:00.1234567890123456789Z").unwrap_err(),
                "at most 18 digits",
            ),
            (Time::parse("24:00:00").unwrap_err(), "hour must be 00-23"),
        ];
        for (err, expected) in cases {
            let text = reason(err);
            assert!(text.contains(expected), "{text:?} lacks {expected:?}");
        }
        let secret = "1987-06-05T04:03:02.9876+05:45";
        let err = Date::parse(secret).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidPrimitive {
                type_name: "date",
                ..
            }
        ));
        for fragment in ["1987", "06-05", "04:03", "9876", "05:45"] {
            assert!(!err.to_string().contains(fragment));
        }
        let err = DateTime::parse("2020-01-01T10:00:00").unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidPrimitive {
                type_name: "dateTime",
                ..
            }
        ));
        let err = Time::parse("25:00:00").unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidPrimitive {
                type_name: "time",
                ..
            }
        ));
        let err = Instant::parse("2020").unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidPrimitive {
                type_name: "instant",
                ..
            }
        ));
    }

    #[test]
    fn sizes() {
        assert_eq!(size_of::<Date>(), 4);
        assert_eq!(size_of::<Offset>(), 3);
        assert_eq!(size_of::<Time>(), 16);
        assert_eq!(size_of::<Instant>(), 24);
        assert_eq!(size_of::<DateTime>(), 24);
        assert!(size_of::<Option<DateTime>>() <= 24);
    }

    #[test]
    fn accessors() {
        let d = date("2020-02");
        assert_eq!(
            (d.year(), d.month(), d.day(), d.precision()),
            (2020, Some(2), None, DatePrecision::Month)
        );
        let v = dt("2020-02-29T23:59:60.1234567891+05:30");
        assert_eq!(v.precision(), DateTimePrecision::Second);
        assert_eq!((v.year(), v.month(), v.day()), (2020, Some(2), Some(29)));
        assert_eq!(
            (v.hour(), v.minute(), v.second()),
            (Some(23), Some(59), Some(60))
        );
        assert_eq!(v.nanosecond(), Some(123_456_789));
        let fraction = v.fraction().unwrap();
        assert_eq!(
            (fraction.digits(), fraction.digit_count()),
            (1_234_567_891, 10)
        );
        let offset = v.offset().unwrap();
        assert_eq!(
            (offset.hours(), offset.minutes(), offset.total_minutes()),
            (5, 30, 330)
        );
        assert_eq!(dt("2020").precision(), DateTimePrecision::Year);
        assert_eq!(dt("2020").hour(), None);
        assert_eq!(dt("2020-01-01T00:00:00.05Z").nanosecond(), Some(50_000_000));
        assert_eq!(
            instant("2020-01-01T00:00:00-00:00")
                .offset()
                .total_minutes(),
            0
        );
        assert!(instant("2020-01-01T00:00:00-00:00").offset().is_negative());
        assert!(instant("2020-01-01T00:00:00Z").offset().is_z());
    }

    #[test]
    fn constructors() {
        assert_eq!(Date::from_ymd(2020, 2, 29).unwrap(), date("2020-02-29"));
        assert!(Date::from_ymd(2019, 2, 29).is_err());
        assert!(Date::from_ymd(0, 1, 1).is_err());
        assert!(Date::from_ymd(10_000, 1, 1).is_err());
        assert_eq!(Date::from_year(7).unwrap().to_string(), "0007");
        assert_eq!(Date::from_year_month(2020, 3).unwrap(), date("2020-03"));
        assert!(Date::from_year_month(2020, 13).is_err());
        let time = Time::from_hms(1, 2, 3)
            .unwrap()
            .with_fraction(Fraction::new(5, 3));
        assert_eq!(time.to_string(), "01:02:03.005");
        assert!(Time::from_hms(24, 0, 0).is_err());
        assert!(Fraction::new(1000, 3).is_none());
        assert!(Fraction::new(1, 19).is_none());
        let at = Instant::new(date("2020-02-29"), time, Offset::west(3, 0).unwrap()).unwrap();
        assert_eq!(at.to_string(), "2020-02-29T01:02:03.005-03:00");
        assert!(Instant::new(date("2020-02"), time, Offset::Z).is_err());
        assert_eq!(Offset::west(0, 0).unwrap().to_string(), "-00:00");
        assert!(Offset::east(14, 1).is_none());
        assert_eq!(DateTime::from(date("2020")), dt("2020"));
        assert_eq!(DateTime::from(at), DateTime::Instant(at));
    }

    #[test]
    fn instants_compare_as_points_in_time() {
        let a = instant("2020-01-01T05:00:00+05:00");
        let b = instant("2020-01-01T00:00:00Z");
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        assert_ne!(a.to_string(), b.to_string());
        assert_eq!(
            instant("2020-01-01T00:00:00.5Z"),
            instant("2020-01-01T00:00:00.500Z")
        );
        assert_eq!(
            hash_of(&instant("2020-01-01T00:00:00.5Z")),
            hash_of(&instant("2020-01-01T00:00:00.500Z"))
        );
        assert_eq!(
            instant("2020-01-01T00:00:00Z"),
            instant("2020-01-01T00:00:00-00:00")
        );
        assert_eq!(
            instant("2020-01-01T00:00:00Z"),
            instant("2020-01-01T00:00:00.000Z")
        );
        assert!(instant("2020-01-01T00:00:00Z") < instant("2019-12-31T23:00:00-05:00"));
        assert!(instant("2020-01-01T00:00:00.05Z") < instant("2020-01-01T00:00:00.5Z"));
        assert!(
            instant("2020-01-01T00:00:00.000000000000000001Z") > instant("2020-01-01T00:00:00Z")
        );
        // A leap second is between :59 and the next minute.
        let leap = instant("2016-12-31T23:59:60Z");
        assert!(instant("2016-12-31T23:59:59.999Z") < leap);
        assert!(leap < instant("2017-01-01T00:00:00Z"));
        assert_eq!(leap, instant("2017-01-01T05:29:60+05:30"));
        // Across the ±14 hour extremes and the year boundary.
        assert!(instant("0001-01-01T00:00:00+14:00") < instant("0001-01-01T00:00:00Z"));
        assert_eq!(instant("0001-01-01T00:00:00+14:00").to_utc().year(), 0);
        assert!(instant("2020-01-02T13:59:00+14:00") < instant("2020-01-01T10:00:00-14:00"));
    }

    #[test]
    fn times_compare_by_value() {
        let t = |s| Time::parse(s).unwrap();
        assert_eq!(t("10:00:00.5"), t("10:00:00.500"));
        assert_eq!(hash_of(&t("10:00:00.5")), hash_of(&t("10:00:00.500")));
        assert!(t("10:00:00") < t("10:00:00.000000000000000001"));
        assert!(t("23:59:59.9") < t("23:59:60"));
        assert!(t("09:59:59") < t("10:00:00"));
    }

    #[test]
    fn dates_compare_as_periods() {
        use Ordering::*;
        assert_eq!(date("2020").partial_cmp(&date("2020-05")), None);
        assert_eq!(date("2020-05").partial_cmp(&date("2020")), None);
        assert_eq!(date("2020-05").partial_cmp(&date("2020-05-31")), None);
        assert_eq!(date("2020-05").partial_cmp(&date("2020-05")), Some(Equal));
        assert_eq!(date("2019").partial_cmp(&date("2020-01")), Some(Less));
        assert_eq!(date("2020-01").partial_cmp(&date("2019")), Some(Greater));
        assert_eq!(date("2019-12-31").partial_cmp(&date("2020")), Some(Less));
        assert_eq!(
            date("2020-06-01").partial_cmp(&date("2020-05")),
            Some(Greater)
        );
        assert_eq!(date("2020-12").partial_cmp(&date("2021-01-01")), Some(Less));
        assert!(date("2020-01-31") < date("2020-02"));
        assert_ne!(date("2020"), date("2020-01"));
        assert_ne!(hash_of(&date("2020")), hash_of(&date("2020-01")));
    }

    #[test]
    fn date_times_compare_consistently() {
        use Ordering::*;
        assert_eq!(dt("2020").partial_cmp(&dt("2020-01-01T00:00:00Z")), None);
        assert_eq!(dt("2020-01-01T00:00:00Z").partial_cmp(&dt("2020")), None);
        // 2019-12-31T23:00:00-05:00 is 04:00 UTC on 2020-01-01.
        assert_eq!(
            dt("2019-12-31T23:00:00-05:00").partial_cmp(&dt("2019-12-31")),
            Some(Greater)
        );
        assert_eq!(
            dt("2019-12-31").partial_cmp(&dt("2019-12-31T23:00:00-05:00")),
            Some(Less)
        );
        assert_eq!(
            dt("2020-01-01T00:00:00Z").partial_cmp(&dt("2019")),
            Some(Greater)
        );
        assert_eq!(
            dt("2019-12-31T23:59:60Z").partial_cmp(&dt("2020")),
            Some(Less)
        );
        assert_eq!(
            dt("2020-01-01T10:00:00+10:00").partial_cmp(&dt("2020")),
            None
        );
        assert_eq!(
            dt("2020-01-01T09:59:59+10:00").partial_cmp(&dt("2020")),
            Some(Less)
        );
        assert_eq!(
            dt("2020-01-01T05:00:00+05:00").partial_cmp(&dt("2020-01-01T00:00:00.000Z")),
            Some(Equal)
        );
        assert_eq!(
            dt("2020-01-01T05:00:00+05:00"),
            dt("2020-01-01T00:00:00.000Z")
        );
        assert_eq!(
            hash_of(&dt("2020-01-01T05:00:00+05:00")),
            hash_of(&dt("2020-01-01T00:00:00.000Z"))
        );
        assert_ne!(dt("2020-01-01"), dt("2020-01-01T00:00:00Z"));
        assert_eq!(dt("2020").partial_cmp(&dt("2021-03")), Some(Less));

        // partial_cmp is Some(Equal) exactly when ==, over a mix of values.
        let values: Vec<DateTime> = [
            "2019",
            "2020",
            "2020-01",
            "2020-01-01",
            "2020-01-01T00:00:00Z",
            "2020-01-01T00:00:00.000+00:00",
            "2020-01-01T05:00:00+05:00",
            "2019-12-31T23:59:60Z",
            "2020-12-31T23:59:59.999-14:00",
            "2021",
        ]
        .iter()
        .map(|s| dt(s))
        .collect();
        for a in &values {
            for b in &values {
                let cmp = a.partial_cmp(b);
                assert_eq!(cmp == Some(Equal), a == b, "{a} vs {b}");
                assert_eq!(cmp.map(Ordering::reverse), b.partial_cmp(a), "{a} vs {b}");
                if a == b {
                    assert_eq!(hash_of(a), hash_of(b));
                }
                for c in &values {
                    if a < b && b < c {
                        assert!(a < c, "{a} < {b} < {c}");
                    }
                }
            }
        }
    }

    #[test]
    fn periods() {
        let utc = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            date("2020").period_utc(),
            utc("2020-01-01T00:00:00Z")..utc("2021-01-01T00:00:00Z")
        );
        assert_eq!(
            date("2020-02").period_utc(),
            utc("2020-02-01T00:00:00Z")..utc("2020-03-01T00:00:00Z")
        );
        assert_eq!(
            date("2020-12").period_utc(),
            utc("2020-12-01T00:00:00Z")..utc("2021-01-01T00:00:00Z")
        );
        assert_eq!(
            date("2020-02-29").period_utc(),
            utc("2020-02-29T00:00:00Z")..utc("2020-03-01T00:00:00Z")
        );
        assert_eq!(date("9999").period_utc().end.year(), 10_000);
        assert_eq!(
            dt("2020-02").period_utc(),
            utc("2020-02-01T00:00:00Z")..utc("2020-03-01T00:00:00Z")
        );
        assert_eq!(
            dt("2020-01-01T10:00:00+02:00").period_utc(),
            utc("2020-01-01T08:00:00Z")..utc("2020-01-01T08:00:01Z")
        );
        assert_eq!(
            dt("2020-01-01T10:00:00.5Z").period_utc(),
            utc("2020-01-01T10:00:00.5Z")..utc("2020-01-01T10:00:00.6Z")
        );
        assert_eq!(
            dt("2020-01-01T10:00:00.50Z").period_utc(),
            utc("2020-01-01T10:00:00.5Z")..utc("2020-01-01T10:00:00.51Z")
        );
        assert_eq!(
            dt("2020-12-31T23:59:59.9Z").period_utc(),
            utc("2020-12-31T23:59:59.9Z")..utc("2021-01-01T00:00:00Z")
        );
        // Beyond nanoseconds the period widens to whole nanoseconds.
        assert_eq!(
            dt("2020-01-01T10:00:00.1234567891Z").period_utc(),
            utc("2020-01-01T10:00:00.123456789Z")..utc("2020-01-01T10:00:00.12345679Z")
        );
        assert_eq!(
            dt("2020-01-01T10:00:00.9999999999Z").period_utc(),
            utc("2020-01-01T10:00:00.999999999Z")..utc("2020-01-01T10:00:01Z")
        );
        let leap = dt("2016-12-31T23:59:60Z").period_utc();
        assert_eq!(leap.start.second(), 59);
        assert_eq!(leap.start.nanosecond(), 1_000_000_000);
        assert_eq!(leap.end, utc("2017-01-01T00:00:00Z"));
    }

    #[test]
    fn chrono_conversions() {
        let at = instant("2020-02-29T23:59:59.123456789123+05:30");
        let c = at.to_chrono();
        assert_eq!(c.to_rfc3339(), "2020-02-29T23:59:59.123456789+05:30");
        assert_eq!(
            at.to_utc().to_rfc3339(),
            "2020-02-29T18:29:59.123456789+00:00"
        );
        assert_eq!(dt("2020-02-29").to_chrono(), None);
        assert_eq!(dt(&at.to_string()).to_chrono(), Some(c));

        let leap = instant("2016-12-31T23:59:60.5Z").to_chrono();
        assert_eq!((leap.second(), leap.nanosecond()), (59, 1_500_000_000));
        let back = Instant::try_from(leap).unwrap();
        assert_eq!(back.to_string(), "2016-12-31T23:59:60.5+00:00");

        let utc = chrono::DateTime::from_timestamp(1_582_934_400, 500_000_000).unwrap();
        assert_eq!(
            Instant::from_chrono(utc).unwrap().to_string(),
            "2020-02-29T00:00:00.5Z"
        );
        let whole = chrono::DateTime::from_timestamp(1_582_934_400, 0).unwrap();
        assert_eq!(
            Instant::from_chrono(whole).unwrap().to_string(),
            "2020-02-29T00:00:00Z"
        );
        let nanos = chrono::DateTime::from_timestamp(1_582_934_400, 120).unwrap();
        assert_eq!(
            Instant::from_chrono(nanos).unwrap().to_string(),
            "2020-02-29T00:00:00.00000012Z"
        );
        assert_eq!(
            DateTime::try_from(nanos).unwrap().to_string(),
            "2020-02-29T00:00:00.00000012Z"
        );

        let fixed = chrono::DateTime::parse_from_rfc3339("2020-06-01T12:00:00-04:00").unwrap();
        assert_eq!(
            Instant::try_from(fixed).unwrap().to_string(),
            "2020-06-01T12:00:00-04:00"
        );
        assert_eq!(
            DateTime::try_from(fixed).unwrap().to_string(),
            "2020-06-01T12:00:00-04:00"
        );
        let odd = fixed.with_timezone(&FixedOffset::east_opt(15 * 3600).unwrap());
        assert!(Instant::try_from(odd).is_err());
        let seconds = fixed.with_timezone(&FixedOffset::east_opt(3600 + 1).unwrap());
        assert!(DateTime::try_from(seconds).is_err());
        let far = chrono::DateTime::from_timestamp(300_000_000_000, 0).unwrap();
        assert!(Instant::from_chrono(far).is_err());
        let early = chrono::DateTime::parse_from_rfc3339("0001-01-01T00:00:00+01:00").unwrap();
        assert_eq!(
            Instant::try_from(early).unwrap().to_string(),
            "0001-01-01T00:00:00+01:00"
        );
        assert_eq!(
            Instant::try_from(early).unwrap().to_utc().year(),
            0,
            "UTC may fall in year 0"
        );

        assert_eq!(
            date("2020-02-29").to_naive_date(),
            NaiveDate::from_ymd_opt(2020, 2, 29)
        );
        assert_eq!(date("2020-02").to_naive_date(), None);
        let naive = NaiveDate::from_ymd_opt(2021, 3, 4).unwrap();
        assert_eq!(Date::try_from(naive).unwrap().to_string(), "2021-03-04");
        assert!(Date::try_from(NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap()).is_err());

        let time = Time::parse("23:59:60.25").unwrap();
        let naive_time = time.to_naive_time();
        assert_eq!(naive_time.nanosecond(), 1_250_000_000);
        assert_eq!(Time::from(naive_time).to_string(), "23:59:60.25");
        assert_eq!(
            Time::from(NaiveTime::from_hms_opt(1, 2, 3).unwrap()).to_string(),
            "01:02:03"
        );
        assert_eq!(
            Offset::from_chrono(FixedOffset::west_opt(0).unwrap())
                .unwrap()
                .to_string(),
            "+00:00"
        );
        assert_eq!(Offset::Z.to_chrono().local_minus_utc(), 0);
        assert_eq!(
            Offset::west(14, 0).unwrap().to_chrono().local_minus_utc(),
            -14 * 3600
        );
    }

    #[test]
    fn random_round_trip() {
        // A small deterministic generator: many valid forms must print back unchanged.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..5_000 {
            let year = 1 + next(9999) as u16;
            let month = 1 + next(12) as u8;
            let day = 1 + next(u64::from(days_in_month(year, month))) as u8;
            let s = match next(4) {
                0 => format!("{year:04}"),
                1 => format!("{year:04}-{month:02}"),
                2 => format!("{year:04}-{month:02}-{day:02}"),
                _ => {
                    let count = next(19) as usize;
                    let fraction: String = (0..count)
                        .map(|_| char::from(b'0' + next(10) as u8))
                        .collect();
                    let fraction = if count == 0 {
                        String::new()
                    } else {
                        format!(".{fraction}")
                    };
                    let offset = match next(4) {
                        0 => "Z".to_string(),
                        1 => "+14:00".to_string(),
                        _ => format!(
                            "{}{:02}:{:02}",
                            if next(2) == 0 { '+' } else { '-' },
                            next(14),
                            next(60)
                        ),
                    };
                    format!(
                        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}{offset}",
                        next(24),
                        next(60),
                        next(61)
                    )
                }
            };
            let parsed = dt(&s);
            assert_eq!(parsed.to_string(), s);
            if let Some(at) = parsed.instant() {
                let reparsed = Instant::try_from(at.to_chrono()).unwrap();
                // chrono keeps nanoseconds only.
                assert_eq!(reparsed.to_utc(), at.to_utc());
            }
        }
    }
}
