//! Work that follows the store's growth: a thread that sleeps until the store announces that the
//! log grew, does its work, rests, and waits again, until told to stop.

use std::time::{Duration, Instant};

/// Runs `work` on a thread named `name` each time `grown` changes (and once at the start), with
/// at least `rest(time the work took)` after a run that did something (`work` returns true),
/// until `stop` turns true or either sender is gone. A run that found nothing to do does not
/// rest: the log grows by records other than what the work reads (audit batches, decisions), and
/// resting after those would delay the next that matters. When `work` fails it runs again after
/// the rest, growth or not.
pub(crate) fn spawn_on_growth<E: std::fmt::Display>(
    name: &str,
    mut grown: tokio::sync::watch::Receiver<u64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    rest: impl Fn(Duration) -> Duration + Send + 'static,
    mut work: impl FnMut() -> Result<bool, E> + Send + 'static,
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
                let pause = match work() {
                    Ok(true) => rest(started.elapsed()),
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, task = %what, "failed; retrying");
                        grown.mark_changed();
                        rest(started.elapsed())
                    }
                };
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
