//! A thread that does one thing every so often and once more when the service stops (the
//! audit's batches, the AIS tracks kept).

use std::future::Future;
use std::time::Duration;

/// Runs `tick` on a thread named `name` every `period`, or sooner when `wake` resolves, and a
/// last time once `stop` turns true. `tick` runs on the thread itself, outside the timer's
/// runtime, so it may wait on the store.
pub(crate) fn spawn<W, F>(
    name: &str,
    period: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    wake: W,
    mut tick: impl FnMut() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    W: Fn() -> F + Send + 'static,
    F: Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a timer runtime");
            loop {
                let stopping = rt.block_on(async {
                    tokio::select! {
                        _ = tokio::time::sleep(period) => false,
                        _ = wake() => false,
                        _ = stop.changed() => true,
                    }
                });
                tick();
                if stopping || *stop.borrow() {
                    break;
                }
            }
        })
}
