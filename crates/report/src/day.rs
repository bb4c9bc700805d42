//! The mission day: the 24 hours a daily report covers.
//!
//! The OSCE's monitoring mission closed its day at 19:30 local time, so that a report could be
//! written overnight and published in the morning; Truceline does the same by default. A day is
//! named by the date on which it ends, in the mission's time zone, and follows that zone's
//! daylight-saving changes (so a day can last 23 or 25 hours).
//!
//! ```
//! use truceline_report::MissionDay;
//!
//! let d = MissionDay::new("2026-11-24", "Europe/Kyiv", "19:30").unwrap();
//! assert_eq!(d.from.to_string(), "2026-11-23T17:30:00Z");
//! assert_eq!(d.to.to_string(), "2026-11-24T17:30:00Z");
//! assert_eq!(d.previous().unwrap().date.to_string(), "2026-11-23");
//! ```

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::ReportError;

/// The mission's time zone by default: Kyiv's, where the line of contact is.
pub const DEFAULT_TIMEZONE: &str = "Europe/Kyiv";
/// When the mission day ends by default, local time: 19:30, as the OSCE mission's did.
pub const DEFAULT_DAY_ENDS: &str = "19:30";

/// One mission day: `[from, to)`, ending at `day_ends` local time on `date`.
#[derive(Debug, Clone, PartialEq)]
pub struct MissionDay {
    pub date: Date,
    pub from: Timestamp,
    pub to: Timestamp,
    pub timezone: String,
    pub day_ends: Time,
    /// For a day still in progress, the time its report is made as of: counts and coverage
    /// stop there. Set by [`MissionDay::as_of`]; a report stays a function of the store and
    /// the day.
    pub as_of: Option<Timestamp>,
}

impl MissionDay {
    /// The day ending at `day_ends` (HH:MM) in `timezone` (an IANA name) on `date` (YYYY-MM-DD).
    pub fn new(date: &str, timezone: &str, day_ends: &str) -> Result<MissionDay, ReportError> {
        let date: Date = date.parse().map_err(|_| ReportError::Input {
            field: "date",
            expected: "a date as YYYY-MM-DD".into(),
            got: date.to_string(),
        })?;
        let day_ends: Time = day_ends.parse().map_err(|_| ReportError::Input {
            field: "day-ends",
            expected: "a local time as HH:MM".into(),
            got: day_ends.to_string(),
        })?;
        let tz = TimeZone::get(timezone).map_err(|_| ReportError::Input {
            field: "timezone",
            expected: "an IANA time zone name such as Europe/Kyiv".into(),
            got: timezone.to_string(),
        })?;
        Self::with(date, tz, timezone, day_ends)
    }

