//! Every limit the HTTP door keeps, in one place: connections, time, request size, rate, and the
//! cost of expensive reads. Hostile clients are a normal condition: each limit answers with the
//! error envelope and, where waiting helps, `Retry-After`, and nothing already accepted is
//! touched.
//!
//! - **Connections**: at most [`Limits::max_connections`]; past that, a few more
//!   ([`Limits::reserved_connections`]) are let in for `/healthz`, `/metrics` and the chief
//!   only, with a short header deadline, and when even those are full the oldest reserved
//!   connection that has not sent a request yet makes room. So a flood of silent connections
//!   cannot lock the operator out, and the process never runs out of descriptors.
//! - **Time**: a request's head must arrive within [`Limits::header_timeout`] (which also ends
//!   an idle kept-alive connection), its body may pause at most [`Limits::body_timeout`]
//!   between pieces, and it is answered within [`Limits::request_timeout`] (408).
//! - **Size**: the URI and the head are bounded here ([`MAX_URI`], [`MAX_HEAD`]) so that the
//!   refusal is JSON; hyper's own larger bound catches the rest. Every body is read through
//!   [`crate::read_body`] with its route's limit.
//! - **Rate**: per address and per account, token buckets (`governor`), 429 with `Retry-After`;
//!   signing in has its own, much lower, rate per address (each try costs an Argon2 hash).
//! - **Expensive reads** (reports, the map's columns): at most [`Limits::expensive`] at once,
//!   each waiting at most [`Limits::expensive_wait`] for its turn (503 with `Retry-After`), and
//!   their answers cached by what they were drawn from ([`truceline_service::Service::data_version`]),
//!   with one computation for any number of identical requests at once.
//! - **Pages** (the lists of incidents and observations, their OGC and public forms): each
//!   reads at most [`Limits::page_read`] and at most [`Limits::pages`] are read at once, each
//!   waiting at most [`Limits::expensive_wait`] for its turn (503 with `Retry-After`), so that
//!   many clients asking for pages that read to their budget share a few threads' time, not
//!   every core's, and intake goes on beside them.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, Semaphore};

use crate::{ApiError, AppState, Peer};

/// Longest URI answered, bytes.
pub const MAX_URI: usize = 8 * 1024;
/// Largest request head (start line and headers) answered, bytes.
pub const MAX_HEAD: usize = 32 * 1024;
/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 64;
/// hyper's own bound on a head, above [`MAX_HEAD`]: past it hyper answers 431 itself, without
/// our envelope (and closes the connection).
const HYPER_MAX_BUF: usize = 64 * 1024;
/// The header deadline on a reserved connection.
const RESERVED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// A token bucket: `per_second` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

impl Rate {
    fn quota(self) -> Option<Quota> {
        let per = NonZeroU32::new(self.per_second)?;
        let burst = NonZeroU32::new(self.burst.max(self.per_second))?;
        Some(Quota::per_second(per).allow_burst(burst))
    }
}

/// The limits a server keeps (`serve` flags set them; see `truceline serve --help`).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub reserved_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub request_timeout: Duration,
    /// Requests per address (every route but health); `None`: unlimited.
    pub per_address: Option<Rate>,
    /// Requests per account (signed-in callers); `None`: unlimited.
    pub per_account: Option<Rate>,
    /// Sign-in attempts per address.
    pub sign_in: Option<Rate>,
    /// Expensive reads computed at once, and how long one waits for its turn.
    pub expensive: usize,
    pub expensive_wait: Duration,
    /// Bytes of expensive answers kept.
    pub cache_bytes: u64,
    /// Incidents a page of incidents reads before it stops at the next hour, however few its
    /// filters matched (its cursor then names that hour).
    pub page_read: usize,
    /// Pages read at once.
    pub pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            reserved_connections: 32,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            per_address: Some(Rate {
                per_second: 1000,
                burst: 2000,
            }),
            per_account: Some(Rate {
                per_second: 500,
                burst: 1000,
            }),
            sign_in: Some(Rate {
                per_second: 1,
                burst: 10,
            }),
            expensive: std::thread::available_parallelism().map_or(2, |n| n.get()),
            expensive_wait: Duration::from_secs(15),
            cache_bytes: 128 * 1024 * 1024,
            page_read: 20_000,
            pages: 2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// A cached answer: its bytes, content type, and the data version it was drawn at.
#[derive(Clone)]
pub struct Cached {
    pub bytes: Bytes,
    pub mime: &'static str,
    pub version: (u64, u64),
}

