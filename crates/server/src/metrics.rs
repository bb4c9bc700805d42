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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ByLabel {
    /// What the limit or outcome was counted by.
    pub by: &'static str,
}

pub struct Metrics {
    registry: Registry,
    /// Requests refused by a rate or concurrency limit, by what limited them.
    pub limited: Family<ByLabel, Counter>,
    /// Requests refused before any handler, by why (the URI or head too large).
    pub refused_heads: Family<ByLabel, Counter>,
    /// Expensive reads: `asked`, and `computed` (not from the cache).
    pub cached: Family<ByLabel, Counter>,
    /// Connections closed at once: the reserved ones were full too.
    pub connections_refused: Counter,
    pub connections_open: prometheus_client::metrics::gauge::Gauge,
    /// Health, as `/healthz` finds it.
    pub store_errors: Counter,
    pub checkpoints_late: Counter,
    pub fusion_late: Counter,
    pub checkpoint_lag: prometheus_client::metrics::gauge::Gauge<f64, std::sync::atomic::AtomicU64>,
    pub fusion_lag: prometheus_client::metrics::gauge::Gauge<f64, std::sync::atomic::AtomicU64>,
    pub degraded: prometheus_client::metrics::gauge::Gauge,
    /// One health update at a time: counters are raised to the service's figures.
    health_update: std::sync::Mutex<()>,
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
        let limited = Family::<ByLabel, Counter>::default();
        registry.register(
            "limited_requests",
            "Requests refused by a rate limit (address, account, sign_in) or because expensive reads (expensive) or pages (pages) were all busy",
            limited.clone(),
        );
        let refused_heads = Family::<ByLabel, Counter>::default();
        registry.register(
            "refused_heads",
            "Requests refused before routing: the URI or the head too large",
            refused_heads.clone(),
        );
        let cached = Family::<ByLabel, Counter>::default();
        registry.register(
            "expensive_reads",
            "Expensive reads (reports, map columns): asked, and computed (the rest came from the cache)",
            cached.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections closed on arrival: every connection, reserved ones included, was in use",
            connections_refused.clone(),
        );
        let connections_open = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "connections_open",
            "Connections open now",
            connections_open.clone(),
        );
        let store_errors = Counter::default();
        registry.register(
            "store_write_errors",
            "Writes the store failed (observations, checkpoints, audit batches)",
            store_errors.clone(),
        );
        let checkpoints_late = Counter::default();
        registry.register(
            "checkpoints_late",
            "Times the log grew and no checkpoint covered it within 10 s",
            checkpoints_late.clone(),
        );
        let fusion_late = Counter::default();
        registry.register(
            "fusion_late",
            "Times fusion fell more than 60 s behind the log",
            fusion_late.clone(),
        );
        let checkpoint_lag = Default::default();
        registry.register(
            "checkpoint_lag_seconds",
            "Time since the log first grew past the latest signed checkpoint (0 when covered)",
            Clone::clone(&checkpoint_lag),
        );
        let fusion_lag = Default::default();
        registry.register(
            "fusion_lag_seconds",
            "Time since the log first grew past what fusion has read (0 when caught up)",
            Clone::clone(&fusion_lag),
        );
        let degraded = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "degraded",
            "1 when /healthz answers degraded",
            degraded.clone(),
        );
        Metrics {
            registry,
            limited,
            refused_heads,
            cached,
            connections_refused,
            connections_open,
            store_errors,
            checkpoints_late,
            fusion_late,
            checkpoint_lag,
            fusion_lag,
            degraded,
            health_update: Default::default(),
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

    pub fn limited(&self, by: &'static str) {
        self.limited.get_or_create(&ByLabel { by }).inc();
    }

    pub fn refuse_request(&self, by: &'static str) {
        self.refused_heads.get_or_create(&ByLabel { by }).inc();
    }

    pub fn cache(&self, by: &'static str) {
        self.cached.get_or_create(&ByLabel { by }).inc();
    }

    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// Brings the health figures up to `h` (counters only ever move up to the service's).
    pub fn health(&self, h: &truceline_service::health::Health) {
        let _one = self.health_update.lock().unwrap();
        let up = |c: &Counter, to: u64| {
            c.inc_by(to.saturating_sub(c.get()));
        };
        up(&self.store_errors, h.store_errors);
        up(&self.checkpoints_late, h.checkpoints_late);
        up(&self.fusion_late, h.fusion_late);
        self.checkpoint_lag.set(h.checkpoint_lag.as_secs_f64());
        self.fusion_lag.set(h.fusion_lag.as_secs_f64());
        self.degraded.set(i64::from(!h.problems.is_empty()));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        prometheus_client::encoding::text::encode(&mut s, &self.registry)
            .expect("writing to a String does not fail");
        s
    }
}
