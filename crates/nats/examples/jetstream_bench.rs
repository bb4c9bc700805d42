//! JetStream's own publish rate, the transport's peer for forwarding: `N` observations of the
//! forwarder's size published with their ids as `Nats-Msg-Id`, `IN_FLIGHT` awaiting their
//! acknowledgements at a time (as the forwarder does), into a fresh file-backed stream.
//! Prints one JSON object.
//!
//! ```text
//! jetstream_bench URL N
//! ```

use std::time::Instant;

use async_nats::jetstream::{self, message::PublishMessage, stream};

const IN_FLIGHT: usize = 1_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, n): (&str, usize) = (&args[1], args[2].parse()?);
    let js = jetstream::new(async_nats::connect(url).await?);
    let _ = js.delete_stream("TRUCELINE_BENCH").await;
    js.create_stream(stream::Config {
        name: "TRUCELINE_BENCH".into(),
        subjects: vec!["bench.obs".into()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await?;
    let body = |i: usize| {
        format!(
            r#"{{"bearing_deg":{}.5,"bearing_sigma_deg":5,"id":"b-{i}","kind":"explosion","observer":"op{:02}","observer_position":{{"lat":48.05,"lon":37.75}},"source":"post","subtype":"impact","time":"2026-11-24T10:00:00Z"}}"#,
            i % 360,
            i % 60
        )
    };
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let mut acks = Vec::with_capacity(IN_FLIGHT);
        for k in i..(i + IN_FLIGHT).min(n) {
            acks.push(
                js.send_publish(
                    "bench.obs",
                    PublishMessage::build()
                        .payload(body(k).into())
                        .message_id(format!("b-{k}")),
                )
                .await?,
            );
        }
        i += acks.len();
        for a in acks {
            a.await?;
        }
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    js.delete_stream("TRUCELINE_BENCH").await?;
    println!(
        "{}",
        serde_json::json!({"messages": n, "in_flight": IN_FLIGHT, "publish_per_s": rate.round()})
    );
    Ok(())
}