    fn with(
        date: Date,
        tz: TimeZone,
        name: &str,
        day_ends: Time,
    ) -> Result<MissionDay, ReportError> {
        let at = |d: Date| {
            d.to_datetime(day_ends)
                .to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| ReportError::Input {
                    field: "date",
                    expected: "a date the time zone can place".into(),
                    got: format!("{d}: {e}"),
                })
        };
        let before = date.checked_sub(1.day()).map_err(|_| ReportError::Input {
            field: "date",
            expected: "a date after 0001-01-01".into(),
            got: date.to_string(),
        })?;
        Ok(MissionDay {
            date,
            from: at(before)?,
            to: at(date)?,
            timezone: name.to_string(),
            day_ends,
            as_of: None,
        })
    }

    /// The day before this one.
    pub fn previous(&self) -> Result<MissionDay, ReportError> {
        self.shifted(-1)
    }

    /// The day `days` after (negative: before) this one.
    pub fn shifted(&self, days: i64) -> Result<MissionDay, ReportError> {
        let date = self
            .date
            .checked_add(days.days())
            .map_err(|_| ReportError::Input {
                field: "date",
                expected: "a date within the calendar".into(),
                got: self.date.to_string(),
            })?;
        let tz = TimeZone::get(&self.timezone).expect("checked when the day was made");
        Self::with(date, tz, &self.timezone, self.day_ends)
    }

    /// The day that contains `t`.
    pub fn containing(
        t: Timestamp,
        timezone: &str,
        day_ends: &str,
    ) -> Result<MissionDay, ReportError> {
        let tz = TimeZone::get(timezone).map_err(|_| ReportError::Input {
            field: "timezone",
            expected: "an IANA time zone name such as Europe/Kyiv".into(),
            got: timezone.to_string(),
        })?;
        let local = t.to_zoned(tz).date();
        let d = MissionDay::new(&local.to_string(), timezone, day_ends)?;
        if t >= d.to { d.shifted(1) } else { Ok(d) }
    }

    pub fn from_ms(&self) -> i64 {
        self.from.as_millisecond()
    }

    pub fn to_ms(&self) -> i64 {
        self.to.as_millisecond()
    }

    /// Whether the day has ended at `now`. A report is published only for a day that is over:
    /// published figures go into the log for good, and an open day's still grow.
    pub fn is_over(&self, now: Timestamp) -> bool {
        now >= self.to
    }

    /// The day as it stands at `now`: still in progress (its report made as of `now`) if it
    /// has not ended.
    pub fn as_of(mut self, now: Timestamp) -> MissionDay {
        self.as_of = (now < self.to).then(|| now.max(self.from));
        self
    }

    /// The hours its report covers: all of them once it is over, else those up to `as_of`.
    pub fn covered_hours(&self) -> f64 {
        let end = self
            .as_of
            .map_or(self.to_ms(), |t| t.as_millisecond().min(self.to_ms()));
        (end - self.from_ms()) as f64 / 3_600_000.0
    }

    /// Its length in hours (23, 24 or 25).
    pub fn hours(&self) -> f64 {
        (self.to_ms() - self.from_ms()) as f64 / 3_600_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_time_shifts_the_utc_end() {
        let d = MissionDay::new("2026-07-01", "Europe/Kyiv", "19:30").unwrap();
        assert_eq!(d.to.to_string(), "2026-07-01T16:30:00Z");
        // The day the clocks go back (last Sunday of October 2026) lasts 25 hours.
        let d = MissionDay::new("2026-10-25", "Europe/Kyiv", "19:30").unwrap();
        assert_eq!(d.hours(), 25.0);
    }

    #[test]
    fn the_day_containing_an_instant() {
        let t: Timestamp = "2026-11-24T17:29:59Z".parse().unwrap();
        let d = MissionDay::containing(t, "Europe/Kyiv", "19:30").unwrap();
        assert_eq!(d.date.to_string(), "2026-11-24");
        let t: Timestamp = "2026-11-24T17:30:00Z".parse().unwrap();
        let d = MissionDay::containing(t, "Europe/Kyiv", "19:30").unwrap();
        assert_eq!(d.date.to_string(), "2026-11-25");
    }

    #[test]
    fn a_day_in_progress_covers_the_hours_so_far() {
        let d = MissionDay::new("2026-11-24", "Europe/Kyiv", "19:30").unwrap();
        let six_hours_in: Timestamp = "2026-11-23T23:30:00Z".parse().unwrap();
        let open = d.clone().as_of(six_hours_in);
        assert_eq!(open.as_of, Some(six_hours_in));
        assert_eq!(open.covered_hours(), 6.0);
        // Once it is over it is whole, however late the report is made.
        let over = d.clone().as_of("2026-11-30T00:00:00Z".parse().unwrap());
        assert_eq!((over.as_of, over.covered_hours()), (None, 24.0));
        // Made before the day began, it covers nothing yet.
        let early = d.as_of("2026-11-20T00:00:00Z".parse().unwrap());
        assert_eq!(early.covered_hours(), 0.0);
    }

    #[test]
    fn bad_input_names_its_field() {
        let e = MissionDay::new("2026-13-01", "Europe/Kyiv", "19:30").unwrap_err();
        assert!(e.to_string().starts_with("date:"), "{e}");
        let e = MissionDay::new("2026-11-01", "Mars/Olympus", "19:30").unwrap_err();
        assert!(e.to_string().starts_with("timezone:"), "{e}");
        let e = MissionDay::new("2026-11-01", "Europe/Kyiv", "25:00").unwrap_err();
        assert!(e.to_string().starts_with("day-ends:"), "{e}");
    }
}
