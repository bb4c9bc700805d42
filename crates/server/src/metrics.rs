//! Prometheus metrics: what came in, what was refused and why, and what durability costs.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use truceline_store::CommitStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// `accepted`, `duplicate` or `refused`.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// `invalid`, `conflict`, `too_large`, `store`.
    pub reason: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub observations: Family<OutcomeLabel, Counter>,
    pub refused_requests: Family<ReasonLabel, Counter>,
    pub commit_seconds: Histogram,
    pub commit_requests: Histogram,
    pub checkpoints: Counter,
    pub log_size: prometheus_client::metrics::gauge::Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("truceline");
        let observations = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "observations",
            "Observations received, by outcome (refused counts every line of a refused request)",
            observations.clone(),
        );
        let refused_requests = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "refused_requests",
            "Observation requests refused, by reason",
            refused_requests.clone(),
        );
        let commit_seconds = Histogram::new(exponential_buckets(0.0002, 2.0, 16));
        registry.register(
            "commit_seconds",
            "Latency of a group commit, from transaction start to durable",
            commit_seconds.clone(),
        );
        let commit_requests = Histogram::new(exponential_buckets(1.0, 2.0, 12));
        registry.register(
            "commit_requests",
            "Requests that shared one group commit",
            commit_requests.clone(),
        );
        let checkpoints = Counter::default();
        registry.register(
            "log_checkpoints",
            "Checkpoints of the evidence log signed",
            checkpoints.clone(),
        );
        let log_size = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "log_size",
            "Leaves of the evidence log under the latest signed checkpoint",
            log_size.clone(),
        );
        Metrics {
            registry,
            checkpoints,
            log_size,
            observations,
            refused_requests,
            commit_seconds,
            commit_requests,
        }
    }
}

impl Metrics {
    pub fn record_commit(&self, s: CommitStats) {
        self.commit_seconds.observe(s.latency.as_secs_f64());
        self.commit_requests.observe(s.requests as f64);
    }

    pub fn count(&self, outcome: &'static str, n: usize) {
        self.observations
            .get_or_create(&OutcomeLabel { outcome })
            .inc_by(n as u64);
    }

    pub fn refuse(&self, reason: &'static str, lines: usize) {
        self.refused_requests
            .get_or_create(&ReasonLabel { reason })
            .inc();
        self.count("refused", lines);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        prometheus_client::encoding::text::encode(&mut s, &self.registry)
            .expect("writing to a String does not fail");
        s
    }
}
