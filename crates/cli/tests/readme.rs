//! The README's tour shows what the binary prints: a day simulated with seed 1 and fused, and the
//! figures that follow from it (what an import accepts, the log index the next observation
//! gets). When the simulator or fusion changes, this fails until the README says the new figures.

use assert_cmd::Command;

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the command printed on standard error, as one string.
fn stderr_of(args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::cargo_bin("truceline")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn the_tour_shows_what_seed_1_gives() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let agreement = repo().join("examples/donbas/agreement.toml");
    let agreement = agreement.to_str().unwrap();
    let simulated = stderr_of(
        &[
            "simulate",
            "--agreement",
            agreement,
            "--seed",
            "1",
            "--hours",
            "24",
            "--observations",
            "obs.ndjson",
            "--truth",
            "truth.ndjson",
        ],
        dir.path(),
    );
    let simulated = simulated.trim();
    assert!(
        readme.contains(&format!("#   {simulated}\n")),
        "the README should quote `simulate` as it prints: {simulated}"
    );
    let observations: u64 = simulated
        .rsplit(", ")
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("simulate names its observation count last");
    let fused = stderr_of(
        &[
            "fuse",
            "--agreement",
            agreement,
            "--in",
            "obs.ndjson",
            "--out",
            "incidents.ndjson",
        ],
        dir.path(),
    );
    // The timing after "incidents" differs from run to run.
    let fused = &fused[..fused
        .find(" incidents")
        .expect("fuse says how many incidents")];
    assert!(
        readme.contains(&format!("#   {fused} incidents …")),
        "the README should quote `fuse` as it prints: {fused} incidents"
    );
    // Served after the agreement (leaf 0), the imported day is leaves 1 to N, the next N + 1.
    assert!(readme.contains(&format!(
        "#   accepted {observations} new, 0 already stored, refused 0"
    )));
    assert!(readme.contains(&format!(
        r#""log_index":{},"status":"accepted""#,
        observations + 1
    )));
}
