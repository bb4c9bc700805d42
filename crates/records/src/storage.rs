//! Weapons storage sites: what each party declared, what inspections found, what is missing.
//!
//! A site is known by its `name`; each `site` record is a declaration of its whole inventory
//! and supersedes the one before it (both stay in the log). An inspection names the site (by
//! name, or by the id of one of its declarations) and lists the serials present; it is
//! compared with the declaration in force at its time: with access granted a declared serial
//! not present is **missing**, with partial access it is **not verified**, and a serial present
//! but not declared is **undeclared**. A site not inspected for [`Sites::overdue`]'s number of
//! days is overdue.
//!
//! ```
//! use truceline_records::{Access, Declared, LonLat, storage::{Sites, Declaration, Visit}};
//!
//! let t = |s: &str| -> jiff::Timestamp { s.parse().unwrap() };
//! let mut sites = Sites::default();
//! sites.declare(Declaration { id: "s1".into(), time: t("2026-11-01T08:00:00Z"), party: "ua".into(),
//!     name: "Site 12".into(), location: LonLat { lon: 37.1, lat: 48.6 },
//!     declared: vec![Declared { weapon: "tanks".into(), serial: "T-1".into() },
//!                    Declared { weapon: "tanks".into(), serial: "T-2".into() }] });
//! let found = sites.inspect(&Visit { id: "i1".into(), time: t("2026-11-24T09:00:00Z"), site: "Site 12".into(),
//!     access: Access::Granted, present: vec!["T-1".into()] });
//! assert_eq!(found.missing, vec!["T-2".to_string()]);
//! assert_eq!(found.party.as_deref(), Some("ua"));
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Access, Body, Declared, LonLat, Record};

/// One declaration of a site's inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub id: String,
    pub time: jiff::Timestamp,
    pub party: String,
    pub name: String,
    pub location: LonLat,
    pub declared: Vec<Declared>,
}

/// One inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: String,
    pub time: jiff::Timestamp,
    pub site: String,
    pub access: Access,
    pub present: Vec<String>,
}

/// What one inspection found against the declaration in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub inspection: String,
    pub site: String,
    /// The site's party; `None` when the inspection names no declared site.
    pub party: Option<String>,
    pub access: Access,
    pub declared: usize,
    pub present: usize,
    pub missing: Vec<String>,
    pub not_verified: Vec<String>,
    pub undeclared: Vec<String>,
}

/// Every site's declarations and inspections, in time order.
#[derive(Debug, Clone, Default)]
pub struct Sites {
    /// By site name: its declarations, oldest first.
    declarations: BTreeMap<String, Vec<Declaration>>,
    /// By site name: the times of its inspections (any access), oldest first.
    visits: BTreeMap<String, Vec<jiff::Timestamp>>,
}

impl Sites {
    /// Adds a declaration (call in time order).
    pub fn declare(&mut self, d: Declaration) {
        let list = self.declarations.entry(d.name.clone()).or_default();
        let at = list.partition_point(|x| (x.time, &x.id) <= (d.time, &d.id));
        list.insert(at, d);
    }

    /// Takes a record in time order: a site's declaration is kept, an inspection compared with
    /// the declaration in force (its finding returned); other records are not about sites.
    pub fn apply(&mut self, r: &Record) -> Option<Finding> {
        match &r.body {
            Body::Site {
                party,
                name,
                location,
                declared,
            } => {
                self.declare(Declaration {
                    id: r.id.clone(),
                    time: r.time,
                    party: party.clone(),
                    name: name.clone(),
                    location: *location,
                    declared: declared.clone(),
                });
                None
            }
            Body::Inspection {
                site,
                access,
                present,
            } => Some(self.inspect(&Visit {
                id: r.id.clone(),
                time: r.time,
                site: site.clone(),
                access: *access,
                present: present.clone(),
            })),
            _ => None,
        }
    }

    /// The site an inspection names: by name, or by the id of one of its declarations.
    fn site_of(&self, named: &str) -> Option<&str> {
        if self.declarations.contains_key(named) {
            return Some(self.declarations.get_key_value(named).unwrap().0);
        }
        self.declarations
            .iter()
            .find(|(_, ds)| ds.iter().any(|d| d.id == named))
            .map(|(k, _)| k.as_str())
    }

    /// The declaration of `site` in force at `t`.
    pub fn in_force(&self, site: &str, t: jiff::Timestamp) -> Option<&Declaration> {
        let ds = self.declarations.get(site)?;
        ds.iter().rev().find(|d| d.time <= t)
    }

