//! Daily reports: built from the store for a mission day, rendered in any format, and
//! published (their record logged) once the day is over.

use truceline_report::{Audience, Format, MissionDay, Report};
use truceline_store::PublishedReport;

use crate::{Service, ServiceError};

/// The mission's day: its time zone and when it ends (default 19:30 Europe/Kyiv, as the OSCE
/// mission's did: `truceline_report::day`).
#[derive(Debug, Clone, PartialEq)]
pub struct DaySettings {
    pub timezone: String,
    pub day_ends: String,
}

impl Default for DaySettings {
    fn default() -> Self {
        DaySettings {
            timezone: truceline_report::day::DEFAULT_TIMEZONE.into(),
            day_ends: truceline_report::day::DEFAULT_DAY_ENDS.into(),
        }
    }
}

impl DaySettings {
    /// The mission day named by `date`.
    pub fn day(&self, date: &str) -> Result<MissionDay, truceline_report::ReportError> {
        MissionDay::new(date, &self.timezone, &self.day_ends)
    }

    /// The mission day that contains `t`.
    pub fn containing(
        &self,
        t: jiff::Timestamp,
    ) -> Result<MissionDay, truceline_report::ReportError> {
        MissionDay::containing(t, &self.timezone, &self.day_ends)
    }
}

impl Service {
    /// Builds the report of `day` as the day stands now (a day in progress says so, and its
    /// figures cover the hours so far); blocking.
    pub fn report(&self, day: &MissionDay, audience: Audience) -> Result<Report, ServiceError> {
        let day = day.clone().as_of(jiff::Timestamp::now());
        let mut r = truceline_report::build(self.store.as_ref(), &self.reports, &day, audience)?;
        // Each incident links to its evidence document under the name this edition's readers
        // know it by: its shown id in the public edition.
        for line in &mut r.incidents {
            let id = match audience {
                Audience::Public => self.public_id(&line.incident),
                Audience::Restricted => line.incident.clone(),
            };
            line.evidence = Some(format!("/api/v1/incidents/{id}/evidence"));
        }
        // The behaviours at sea are the mission's analysis: the restricted edition only, and
        // only once some AIS was heard or an incident fell at a port.
        if audience == Audience::Restricted {
            let mut sea = self
                .maritime
                .sea_section(day.from.as_millisecond(), day.to.as_millisecond());
            let located: Vec<(usize, [f64; 2])> =
                r.incidents.iter().map(|i| (i.number, i.location)).collect();
            sea.at_ports = crate::maritime::incidents_at_ports(&located);
            let timed: Vec<(usize, [f64; 2], i64)> = r
                .incidents
                .iter()
                .filter_map(|i| {
                    let t: jiff::Timestamp = i.time.parse().ok()?;
                    Some((i.number, i.location, t.as_millisecond()))
                })
                .collect();
            sea.near_vessels = self.maritime.near_incidents(&timed);
            if sea.vessels > 0 || !sea.at_ports.is_empty() {
                r.sea = Some(sea);
            }
        }
        Ok(r)
    }

    /// The report of `day` in `format` (the HTML in `lang`); blocking.
    pub fn render_report(
        &self,
        day: &MissionDay,
        audience: Audience,
        format: Format,
        lang: truceline_report::lang::Lang,
    ) -> Result<Vec<u8>, ServiceError> {
        let r = self.report(day, audience)?;
        Ok(truceline_report::render_in(&r, &self.reports, format, lang))
    }

    /// Publishes the report built for `day`: its record (the SHA-256 of every format)
    /// becomes a leaf of the log, and a checkpoint covers it before this returns. Refused for a
    /// day still in progress at `now`, whose figures still grow. Returns the leaf's index and
    /// the record; blocking.
    pub fn publish(
        &self,
        day: &MissionDay,
        report: &Report,
        now: jiff::Timestamp,
    ) -> Result<(u64, PublishedReport), ServiceError> {
        if !day.is_over(now) {
            return Err(ServiceError::DayOpen {
                date: day.date.to_string(),
                ends: day.to.to_string(),
            });
        }
        let publication = truceline_report::publication(report, &self.reports);
        let index = self.store.publish_report(publication.clone())?;
        self.log.checkpoint_now(self.store.as_ref())?;
        Ok((index, publication))
    }
}
