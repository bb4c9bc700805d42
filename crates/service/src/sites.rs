//! Field offices (SPEC 9): a site keeps accepting observations while cut off from headquarters
//! and forwards them when the link is back. What each site last said of itself is kept here,
//! by the door that hears it (NATS), and read by [`Service::health`](crate::Service::health):
//! a site silent too long, or with observations waiting, is named as lagging.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// A site's account of itself, sent every few seconds while its link is up.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SiteStatus {
    pub site: String,
    /// Observations the site has stored, and how many of them headquarters has acknowledged.
    pub stored: u64,
    pub forwarded: u64,
    /// When the site said it, milliseconds since the Unix epoch (the site's clock).
    pub at_ms: i64,
}

impl SiteStatus {
    pub fn waiting(&self) -> u64 {
        self.stored.saturating_sub(self.forwarded)
    }
}

/// A site is lagging once silent this long (it reports every [`STATUS_EVERY`]).
pub const SILENT: Duration = Duration::from_secs(10);
/// How often a site reports.
pub const STATUS_EVERY: Duration = Duration::from_secs(2);

/// The sites heard, by name, with when each was last heard (this server's clock).
#[derive(Default)]
pub struct Sites(RwLock<HashMap<String, (SiteStatus, Instant)>>);

impl Sites {
    pub fn heard(&self, s: SiteStatus) {
        self.0
            .write()
            .unwrap()
            .insert(s.site.clone(), (s, Instant::now()));
    }

    /// Every site heard, with the seconds since it was, by name.
    pub fn all(&self) -> Vec<(SiteStatus, u64)> {
        let mut v: Vec<(SiteStatus, u64)> = self
            .0
            .read()
            .unwrap()
            .values()
            .map(|(s, at)| (s.clone(), at.elapsed().as_secs()))
            .collect();
        v.sort_by(|a, b| a.0.site.cmp(&b.0.site));
        v
    }

    /// Why sites lag, one sentence a site; empty when none does.
    pub fn problems(&self) -> Vec<String> {
        self.0
            .read()
            .unwrap()
            .values()
            .filter_map(|(s, at)| {
                let silent = at.elapsed();
                if silent >= SILENT {
                    // What it holds now is unknown: it has not said since.
                    Some(format!(
                        "site {} is lagging: not heard for {} s (when last heard, {} observations were waiting there to be forwarded)",
                        s.site,
                        silent.as_secs(),
                        s.waiting()
                    ))
                } else if s.waiting() > 0 {
                    Some(format!(
                        "site {} is lagging: {} observations waiting there to be forwarded",
                        s.site,
                        s.waiting()
                    ))
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_with_observations_waiting_lags_and_one_caught_up_does_not() {
        let sites = Sites::default();
        let status = |forwarded| SiteStatus {
            site: "kramatorsk".into(),
            stored: 10,
            forwarded,
            at_ms: 0,
        };
        sites.heard(status(4));
        assert!(sites.problems()[0].contains("6 observations waiting"));
        sites.heard(status(10));
        assert!(sites.problems().is_empty());
        assert_eq!(sites.all()[0].0.waiting(), 0);
    }
}
