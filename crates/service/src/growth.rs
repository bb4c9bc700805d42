//! Work that follows the store's growth: a thread that sleeps until the store announces that the
//! log grew, does its work, rests, and waits again, until told to stop.

use std::time::{Duration, Instant};

/// Runs `work` on a thread named `name` each time `grown` changes (and once at the start), with
/// at least `rest(time the work took)` between two runs, until `stop` turns true or either
/// sender is gone. When `work` fails it runs again after the rest, growth or not.
pub(crate) fn spawn_on_growth<E: std::fmt::Display>(
    name: &str,
    mut grown: tokio::sync::watch::Receiver<u64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    rest: impl Fn(Duration) -> Duration + Send + 'static,
    mut work: impl FnMut() -> Result<(), E> + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // Waiting on the announcements needs a runtime; a small one of the thread's own keeps the
    // work off the server's workers. The work itself runs outside it, free to block.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let what = name.to_string();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            grown.mark_changed();
            loop {
                let go = rt.block_on(async {
                    tokio::select! {
                        r = grown.changed() => r.is_ok() && !*stop.borrow(),
                        _ = stop.changed() => false,
                    }
                });
                if !go {
                    break;
                }
                let started = Instant::now();
                if let Err(e) = work() {
                    tracing::warn!(error = %e, task = %what, "failed; retrying");
                    grown.mark_changed();
                }
                let pause = rest(started.elapsed());
                let stopped = rt.block_on(async {
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => false,
                        _ = stop.changed() => true,
                    }
                });
                if stopped || *stop.borrow() {
                    break;
                }
            }
        })
}