impl Cached {
    fn response(self) -> Response {
        ([(header::CONTENT_TYPE, self.mime)], self.bytes).into_response()
    }
}

/// The state behind the limits.
pub struct Guards {
    pub limits: Limits,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_account: Option<DefaultKeyedRateLimiter<String>>,
    sign_in: Option<DefaultKeyedRateLimiter<IpAddr>>,
    expensive: Semaphore,
    pages: Arc<Semaphore>,
    cache: moka::future::Cache<String, Cached>,
    /// Connections open now, and reserved connections by age.
    open: Arc<AtomicUsize>,
    reserved: Mutex<VecDeque<Arc<Reserved>>>,
    next_id: AtomicU64,
}

/// A reserved connection: whether it has sent a request, and how to end it early.
struct Reserved {
    id: u64,
    asked: AtomicBool,
    end: Notify,
}

/// Which kind of connection a request came on (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Normal,
    /// Health, metrics and the chief only.
    Reserved,
}

impl Guards {
    pub fn new(limits: Limits) -> Guards {
        Guards {
            per_address: keyed(limits.per_address),
            per_account: keyed(limits.per_account),
            sign_in: keyed(limits.sign_in),
            expensive: Semaphore::new(limits.expensive.max(1)),
            pages: Arc::new(Semaphore::new(limits.pages.max(1))),
            cache: moka::future::Cache::builder()
                .max_capacity(limits.cache_bytes)
                .weigher(|k: &String, v: &Cached| {
                    (k.len() + v.bytes.len()).try_into().unwrap_or(u32::MAX)
                })
                .time_to_idle(Duration::from_secs(600))
                .build(),
            open: Default::default(),
            reserved: Default::default(),
            next_id: Default::default(),
            limits,
        }
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Forgets idle rate-limit keys (an address or account not seen for a while holds no
    /// memory); called now and then.
    pub fn tidy(&self) {
        for l in [&self.per_address, &self.sign_in].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_account {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

fn keyed<K: std::hash::Hash + Eq + Clone>(r: Option<Rate>) -> Option<DefaultKeyedRateLimiter<K>> {
    r.and_then(Rate::quota).map(governor::RateLimiter::keyed)
}

fn too_many(why: String, wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{why}; try again in {secs} s"),
    )
    .retry_after(secs)
    .into_response()
}

fn wait_of(n: governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    n.wait_time_from(governor::clock::Clock::now(
        &governor::clock::DefaultClock::default(),
    ))
}

/// The per-address limits, before the caller is known: the refusal, if any.
pub(crate) fn check_address(
    st: &AppState,
    remote: Option<IpAddr>,
    sign_in: bool,
) -> Option<Response> {
    let ip = remote?;
    let g = &st.guards;
    if sign_in
        && let Some(l) = &g.sign_in
        && let Err(n) = l.check_key(&ip)
    {
        st.metrics.limited("sign_in");
        return Some(too_many(
            "too many sign-in attempts from this address".into(),
            wait_of(n),
        ));
    }
    if let Some(l) = &g.per_address
        && let Err(n) = l.check_key(&ip)
    {
        st.metrics.limited("address");
        return Some(too_many(
            "too many requests from this address".into(),
            wait_of(n),
        ));
    }
    None
}

/// The per-account limit, once the caller is known: the refusal, if any.
pub(crate) fn check_account(st: &AppState, account: &str) -> Option<Response> {
    if let Some(l) = &st.guards.per_account
        && let Err(n) = l.check_key(&account.to_string())
    {
        st.metrics.limited("account");
        return Some(too_many(
            format!("too many requests from account {account:?}"),
            wait_of(n),
        ));
    }
    None
}

/// The paths a reserved connection serves to anyone.
pub(crate) fn reserved_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/api/v1/healthz" | "/metrics")
}

/// The answer on a reserved connection to anything else.
pub(crate) fn busy() -> Response {
    let mut r = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the server is at its connection limit; only health, metrics and the chief are served on this connection",
    )
    .retry_after(1)
    .into_response();
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// An expensive read: from the cache when `key` (which must name everything the answer
/// depends on, the caller's view included) was computed at this data version; otherwise
/// computed on a blocking thread once a turn is free, once for all who ask at the same time.
pub(crate) async fn expensive(
    st: &Arc<AppState>,
    drawn_from: DrawnFrom,
    key: String,
    mime: &'static str,
    compute: impl FnOnce(&AppState) -> Result<Bytes, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let (size, generation) = st.service.data_version();
    // One entry a key, holding the version it was drawn at: a new version replaces it rather
    // than filling the cache with the answers of every fusion round.
    let version = match drawn_from {
        DrawnFrom::Incidents => (0, generation),
        DrawnFrom::Everything => (size, generation),
    };
    let g = &st.guards;
    st.metrics.cache("asked");
    if let Some(c) = g.cache.get(&key).await
        && c.version == version
    {
        return Ok(c.response());
    }
    let st2 = st.clone();
    // The entry's own lock makes identical requests at once wait for one computation.
    let got = g
        .cache
        .entry(key)
        .and_try_compute_with(|current| async move {
            if current.is_some_and(|c| c.value().version == version) {
                return Ok(moka::ops::compute::Op::Nop);
            }
            st2.metrics.cache("computed");
            let g = &st2.guards;
            let permit =
                match tokio::time::timeout(g.limits.expensive_wait, g.expensive.acquire()).await {
                    Ok(Ok(p)) => p,
                    _ => {
                        st2.metrics.limited("expensive");
                        return Err(busy_error(
                            format!("{} expensive reads are being computed", g.limits.expensive),
                            g.limits.expensive_wait,
                            5,
                        ));
                    }
                };
            let st3 = st2.clone();
            let r = tokio::task::spawn_blocking(move || compute(&st3))
                .await
                .map_err(|e| {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                })?;
            drop(permit);
            r.map(|bytes| {
                moka::ops::compute::Op::Put(Cached {
                    bytes,
                    mime,
                    version,
                })
            })
        })
        .await?;
    use moka::ops::compute::CompResult;
    match got {
        CompResult::Inserted(e) | CompResult::ReplacedWith(e) | CompResult::Unchanged(e) => {
            Ok(e.into_value().response())
        }
        CompResult::StillNone(_) | CompResult::Removed(_) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an expensive read left nothing in its cache entry",
        )),
    }
}

/// A page of a list, read on a blocking thread once one of [`Limits::pages`] turns is free.
pub(crate) async fn page<T: Send + 'static>(
    st: Arc<AppState>,
    read: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let turn = st
        .guards
        .page_turn()
        .await
        .inspect_err(|_| st.metrics.limited("pages"))?;
    // Held by the read itself: a request given up on (its client gone, its time over) keeps
    // its turn until the read it started ends.
    crate::in_blocking(move || {
        let _turn = turn;
        read(&st)
    })
    .await
}

