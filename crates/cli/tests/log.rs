//! The evidence log end to end, against the real binary: an independent verifier (Python, from
//! the RFC text) checks what the server serves; a witness cosigns a growing log and refuses a
//! forked one; signed observations are checked; `log verify` names tampering.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use serde_json::{Value, json};

fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

/// The command, acting with `token` (as `TRUCELINE_TOKEN`).
fn run_as(token: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .env("TRUCELINE_TOKEN", token)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn obs(id: &str, observer: &str, bearing: f64) -> Value {
    json!({"id": id, "observer": observer, "source": "post", "time": "2026-11-24T10:00:00Z",
           "kind": "explosion", "subtype": "impact", "observer_position": {"lon": 37.75, "lat": 48.05},
           "bearing_deg": bearing, "bearing_sigma_deg": 5, "distance_m": {"min": 2000, "max": 5000}})
}

/// Signs an observation as a device would: Ed25519 over the canonical form of the other fields.
fn sign(mut o: Value, key_file: &Path, key_id: &str) -> Value {
    let signer =
        truceline_log::note::Signer::parse(&std::fs::read_to_string(key_file).unwrap()).unwrap();
    let payload = truceline_observation::canonical::to_vec(&o).unwrap();
    o["key_id"] = json!(key_id);
    o["signature"] = json!(B64.encode(signer.sign_bytes(&payload)));
    o
}

/// Waits until the served checkpoint covers the whole log; returns its size.
fn settled_checkpoint(base: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, entries) = get(base, "/api/v1/log/entries?start=0&end=0");
        let mut r = agent()
            .get(format!("{base}/api/v1/log/checkpoint"))
            .call()
            .unwrap();
        let note = r.body_mut().read_to_string().unwrap();
        let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        let (_, head) = get(base, &format!("/api/v1/log/entries?start={size}"));
        if head["entries"].as_array().is_some_and(|e| e.is_empty()) && entries.is_object() {
            return size;
        }
        assert!(Instant::now() < deadline, "no checkpoint covering the log");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn python_verify(base: &str, extra: &[&str]) -> Value {
    // The leaves are restricted: the verifier reads them as a chief.
    let args: Vec<&str> = std::iter::once(base).chain(extra.iter().copied()).collect();
    let out = python_verifier(&args, Some(&tokens(base).unwrap().chief));
    serde_json::from_str(&ok(out)).unwrap()
}

fn witness(base: &str, key: &Path, state: &Path) -> Output {
    run_as(
        &tokens(base).unwrap().witness,
        &[
            "witness",
            "--log",
            base,
            "--key",
            s(key),
            "--state",
            s(state),
        ],
    )
}

#[test]
fn verifier_witness_and_signatures_against_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");
    ok(run(&[
        "keys",
        "generate",
        "--name",
        "op7-tablet",
        "--out",
        s(&keys),
    ]));
    ok(run(&[
        "keys",
        "generate",
        "--name",
        "witness.party-a/1",
        "--witness",
        "--out",
        s(&keys),
    ]));
    ok(run(&[
        "keys",
        "add",
        "--data",
        s(&data),
        s(&keys.join("op7-tablet.pub")),
        s(&keys.join("witness.party-a_1.pub")),
    ]));
    let server = serve(&data, &[]);
    let base = server.base.clone();

    // Unsigned: accepted and marked so. Signed with a registered key: accepted and marked.
    let (st, _) = post(
        &base,
        &obs("u1", "op7", 10.0).to_string(),
        "application/json",
    );
    assert_eq!(st, 200);
    let signed = sign(
        obs("s1", "op7", 20.0),
        &keys.join("op7-tablet.key"),
        "op7-tablet",
    );
    let (st, v) = post(&base, &signed.to_string(), "application/json");
    assert_eq!(st, 200, "{v}");
    assert_eq!(get(&base, "/api/v1/observations/u1").1["signed"], false);
    let (_, s1) = get(&base, "/api/v1/observations/s1");
    assert_eq!(s1["signed"], true);
    assert!(s1["log_index"].as_u64().is_some());
    // A signature over other content, and an unknown key, are refused naming the field.
    let mut forged = signed.clone();
    forged["id"] = json!("s2");
    let (st, v) = post(&base, &forged.to_string(), "application/json");
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (400, Some("signature")),
        "{v}"
    );
    let mut unknown = sign(
        obs("s3", "op7", 30.0),
        &keys.join("op7-tablet.key"),
        "op7-tablet",
    );
    unknown["key_id"] = json!("nobody");
    let (st, v) = post(&base, &unknown.to_string(), "application/json");
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (400, Some("key_id")),
        "{v}"
    );
    assert_eq!(get(&base, "/api/v1/observations/s2").0, 404);

    // A simulated hour through the API.
    let sim = dir.path().join("obs.ndjson");
    ok(run(&[
        "simulate",
        "--agreement",
        s(&agreement()),
        "--seed",
        "5",
        "--hours",
        "1",
        "--observations",
        s(&sim),
        "--truth",
        s(&dir.path().join("truth.ndjson")),
    ]));
    ok(run_as(
        &tokens(&base).unwrap().monitor,
        &["import", s(&sim), "--server", &base],
    ));
    let size = settled_checkpoint(&base);
    assert!(size > 500, "{size}");

    // A witness cosigns; the independent verifier checks everything and the cosignature.
    let wkey = keys.join("witness.party-a_1.key");
    let wpub = std::fs::read_to_string(keys.join("witness.party-a_1.pub")).unwrap();
    let state = dir.path().join("witness-state.json");
    let out = ok(witness(&base, &wkey, &state));
    assert!(out.contains(&format!("at size {size}")), "{out}");
    let report = python_verify(&base, &["--witness", wpub.trim()]);
    assert_eq!(report["size"], size);
    assert!(report["cosigned_by"]["witness.party-a/1"].as_u64().unwrap() > 1_700_000_000);
    assert!(report["inclusion_proofs"].as_u64().unwrap() >= 10);

    // `log prove` checks a record and the log's growth against the signed checkpoint.
    let proved: Value = serde_json::from_str(&ok(run_as(
        &tokens(&base).unwrap().chief,
        &["log", "prove", "--server", &base, "--id", "s1"],
    )))
    .unwrap();
    assert_eq!(proved["verified"], true);
    assert!(
        proved["leaf"]
            .as_str()
            .unwrap()
            .starts_with(r#"{"commitment":"truceline-sd/1","fields":{"#),
        "an observation's leaf is its committed form"
    );

    // An incident carries its observations' inclusion proofs in the signed checkpoint.
    let deadline = Instant::now() + Duration::from_secs(60);
    let id = loop {
        let (_, page) = get(&base, "/api/v1/incidents?limit=1");
        if let Some(id) = page["incidents"][0]["id"].as_str() {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "no incident published");
        std::thread::sleep(Duration::from_millis(300));
    };
    let (_, inc) = get(&base, &format!("/api/v1/incidents/{id}"));
    let proof = &inc["proof"];
    let key = truceline_log::note::Verifier::parse(proof["log_key"].as_str().unwrap()).unwrap();
    let cp = truceline_log::checkpoint::open(proof["checkpoint"].as_str().unwrap(), &key).unwrap();
    let leaves = proof["leaves"].as_array().unwrap();
    assert_eq!(leaves.len(), inc["observations"].as_array().unwrap().len());
    for l in leaves {
        let leaf = B64.decode(l["leaf"].as_str().unwrap()).unwrap();
        let hashes: Vec<truceline_log::Hash> = l["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
            .collect();
        truceline_log::verify_inclusion(
            l["index"].as_u64().unwrap(),
            cp.checkpoint.size,
            &truceline_log::leaf_hash(&leaf),
            &hashes,
            &cp.checkpoint.root,
        )
        .unwrap();
    }

    // The log grows; the witness checks consistency and cosigns again.
    for i in 0..5 {
        post(
            &base,
            &obs(&format!("late{i}"), "op8", 40.0).to_string(),
            "application/json",
        );
    }
    let grown = settled_checkpoint(&base);
    // The five observations, and perhaps an audit batch of the requests that posted them.
    assert!(grown >= size + 5 && grown <= size + 7, "{size} → {grown}");
    let (_, added) = get(
        &base,
        &format!("/api/v1/log/entries?start={size}&end={grown}"),
    );
    let late = added["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| B64.decode(e.as_str().unwrap()).unwrap())
        .filter(|leaf| leaf.starts_with(br#"{"commitment":"truceline-sd/1","fields":{"#))
        .count();
    assert_eq!(
        late, 5,
        "the five new observations are leaves, in the committed form"
    );
    let out = ok(witness(&base, &wkey, &state));
    assert!(
        out.contains(&format!("consistent with size {size}")),
        "{out}"
    );
    ok(run(&[
        "log",
        "prove",
        "--server",
        &base,
        "--from",
        &size.to_string(),
    ]));
    drop(server);

    // The same key over another history: a fork. The witness refuses it.
    let fork = dir.path().join("fork");
    let server = serve(&fork, &["--log-key", s(&data.join("log.key"))]);
    for i in 0..(grown + 10) {
        post(
            &server.base,
            &obs(&format!("other{i}"), "op9", 50.0).to_string(),
            "application/json",
        );
    }
    let forked = settled_checkpoint(&server.base);
    assert!(forked > grown);
    let out = witness(&server.base, &wkey, &state);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rewrote its history") && err.contains("not cosigning"),
        "{err}"
    );
    // And the fork's checkpoint carries no cosignature from it.
    let mut r = agent()
        .get(format!("{}/api/v1/log/checkpoint", server.base))
        .call()
        .unwrap();
    assert!(
        !r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("witness.party-a/1")
    );
}

/// A data directory of a simulated hour with a checkpoint, and `tamper` applied to a copy.
fn tampered(tamper: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sim = dir.path().join("obs.ndjson");
    ok(run(&[
        "simulate",
        "--agreement",
        s(&agreement()),
        "--seed",
        "6",
        "--hours",
        "1",
        "--observations",
        s(&sim),
        "--truth",
        s(&dir.path().join("truth.ndjson")),
    ]));
    ok(run(&[
        "import",
        s(&sim),
        "--data",
        s(&data),
        "--agreement",
        s(&agreement()),
    ]));
    let clean = ok(run(&["log", "verify", "--data", s(&data)]));
    assert!(
        clean.contains(", 1 signed checkpoint(s) matched"),
        "{clean}"
    );
    let c = rusqlite::Connection::open(data.join("truceline.db")).unwrap();
    c.execute_batch(tamper).unwrap();
    drop(c);
    let out = run(&["log", "verify", "--data", s(&data)]);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn log_verify_names_a_changed_deleted_or_swapped_record() {
    let (code, err) = tampered(
        "UPDATE observations SET body = CAST(replace(CAST(body AS TEXT), '\"observer\":\"', '\"observer\":\"x') AS BLOB)
         WHERE seq = 41",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("leaf 40:") && err.contains("differs from what was logged"),
        "{err}"
    );

    let (code, err) = tampered("DELETE FROM observations WHERE seq = 100");
    assert_eq!(code, 1);
    assert!(err.contains("leaf 99 is missing"), "{err}");

    let (code, err) = tampered(
        // Moved whole: the bodies and the salts that commit them.
        "UPDATE observations SET
             body = CASE seq WHEN 10 THEN (SELECT body FROM observations WHERE seq = 20)
                             ELSE (SELECT body FROM observations WHERE seq = 10) END,
             salts = CASE seq WHEN 10 THEN (SELECT salts FROM observations WHERE seq = 20)
                              ELSE (SELECT salts FROM observations WHERE seq = 10) END
         WHERE seq IN (10, 20)",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("leaf 9:") && err.contains("leaf 19") && err.contains("reordered"),
        "{err}"
    );
}

/// `import --data` is a door like the server: a forged or unknown signature is set aside naming
/// its field, a good one goes in, and the rest of the file is not held back.
#[test]
fn an_offline_import_checks_signatures_as_the_server_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");
    ok(run(&[
        "keys",
        "generate",
        "--name",
        "op7-tablet",
        "--out",
        s(&keys),
    ]));
    ok(run(&[
        "keys",
        "add",
        "--data",
        s(&data),
        s(&keys.join("op7-tablet.pub")),
    ]));
    let key = keys.join("op7-tablet.key");
    let good = sign(obs("g1", "op7", 20.0), &key, "op7-tablet");
    let mut forged = good.clone();
    forged["id"] = json!("f1");
    let mut unknown = sign(obs("k1", "op7", 30.0), &key, "op7-tablet");
    unknown["key_id"] = json!("nobody");
    let file = dir.path().join("signed.ndjson");
    std::fs::write(
        &file,
        [good, forged, unknown, obs("u1", "op7", 40.0)]
            .iter()
            .map(|v| format!("{v}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let agreement =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/donbas/agreement.toml");
    let out = run(&[
        "import",
        "--agreement",
        s(&agreement),
        s(&file),
        "--data",
        s(&data),
    ]);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "refused lines make the import fail: {said}"
    );
    assert!(
        said.contains("accepted 2 new, 0 already stored, refused 2"),
        "{said}"
    );
    assert!(
        said.contains("signature") && said.contains("key_id"),
        "{said}"
    );
    let store = truceline_store::SqliteStore::open_read_only(&data).unwrap();
    use truceline_store::ObservationStore;
    assert!(store.get("g1").unwrap().is_some() && store.get("u1").unwrap().is_some());
    assert!(store.get("f1").unwrap().is_none() && store.get("k1").unwrap().is_none());
}

/// `users` and `tokens` on a data directory: a token is printed alone on standard output, once;
/// the list shows ids, never secrets; a revoked token is marked.
#[test]
fn users_and_tokens_on_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    with_agreement(&data);
    ok(run(&[
        "users",
        "add",
        "lia",
        "--role",
        "liaison",
        "--party",
        "ua",
        "--data",
        s(&data),
    ]));
    let refused = run(&[
        "users",
        "add",
        "x",
        "--role",
        "liaison",
        "--party",
        "rus",
        "--data",
        s(&data),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("party"));
    let token = ok(run(&[
        "tokens",
        "issue",
        "lia",
        "--expires",
        "30d",
        "--data",
        s(&data),
    ]));
    let token = token.trim();
    assert!(
        token.starts_with("tl_") && !token.contains(char::is_whitespace),
        "{token}"
    );
    let users = ok(run(&["users", "list", "--data", s(&data)]));
    assert_eq!(users, "lia\tliaison\tparty ua\tactive\n");
    let list = ok(run(&["tokens", "list", "--data", s(&data)]));
    assert!(!list.contains(&token[3..]), "no secret in the list: {list}");
    let id = list.split('\t').next().unwrap().to_string();
    assert!(
        id.starts_with("tok_") && list.contains("revoked -"),
        "{list}"
    );
    ok(run(&["tokens", "revoke", &id, "--data", s(&data)]));
    let list = ok(run(&["tokens", "list", "--data", s(&data)]));
    assert!(!list.contains("revoked -"), "{list}");
    ok(run(&["users", "disable", "lia", "--data", s(&data)]));
    assert!(ok(run(&["users", "list", "--data", s(&data)])).ends_with("disabled\n"));
}

/// A GET of `path` with `token` (none: anonymous); status, headers we check, body bytes.
fn fetch_bytes(base: &str, path: &str, token: Option<&str>) -> (u16, Option<String>, Vec<u8>) {
    let mut r = with_token(agent().get(format!("{base}{path}")), token)
        .call()
        .unwrap();
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    let status = r.status().as_u16();
    (
        status,
        cache,
        r.body_mut()
            .with_config()
            .limit(1 << 24)
            .read_to_vec()
            .unwrap(),
    )
}

/// C2SP tlog-tiles (SPEC 4.1): anyone reads the hash tiles, cached forever, and computes from
/// them the root the checkpoint signs and the roots the consistency proofs start from; the
/// entry bundles are a reader's, their entries hash to the leaf tiles; nothing beyond the log
/// is served; the independent verifier checks the log from the tiles alone.
#[test]
fn tiles_give_a_monitor_without_an_account_the_signed_log() {
    use truceline_log::tiles::{Tile, root_from_tiles};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    with_agreement(&data);
    let server = serve(&data, &[]);
    let base = server.base.clone();
    for batch in 0..6 {
        let body: Vec<String> = (0..100)
            .map(|i| {
                obs(
                    &format!("t{batch}-{i}"),
                    "op7",
                    (batch * 100 + i) as f64 % 360.0,
                )
                .to_string()
            })
            .collect();
        let (st, v) = post(&base, &body.join("\n"), "application/x-ndjson");
        assert_eq!(st, 200, "{v}");
    }
    let size = settled_checkpoint(&base);
    assert!(size > 600, "{size}");
    let t = tokens(&base).unwrap();
    let fetch_tile = |tile: Tile| -> Result<Vec<truceline_log::Hash>, String> {
        let (status, cache, body) =
            fetch_bytes(&base, &format!("/api/v1/log/{}", tile.path()), None);
        if status != 200 {
            return Err(format!("{} answered {status}", tile.path()));
        }
        assert_eq!(
            cache.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        Ok(body.chunks(32).map(|c| c.try_into().unwrap()).collect())
    };
    let mut r = agent()
        .get(format!("{base}/api/v1/log/checkpoint?size={size}"))
        .call()
        .unwrap();
    let note = r.body_mut().read_to_string().unwrap();
    let signed_root = B64.decode(note.lines().nth(2).unwrap()).unwrap();
    assert_eq!(
        root_from_tiles(size, fetch_tile).unwrap().to_vec(),
        signed_root
    );
    for from in (1..size).step_by(53) {
        let root = root_from_tiles(from, fetch_tile).unwrap();
        let (st, p) = get(
            &base,
            &format!("/api/v1/log/proof/consistency?from={from}&to={size}"),
        );
        assert_eq!(st, 200, "{p}");
        let proof: Vec<truceline_log::Hash> = p["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
            .collect();
        truceline_log::verify_consistency(
            from,
            size,
            &root,
            &signed_root.clone().try_into().unwrap(),
            &proof,
        )
        .unwrap_or_else(|e| panic!("from {from}: {e:?}"));
    }
    // Entry bundles: a reader's; each entry hashes to its leaf tile's hash.
    let (st, _, _) = fetch_bytes(&base, "/api/v1/log/tile/entries/001", None);
    assert_eq!(st, 401);
    let (st, _, _) = fetch_bytes(&base, "/api/v1/log/tile/entries/001", Some(&t.liaison));
    assert_eq!(st, 403);
    let (st, cache, bundle) = fetch_bytes(&base, "/api/v1/log/tile/entries/001", Some(&t.analyst));
    assert_eq!(st, 200);
    assert_eq!(
        cache.as_deref(),
        Some("private, max-age=31536000, immutable")
    );
    let entries = truceline_log::tiles::read_entry_bundle(&bundle).unwrap();
    let hashes = fetch_tile(Tile::parse("0/001").unwrap()).unwrap();
    assert_eq!(entries.len(), 256);
    for (e, h) in entries.iter().zip(&hashes) {
        assert_eq!(truceline_log::leaf_hash(e), *h);
    }
    // Beyond the log, not yet; a malformed path named.
    let beyond = format!("/api/v1/log/tile/0/{:03}.p/{}", size / 256, size % 256 + 1);
    assert_eq!(fetch_bytes(&base, &beyond, None).0, 404);
    assert_eq!(fetch_bytes(&base, "/api/v1/log/tile/1/001", None).0, 404);
    let (st, _, body) = fetch_bytes(&base, "/api/v1/log/tile/0/1", None);
    assert_eq!(st, 400);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["field"], "path", "{v}");

    // The independent verifier: from the public tiles alone, then with the bundles as a chief.
    let out = python_verifier(&[&base, "--tiles"], None);
    let v: Value = serde_json::from_str(&ok(out)).unwrap();
    assert!(v["size"].as_u64().unwrap() >= size, "{v}");
    assert!(v["tiles_read"].as_u64().unwrap() >= 4, "{v}");
    let v = python_verify(&base, &["--tiles"]);
    assert!(v["tiles_read"].as_u64().unwrap() >= 4, "{v}");
}

/// A C2SP witness process (`truceline witness --listen`) on a free port, killed when dropped.
struct WitnessProcess {
    child: std::process::Child,
    url: String,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn witness_server(key: &Path, state: &Path, log_key: &Path) -> WitnessProcess {
    let port = free_port();
    let child = Command::new(bin())
        .args(["witness", "--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--key",
            s(key),
            "--state",
            s(state),
            "--log-key",
            s(log_key),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the witness did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    WitnessProcess {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// The served checkpoint once it carries a cosignature by `name` at the log's size (None if
/// none comes within `wait`).
fn cosigned_checkpoint(base: &str, name: &str, wait: Duration) -> Option<String> {
    let deadline = Instant::now() + wait;
    loop {
        let size = settled_checkpoint(base);
        let mut r = agent()
            .get(format!("{base}/api/v1/log/checkpoint"))
            .call()
            .unwrap();
        let note = r.body_mut().read_to_string().unwrap();
        let at_size = note.lines().nth(1) == Some(&size.to_string());
        if at_size && note.lines().any(|l| l.starts_with(&format!("— {name} "))) {
            return Some(note);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// C2SP tlog-witness both ways: the log pushes each checkpoint to `truceline witness
/// --listen` with its consistency proof and serves the cosignature it gets back (checked by
/// the independent verifier); after the log restarts it learns where the witness is (409) and
/// goes on; a second history under the same key is refused, and the witness stays where it was.
#[test]
fn the_log_pushes_checkpoints_to_a_c2sp_witness_which_refuses_a_second_history() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");
    ok(run(&[
        "keys",
        "generate",
        "--name",
        "witness.example/w1",
        "--witness",
        "--out",
        s(&keys),
    ]));
    let vkey = std::fs::read_to_string(keys.join("witness.example_w1.pub")).unwrap();
    let vkey = vkey.trim();
    // The first start makes the log's key; the witness is configured with it.
    drop(serve(&data, &[]));
    let state = dir.path().join("witness.json");
    let w = witness_server(
        &keys.join("witness.example_w1.key"),
        &state,
        &data.join("log.pub"),
    );
    let target = format!("{}={vkey}", w.url);
    let post_some = |base: &str, prefix: &str, n: usize| {
        let body: Vec<String> = (0..n)
            .map(|i| obs(&format!("{prefix}-{i}"), "op7", i as f64).to_string())
            .collect();
        let (st, v) = post(base, &body.join("\n"), "application/x-ndjson");
        assert_eq!(st, 200, "{v}");
    };
    let server = serve(&data, &["--witness", &target]);
    post_some(&server.base, "a", 30);
    let note = cosigned_checkpoint(&server.base, "witness.example/w1", Duration::from_secs(20))
        .expect("the checkpoint was cosigned");
    let v = python_verify(&server.base, &["--witness", vkey]);
    // The independent verifier checks the cosignature and gives its time.
    assert!(
        v["cosigned_by"]["witness.example/w1"].as_u64().unwrap() > 1_700_000_000,
        "{v}"
    );
    post_some(&server.base, "b", 30);
    let grown = cosigned_checkpoint(&server.base, "witness.example/w1", Duration::from_secs(20))
        .expect("the grown checkpoint was cosigned: consistent with the first");
    assert_ne!(note, grown);
    // The daily report names the witnesses of the checkpoint it cites.
    let t = tokens(&server.base).unwrap();
    let mut r = with_token(
        agent().get(format!(
            "{}/api/v1/reports/daily/2026-11-24?format=html&audience=restricted",
            server.base
        )),
        Some(&t.analyst),
    )
    .call()
    .unwrap();
    let html = r.body_mut().read_to_string().unwrap();
    let named = html
        .split("<p id=\"witnesses\">")
        .nth(1)
        .and_then(|p| p.split("</p>").next())
        .unwrap_or_default();
    assert!(named.contains("witness.example/w1"), "{named}");
    drop(server);

    // Restarted, the log does not know where the witness is: the 409 tells it.
    let server = serve(&data, &["--witness", &target]);
    post_some(&server.base, "c", 10);
    let size = settled_checkpoint(&server.base);
    cosigned_checkpoint(&server.base, "witness.example/w1", Duration::from_secs(20))
        .expect("cosigned after a restart");
    drop(server);
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let origin = grown.lines().next().unwrap();
    assert_eq!(seen["logs"][origin]["size"], size, "{seen}");

    // Another history under the same key: the witness never cosigns it.
    let forked = dir.path().join("forked");
    std::fs::create_dir_all(&forked).unwrap();
    for f in ["log.key", "log.pub"] {
        std::fs::copy(data.join(f), forked.join(f)).unwrap();
    }
    let other = serve(&forked, &["--witness", &target]);
    post_some(&other.base, "x", 80);
    assert!(
        cosigned_checkpoint(&other.base, "witness.example/w1", Duration::from_secs(5)).is_none(),
        "a second history was cosigned"
    );
    drop(other);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        after, seen,
        "the witness stays with the history it cosigned"
    );

    // The protocol's refusals, straight: an unknown origin, garbage.
    let say = |body: &str| {
        let mut r = agent()
            .post(format!("{}/add-checkpoint", w.url))
            .send(body.as_bytes())
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let unknown = "old 0\n\nexample.com/other\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.com/other AAAAAAAA\n";
    assert_eq!(say(unknown).0, 404);
    assert_eq!(say("hello").0, 400);
    // The log's own checkpoint from the wrong old size: 409 with the witness's size.
    let wrong = format!("old 1\n\n{grown}");
    let (st, body) = say(&wrong);
    assert_eq!(
        (st, body.trim().parse::<u64>().ok()),
        (409, Some(size)),
        "{body}"
    );
}

/// An evidence document (SPEC 4.2) checked by `truceline evidence verify` and, independently,
/// by the Python verifier: both accept it and show the bearing without the observer; both
/// refuse it with one disclosed value changed.
#[test]
fn evidence_documents_are_checked_by_the_cli_and_the_independent_verifier() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use truceline_disclosure::{Evidence, Item, WITHHELD_OUTSIDE, commit, new_salt};
    use truceline_log::note::{Algorithm, Signer};
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::from_seed("mission.example/log", Algorithm::Ed25519, [3; 32]).unwrap();
    let vkey = signer.verifier().encode();
    let key_file = dir.path().join("log.pub");
    std::fs::write(&key_file, &vkey).unwrap();
    let observations: Vec<Value> = (0..5)
        .map(|i| {
            json!({"id": format!("ac-{i}"), "observer": "acoustic-7", "source": "acoustic",
                   "time": "2026-11-24T10:04:31Z", "kind": "explosion", "bearing_deg": 212.5 + i as f64,
                   "bearing_sigma_deg": 1.5, "observer_position": {"lon": 37.81234, "lat": 48.05678}})
        })
        .collect();
    let commitments: Vec<_> = observations
        .iter()
        .map(|o| commit(o.as_object().unwrap(), |_| new_salt()))
        .collect();
    let mut tree = truceline_log::Frontier::default();
    let mut stored = Vec::new();
    for c in &commitments {
        stored.extend(tree.append(truceline_log::leaf_hash(&c.committed)));
    }
    let cp = truceline_log::checkpoint::Checkpoint {
        origin: "mission.example/log".into(),
        size: 5,
        root: tree.root(),
    };
    let doc = Evidence {
        checkpoint: signer.sign_note(&cp.text()).unwrap(),
        items: [1u64, 3]
            .iter()
            .map(|&i| {
                Item::new(
                    i,
                    &commitments[i as usize],
                    |n| !WITHHELD_OUTSIDE.contains(&n),
                    &truceline_log::inclusion_proof(i, 5, &stored).unwrap(),
                )
            })
            .collect(),
        uncommitted: vec![],
    };
    let file = dir.path().join("evidence.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in ["acoustic-7", "37.81234", "48.05678", "ac-1"] {
        assert!(!text.contains(secret), "{secret} is in the evidence");
    }
    let ours: Value = serde_json::from_str(&ok(run(&[
        "evidence",
        "verify",
        s(&file),
        "--log-key",
        s(&key_file),
    ])))
    .unwrap();
    assert_eq!(
        ours["items"][1]["fields"]["bearing_deg"],
        json!(215.5),
        "{ours}"
    );
    assert_eq!(
        ours["items"][0]["withheld"],
        json!(["id", "observer", "observer_position"])
    );
    let python = |f: &Path| python_verifier(&["-", "--evidence", s(f), "--log-key", &vkey], None);
    let theirs: Value = serde_json::from_str(&ok(python(&file))).unwrap();
    assert_eq!(theirs["items"], ours["items"], "the two verifiers agree");

    // One disclosed value changed: both refuse.
    let mut bad = doc.clone();
    let raw = URL_SAFE_NO_PAD
        .decode(&bad.items[0].disclosures[0])
        .unwrap();
    let mut v: Value = serde_json::from_slice(&raw).unwrap();
    v[2] = json!("changed");
    bad.items[0].disclosures[0] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
    let bad_file = dir.path().join("bad.json");
    std::fs::write(&bad_file, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = run(&[
        "evidence",
        "verify",
        s(&bad_file),
        "--log-key",
        s(&key_file),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not one the committed form holds"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = python(&bad_file);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not committed"));
}

/// The log's key rotated while the server is stopped: announced in the log, handed over by a
/// checkpoint both keys sign, and followed from the old key by `log verify`, the independent
/// verifier and `/log/keys`; an interrupted rotation keeps the server from starting until it
/// is run again, which finishes it.
#[test]
fn the_log_key_is_rotated_and_followed_from_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let old_key = {
        let server = serve(&data, &[]);
        for i in 0..5 {
            post(
                &server.base,
                &obs(&format!("before{i}"), "op8", 40.0).to_string(),
                "application/json",
            );
        }
        settled_checkpoint(&server.base);
        std::fs::read_to_string(data.join("log.pub")).unwrap()
    };
    let old_file = dir.path().join("old.pub");
    std::fs::write(&old_file, &old_key).unwrap();
    let d = s(&data);
    let new_key = ok(run(&["keys", "rotate", "--data", d]));
    assert_ne!(new_key.trim(), old_key.trim());
    assert_eq!(
        std::fs::read_to_string(data.join("log.pub"))
            .unwrap()
            .trim(),
        new_key.trim()
    );

    let server = serve(&data, &[]);
    let base = &server.base;
    for i in 0..5 {
        // Located where it was seen: an incident of its own.
        let mut o = obs(&format!("after{i}"), "op8", 41.0);
        o["location"] = json!({"lon": 37.9 + i as f64 * 0.05, "lat": 48.1, "uncertainty_m": 50});
        post(base, &o.to_string(), "application/json");
    }
    // Fusion publishes what its association window has closed on: an hour later closes it.
    let mut later = obs("later", "op8", 42.0);
    later["time"] = json!("2026-11-24T11:00:00Z");
    post(base, &later.to_string(), "application/json");
    let size = settled_checkpoint(base);
    let (_, keys) = get(base, "/api/v1/log/keys");
    assert_eq!(keys["key"], new_key.trim(), "{keys}");
    let chain: Vec<(String, u64)> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().to_string(),
                k["from_size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(chain.len(), 2, "{keys}");
    assert_eq!(chain[0], (old_key.trim().to_string(), 0));
    assert_eq!(chain[1].0, new_key.trim());
    let announced = keys["rotations"][0]["log_index"].as_u64().unwrap();
    assert_eq!(
        chain[1].1,
        announced + 1,
        "handed over right after the announcement"
    );

    // The independent verifier, given only the old key, follows the rotation.
    let report = python_verify(base, &["--log-key", old_key.trim()]);
    assert_eq!(report["size"], size);
    assert_eq!(report["key_rotations"][0]["to"], new_key.trim(), "{report}");
    // A key the log never announced is refused.
    let stranger = ok(run(&[
        "keys",
        "generate",
        "--name",
        "someone/else",
        "--out",
        s(dir.path()),
    ]));
    let out = python_verifier(
        &[base, "--log-key", stranger.trim()],
        Some(&tokens(base).unwrap().chief),
    );
    assert!(!out.status.success());
    // An incident's evidence, checked by a party that trusts the old key only.
    let analyst = tokens(base).unwrap().analyst;
    let deadline = Instant::now() + Duration::from_secs(30);
    let id = loop {
        let mut r = with_token(
            agent().get(format!("{base}/api/v1/incidents")),
            Some(&analyst),
        )
        .call()
        .unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        if let Some(id) = v["incidents"][0]["id"].as_str() {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "nothing fused: {v}");
        std::thread::sleep(Duration::from_millis(200));
    };
    settled_checkpoint(base);
    let checked: Value = serde_json::from_str(&ok(run(&[
        "evidence",
        "verify",
        &format!("{base}/api/v1/incidents/{id}/evidence"),
        "--log-key",
        s(&old_file),
        "--token",
        &analyst,
    ])))
    .unwrap();
    assert!(
        !checked["items"].as_array().unwrap().is_empty(),
        "{checked}"
    );
    drop(server);

    // `log verify` matches every checkpoint, each under the key that signed at its size.
    let verified = ok(run(&["log", "verify", "--data", d]));
    assert!(
        verified.contains(&format!(
            "the log's key was rotated at size {} to {}",
            announced + 1,
            new_key.trim()
        )),
        "{verified}"
    );

    // Interrupted: the next key waits beside the current one; the server will not start on
    // the old key, and running the rotation again finishes it.
    let waiting = dir.path().join("waiting");
    let origin = keys["key"].as_str().unwrap().split('+').next().unwrap();
    ok(run(&[
        "keys",
        "generate",
        "--name",
        origin,
        "--out",
        s(&waiting),
    ]));
    let generated = std::fs::read_dir(&waiting)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "key"))
        .unwrap();
    std::fs::copy(&generated, data.join("log.key.new")).unwrap();
    let refused = Command::new(bin())
        .args([
            "serve",
            "--agreement",
            agreement().to_str().unwrap(),
            "--data",
            d,
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("rotation of the log's key was interrupted"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let third = ok(run(&["keys", "rotate", "--data", d]));
    assert!(!data.join("log.key.new").exists());
    let verified = ok(run(&["log", "verify", "--data", d]));
    assert_eq!(
        verified.matches("the log's key was rotated").count(),
        2,
        "{verified}"
    );
    assert!(verified.contains(third.trim()), "{verified}");
}