    /// Records an inspection and compares it with the declaration in force at its time.
    pub fn inspect(&mut self, v: &Visit) -> Finding {
        let site = self.site_of(&v.site).map(str::to_string);
        let name = site.clone().unwrap_or_else(|| v.site.clone());
        let times = self.visits.entry(name.clone()).or_default();
        let at = times.partition_point(|t| *t <= v.time);
        times.insert(at, v.time);
        let decl = site.as_deref().and_then(|s| self.in_force(s, v.time));
        let declared: Vec<&str> = decl
            .map(|d| d.declared.iter().map(|w| w.serial.as_str()).collect())
            .unwrap_or_default();
        let absent: Vec<String> = declared
            .iter()
            .filter(|s| !v.present.iter().any(|p| p == *s))
            .map(|s| s.to_string())
            .collect();
        let (missing, not_verified) = match v.access {
            Access::Granted => (absent, Vec::new()),
            Access::Partial => (Vec::new(), absent),
            Access::Denied => (Vec::new(), declared.iter().map(|s| s.to_string()).collect()),
        };
        Finding {
            inspection: v.id.clone(),
            site: name,
            party: decl.map(|d| d.party.clone()),
            access: v.access,
            declared: declared.len(),
            present: v.present.len(),
            missing,
            not_verified,
            undeclared: v
                .present
                .iter()
                .filter(|p| !declared.contains(&p.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// Sites whose last inspection before `at` (or, never inspected, whose first declaration)
    /// is more than `days` old: `(site, party, days since)`.
    pub fn overdue(&self, at: jiff::Timestamp, days: i64) -> Vec<(String, String, i64)> {
        let mut out = Vec::new();
        for (name, ds) in &self.declarations {
            let Some(current) = ds.iter().rev().find(|d| d.time <= at) else {
                continue;
            };
            let first = ds[0].time;
            let last = self
                .visits
                .get(name)
                .and_then(|t| t.iter().rev().find(|t| **t <= at).copied())
                .unwrap_or(first);
            let since = at.duration_since(last).as_secs() / 86_400;
            if since > days {
                out.push((name.clone(), current.party.clone(), since));
            }
        }
        out
    }

    /// Weapons declared at `at`, by party: `(party, count)`.
    pub fn declared_by_party(&self, at: jiff::Timestamp) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for name in self.declarations.keys() {
            if let Some(d) = self.in_force(name, at) {
                *out.entry(d.party.clone()).or_default() += d.declared.len() as u64;
            }
        }
        out
    }

    /// The site where `serial` is declared at `at`: `(site, party)`.
    pub fn site_of_serial(&self, serial: &str, at: jiff::Timestamp) -> Option<(&str, &str)> {
        self.declarations.keys().find_map(|name| {
            let d = self.in_force(name, at)?;
            d.declared
                .iter()
                .any(|w| w.serial == serial)
                .then_some((name.as_str(), d.party.as_str()))
        })
    }

    /// Each site's declaration in force at `at`, by name.
    pub fn sites_at(&self, at: jiff::Timestamp) -> Vec<&Declaration> {
        self.declarations
            .keys()
            .filter_map(|n| self.in_force(n, at))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn declare(id: &str, at: &str, serials: &[&str]) -> Declaration {
        Declaration {
            id: id.into(),
            time: t(at),
            party: "ru".into(),
            name: "ru-site-1".into(),
            location: LonLat {
                lon: 38.5,
                lat: 48.4,
            },
            declared: serials
                .iter()
                .map(|s| Declared {
                    weapon: "mlrs".into(),
                    serial: s.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_new_declaration_supersedes_and_inspections_meet_the_one_in_force() {
        let mut sites = Sites::default();
        sites.declare(declare("d1", "2026-11-01T00:00:00Z", &["A", "B", "C"]));
        sites.declare(declare("d2", "2026-11-20T00:00:00Z", &["A", "B"]));
        let visit = |id: &str, at: &str, access, present: &[&str]| Visit {
            id: id.into(),
            time: t(at),
            // Named by a declaration's id: the same site.
            site: "d1".into(),
            access,
            present: present.iter().map(|s| s.to_string()).collect(),
        };
        // Before the second declaration, C was declared and is missing.
        let f = sites.inspect(&visit(
            "i1",
            "2026-11-10T00:00:00Z",
            Access::Granted,
            &["A", "B"],
        ));
        assert_eq!(
            (f.site.as_str(), f.missing.clone()),
            ("ru-site-1", vec!["C".to_string()])
        );
        // After it, C is no longer declared; X was never declared.
        let f = sites.inspect(&visit(
            "i2",
            "2026-11-24T00:00:00Z",
            Access::Granted,
            &["A", "B", "X"],
        ));
        assert!(f.missing.is_empty());
        assert_eq!(f.undeclared, vec!["X".to_string()]);
        // Partial access verifies nothing missing; denied access verifies nothing at all.
        let f = sites.inspect(&visit(
            "i3",
            "2026-11-25T00:00:00Z",
            Access::Partial,
            &["A"],
        ));
        assert_eq!(
            (f.missing.len(), f.not_verified.clone()),
            (0, vec!["B".to_string()])
        );
        let f = sites.inspect(&visit("i4", "2026-11-26T00:00:00Z", Access::Denied, &[]));
        assert_eq!(f.not_verified.len(), 2);
        // A serial seen elsewhere is traced to the site that declares it at that time.
        assert_eq!(
            sites.site_of_serial("C", t("2026-11-05T00:00:00Z")),
            Some(("ru-site-1", "ru"))
        );
        assert_eq!(sites.site_of_serial("C", t("2026-11-21T00:00:00Z")), None);
        assert_eq!(sites.declared_by_party(t("2026-11-21T00:00:00Z"))["ru"], 2);
        // Overdue: last inspected on the 26th.
        assert!(sites.overdue(t("2026-12-20T00:00:00Z"), 30).is_empty());
        assert_eq!(sites.overdue(t("2027-01-01T00:00:00Z"), 30)[0].2, 36);
    }
}