impl Guards {
    /// A turn to read a page, waited for at most [`Limits::expensive_wait`] (503 then).
    async fn page_turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let turn = self.pages.clone().acquire_owned();
        match tokio::time::timeout(self.limits.expensive_wait, turn).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => Err(busy_error(
                format!("{} pages are being read", self.limits.pages),
                self.limits.expensive_wait,
                2,
            )),
        }
    }
}

/// 503 `busy`: `what` holds every turn and this request waited `wait` for one.
fn busy_error(what: String, wait: Duration, retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        format!(
            "{what} and this one waited {} s for its turn; try again",
            wait.as_secs_f64()
        ),
    )
    .retry_after(retry_after)
}

/// What an expensive answer is drawn from, so that it is computed again only when that changed.
pub(crate) enum DrawnFrom {
    /// Fusion's incidents alone (the map): new observations change nothing until fused.
    Incidents,
    /// The incidents and the log's records (a report: decisions, replies, publications).
    Everything,
}

/// Outermost: the head's size (JSON 414 and 431 rather than hyper's bare ones), reserved
/// connections, and every error answer in the JSON envelope, whoever made it (axum's 405, a
/// timeout's 408, an extractor's 400).
pub(crate) async fn shape(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI {
        st.metrics.refuse_request("uri_too_long");
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the URI is {uri_len} bytes; at most {MAX_URI} are read"),
        )
        .into_response();
    }
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + uri_len;
    if head > MAX_HEAD || req.headers().len() > MAX_HEADERS {
        st.metrics.refuse_request("head_too_large");
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request head is {head} bytes in {} headers; at most {MAX_HEAD} bytes and {MAX_HEADERS} headers are read",
                req.headers().len()
            ),
        )
        .into_response();
    }
    let reserved = req.extensions().get::<Admission>() == Some(&Admission::Reserved);
    // API routes decide with the caller known (the chief is served); the pages' files are not
    // for a reserved connection.
    if reserved && !reserved_path(req.uri().path()) && !req.uri().path().starts_with("/api/") {
        return busy();
    }
    let r = next.run(req).await;
    if r.status().as_u16() < 400 || is_json(&r) {
        return r;
    }
    envelope(r).await
}

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// An error answer made outside our handlers, put in the envelope with its words kept.
async fn envelope(r: Response) -> Response {
    let (parts, body) = r.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let said = String::from_utf8_lossy(&text).trim().to_string();
    let status = parts.status;
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "refused",
    };
    let message = match (status, said.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            let allow = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            format!("this endpoint does not take this method; it takes: {allow}")
        }
        (StatusCode::REQUEST_TIMEOUT, _) => {
            "the request was not read and answered in time; send it again".to_string()
        }
        (_, false) => said,
        (s, true) => s.canonical_reason().unwrap_or("refused").to_string(),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// Serves `listener` with `app` until `shutdown` resolves, under the connection limits; then
/// lets every request in flight finish (at most `drain`) before returning.
pub(crate) async fn serve_connections<L>(
    mut listener: L,
    st: Arc<AppState>,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let tidy = st.clone();
    let tidier = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            tidy.guards.tidy();
        }
    });
    loop {
        let (io, addr) = tokio::select! {
            c = listener.accept() => c,
            _ = &mut shutdown => break,
        };
        let g = &st.guards;
        let n = g.open.fetch_add(1, Ordering::AcqRel) + 1;
        let count = Open(g.open.clone());
        let (admission, reserved) = if n <= g.limits.max_connections {
            (Admission::Normal, None)
        } else {
            match reserve(g) {
                Some(r) => (Admission::Reserved, Some(r)),
                None => {
                    st.metrics.connection_refused();
                    drop((io, count));
                    continue;
                }
            }
        };
        let asked = reserved.clone();
        let svc = tower::ServiceExt::map_request(app.clone(), move |mut req: Request| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(Peer(addr)));
            req.extensions_mut().insert(admission);
            if let Some(r) = &asked {
                r.asked.store(true, Ordering::Relaxed);
            }
            req
        });
        let svc = hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
            svc,
            |req: hyper::Request<hyper::body::Incoming>| req.map(Body::new),
        ));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(match admission {
                Admission::Normal => g.limits.header_timeout,
                Admission::Reserved => RESERVED_HEADER_TIMEOUT.min(g.limits.header_timeout),
            })
            .max_buf_size(HYPER_MAX_BUF)
            .max_headers(MAX_HEADERS * 2);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(io), svc));
        let st2 = st.clone();
        tokio::spawn(async move {
            let _count = count;
            match &reserved {
                Some(r) => {
                    tokio::select! {
                        _ = conn => {}
                        _ = r.end.notified() => {}
                    }
                    st2.guards.reserved.lock().unwrap().retain(|x| x.id != r.id);
                }
                None => {
                    let _ = conn.await;
                }
            }
        });
    }
    tidier.abort();
    drop(listener);
    // Event streams never end on their own; closing them lets the shutdown finish.
    let _ = st.closing.send(true);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after {} s of shutdown",
            drain.as_secs()
        );
    }
    Ok(())
}

/// A place among the reserved connections: a free one, or the oldest that has not asked
/// anything yet, which is ended to make room.
fn reserve(g: &Guards) -> Option<Arc<Reserved>> {
    let mut list = g.reserved.lock().unwrap();
    if list.len() >= g.limits.reserved_connections {
        let idle = list.iter().position(|r| !r.asked.load(Ordering::Relaxed))?;
        let old = list.remove(idle).expect("found");
        old.end.notify_one();
    }
    let r = Arc::new(Reserved {
        id: g.next_id.fetch_add(1, Ordering::Relaxed),
        asked: AtomicBool::new(false),
        end: Notify::new(),
    });
    list.push_back(r.clone());
    Some(r)
}

/// Counts a connection until dropped.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past `pages` reads at once, a page waits for a turn and, none coming, is refused with
    /// 503 and `Retry-After`; a turn given back lets the next in.
    #[tokio::test]
    async fn pages_past_the_limit_wait_then_are_refused() {
        let g = Guards::new(Limits {
            pages: 2,
            expensive_wait: Duration::from_millis(100),
            ..Limits::default()
        });
        let first = g.page_turn().await.unwrap();
        let _second = g.page_turn().await.unwrap();
        let refused = g.page_turn().await.unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "2");
        // A turn given back while one waits goes to it.
        let waiting = tokio::spawn(async move {
            let t = g.page_turn().await.map(drop);
            (g, t)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(first);
        let (_, got) = waiting.await.unwrap();
        assert!(got.is_ok());
    }
}
