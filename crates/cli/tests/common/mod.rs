//! What the end-to-end tests share: the binary, the example agreement, and a real server
//! process on a free port.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("truceline")
}

pub fn agreement() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/donbas/agreement.toml")
}

/// A port free now and never handed out before in this process. The tests of one file run on
/// threads of one process and each server binds its port only once started: without the
/// record, two servers started together could be given the same port, and the one that lost
/// the bind would have its requests answered by the other (a test saw its valid token refused
/// by another test's server).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// A token for each role (none for the demo, which is open).
    pub tokens: Option<Tokens>,
}

/// One API token for each role of SPEC 5.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub monitor: String,
    pub analyst: String,
    pub chief: String,
    pub witness: String,
    pub liaison: String,
}

/// The tokens of the servers running, by base URL, for the request helpers below.
static TOKENS: std::sync::Mutex<Vec<(String, Tokens)>> = std::sync::Mutex::new(Vec::new());

/// The tokens of the server at `base`, if it asks for them.
pub fn tokens(base: &str) -> Option<Tokens> {
    TOKENS
        .lock()
        .unwrap()
        .iter()
        .find(|(b, _)| b == base)
        .map(|(_, t)| t.clone())
}

/// An account of each role in `data` (made if missing) and a fresh token for each.
pub fn accounts(data: &Path) -> Tokens {
    let cli = |args: &[&str]| {
        let out = Command::new(bin())
            .args(args)
            .arg("--data")
            .arg(data)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let token = |name: &str, role: &str, party: Option<&str>| {
        let mut add = vec!["users", "add", name, "--role", role];
        if let Some(p) = party {
            add.extend(["--party", p]);
        }
        let (ok, _, err) = cli(&add);
        assert!(
            ok || err.contains("already exists"),
            "users add {name}: {err}"
        );
        let (ok, out, err) = cli(&["tokens", "issue", name]);
        assert!(ok, "tokens issue {name}: {err}");
        out.trim().to_string()
    };
    // A liaison's party is checked against the stored agreement, stored by the first serve:
    // its account is made once one is there.
    let has_agreement = data.join(truceline_store::DB_FILE).exists()
        && truceline_store::SqliteStore::open_read_only(data)
            .ok()
            .and_then(|s| {
                truceline_store::ObservationStore::latest_agreement(&s)
                    .ok()
                    .flatten()
            })
            .is_some();
    Tokens {
        monitor: token("ingest", "monitor", None),
        analyst: token("ana", "analyst", None),
        chief: token("chief", "chief", None),
        witness: token("witness", "witness", None),
        liaison: if has_agreement {
            token("lia", "liaison", Some("ua"))
        } else {
            String::new()
        },
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_ready(base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = agent().get(format!("{base}/api/v1/healthz")).call()
            && r.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server at {base} did not become ready");
}

pub fn serve(data: &Path, extra: &[&str]) -> Server {
    serve_env(data, extra, &[])
}

/// [`serve`] with more environment variables for the server process.
pub fn serve_env(data: &Path, extra: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Server {
    serve_io(data, extra, env, None)
}

/// [`serve`] logging at `info` into the file `log`, for a test that reads what it says.
pub fn serve_logged(data: &Path, extra: &[&str], log: &Path) -> Server {
    serve_io(data, extra, &[("RUST_LOG", "info".as_ref())], Some(log))
}

fn serve_io(
    data: &Path,
    extra: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
    log: Option<&Path>,
) -> Server {
    let tokens = accounts(data);
    let mut args: Vec<std::ffi::OsString> = vec!["serve".into(), "--agreement".into()];
    args.push(agreement().into());
    args.extend(["--data".into(), data.into()]);
    args.extend(extra.iter().map(Into::into));
    let mut server = start_io(&args, env, log);
    TOKENS
        .lock()
        .unwrap()
        .push((server.base.clone(), tokens.clone()));
    server.tokens = Some(tokens);
    server
}

/// `truceline ARGS --listen <a free port>`, ready to answer.
pub fn start(args: &[std::ffi::OsString]) -> Server {
    start_env(args, &[])
}

/// [`start`] with more environment variables.
pub fn start_env(args: &[std::ffi::OsString], env: &[(&str, &std::ffi::OsStr)]) -> Server {
    start_io(args, env, None)
}

fn start_io(
    args: &[std::ffi::OsString],
    env: &[(&str, &std::ffi::OsStr)],
    log: Option<&Path>,
) -> Server {
    let port = free_port();
    let mut child = Command::new(bin())
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        // TRUCELINE_TEST_STDERR=1 shows what the servers say, for debugging a test.
        .stderr(match log {
            Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
            None if std::env::var_os("TRUCELINE_TEST_STDERR").is_some() => Stdio::inherit(),
            None => Stdio::null(),
        })
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, &mut child);
    Server {
        child,
        base,
        tokens: None,
    }
}

/// A request to the server at `base` with `token`, when one is given.
pub fn with_token<B>(r: ureq::RequestBuilder<B>, token: Option<&str>) -> ureq::RequestBuilder<B> {
    match token {
        Some(t) if !t.is_empty() => r.header("Authorization", format!("Bearer {t}")),
        _ => r,
    }
}

/// Observations posted as the monitor account.
pub fn post(base: &str, body: &str, content_type: &str) -> (u16, Value) {
    let t = tokens(base);
    let mut r = with_token(
        agent().post(format!("{base}/api/v1/observations")),
        t.as_ref().map(|t| t.monitor.as_str()),
    )
    .header("Content-Type", content_type)
    .send(body)
    .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A read as the chief (who may read everything).
pub fn get(base: &str, path: &str) -> (u16, Value) {
    let t = tokens(base);
    let mut r = with_token(
        agent().get(format!("{base}{path}")),
        t.as_ref().map(|t| t.chief.as_str()),
    )
    .call()
    .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A store in `data` holding the example agreement (and nothing else), so that a liaison's party
/// can be checked before the first `serve`.
pub fn with_agreement(data: &Path) {
    let empty = data.with_extension("empty.ndjson");
    std::fs::write(&empty, "").unwrap();
    let out = Command::new(bin())
        .args(["import", "--agreement"])
        .arg(agreement())
        .arg(&empty)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets an account's password in `data`, as `users passwd` reads it: from standard input.
pub fn set_password(data: &Path, name: &str, password: &str) {
    use std::io::Write;
    let mut passwd = Command::new(bin())
        .args(["users", "passwd", name, "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(passwd.stdin.take().unwrap(), "{password}").unwrap();
    assert!(passwd.wait().unwrap().success());
}

/// `truceline ARGS`, which must succeed; its standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A simulated morning of 2026-11-24 from 07:00 UTC (ten fire missions an hour) imported into
/// `dir/data`; returns the observations' file and the data directory.
pub fn simulated_morning(dir: &Path, seed: u64, hours: u32) -> (PathBuf, PathBuf) {
    simulated(dir, seed, "2026-11-24T07:00:00Z", hours, 10)
}

/// [`simulated_morning`] from `start`, with `missions` fire missions an hour.
pub fn simulated(
    dir: &Path,
    seed: u64,
    start: &str,
    hours: u32,
    missions: u32,
) -> (PathBuf, PathBuf) {
    let obs = dir.join("obs.ndjson");
    let data = dir.join("data");
    let a = agreement();
    let (seed, hours, missions) = (seed.to_string(), hours.to_string(), missions.to_string());
    run_ok(&[
        "simulate",
        "--agreement",
        a.to_str().unwrap(),
        "--seed",
        &seed,
        "--hours",
        &hours,
        "--start",
        start,
        "--fire-missions-per-hour",
        &missions,
        "--observations",
        obs.to_str().unwrap(),
        "--truth",
        dir.join("truth.ndjson").to_str().unwrap(),
    ]);
    run_ok(&[
        "import",
        obs.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--agreement",
        a.to_str().unwrap(),
    ]);
    (obs, data)
}

/// Builds the fault-injection library (`tests/faults/faulty.c`) with the machine's C compiler.
pub fn faulty_library(out: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/faults/faulty.c");
    let lib = out.join("libfaulty.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .status()
        .unwrap_or_else(|e| panic!("{cc}: {e}"));
    assert!(status.success(), "{cc} could not build {}", src.display());
    lib
}

/// One valid observation with id `id`: a post's bearing to an impact (notes "illustrative").
pub fn simple_observation(id: &str) -> Value {
    serde_json::json!({"id": id, "observer": "op7", "source": "post", "time": "2026-11-24T10:00:00Z",
           "kind": "explosion", "subtype": "impact", "observer_position": {"lon": 37.75, "lat": 48.05},
           "bearing_deg": 90, "bearing_sigma_deg": 5, "weapon": "mlrs", "notes": "illustrative"})
}

/// The index of the first line at or after `i` that starts a message (a two-sentence message
/// is never split between deliveries).
pub fn message_start(lines: &[&str], mut i: usize) -> usize {
    while i < lines.len() && lines[i].starts_with("!AIVDM,2,2") {
        i += 1;
    }
    i
}

/// The time of the last tag block in `lines`.
pub fn last_tag_time(lines: &[&str]) -> jiff::Timestamp {
    let s: i64 = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("\\c:")?.split('*').next()?.parse().ok())
        .unwrap();
    jiff::Timestamp::from_second(s).unwrap()
}

/// `POST /api/v1/ais` with NMEA `body` as `token`; the status and the JSON answer.
pub fn post_ais(base: &str, token: &str, body: String) -> (u16, Value) {
    let mut r = with_token(agent().post(format!("{base}/api/v1/ais")), Some(token))
        .header("Content-Type", "text/plain")
        .send(body)
        .unwrap();
    let status = r.status().as_u16();
    let v = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    (status, v)
}

/// A server over `tmp/data` whose disk can be made full (`tmp/enospc` exists) or its fsync fail
/// (`tmp/eio` exists), through the fault-injection library: the server, its data directory
/// and the two switches.
pub fn serve_with_faults(tmp: &Path) -> (Server, PathBuf, PathBuf, PathBuf) {
    let lib = faulty_library(tmp);
    let data = tmp.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let data = data.canonicalize().unwrap();
    let (enospc, eio) = (tmp.join("enospc"), tmp.join("eio"));
    let s = serve_env(
        &data,
        &[],
        &[
            ("LD_PRELOAD", lib.as_os_str()),
            ("FAULTY_PREFIX", data.as_os_str()),
            ("FAULTY_ENOSPC", enospc.as_os_str()),
            ("FAULTY_EIO", eio.as_os_str()),
        ],
    );
    (s, data, enospc, eio)
}

/// The independent verifier (`verifier/truceline_verify.py`, Python) run with `args`, as the
/// account of `token` or, without one, as anyone.
pub fn python_verifier(args: &[&str], token: Option<&str>) -> std::process::Output {
    let mut c = Command::new("python3");
    c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../verifier/truceline_verify.py"))
        .args(args)
        .env_remove("TRUCELINE_TOKEN");
    if let Some(t) = token {
        c.env("TRUCELINE_TOKEN", t);
    }
    c.output().expect("python3 (installed by scripts/deps.sh)")
}

/// Posts observations from `clients` threads until `stop`, one to three a request; returns the
/// ids acknowledged (200 with a result for each).
pub fn load(
    base: &str,
    token: &str,
    clients: usize,
    tag: &str,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    Vec<std::thread::JoinHandle<()>>,
) {
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let threads = (0..clients)
        .map(|c| {
            let (acked, stop) = (acked.clone(), stop.clone());
            let (base, token, tag) = (base.to_string(), token.to_string(), tag.to_string());
            std::thread::spawn(move || {
                let agent = agent();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let ids: Vec<String> = (0..(1 + i % 3))
                        .map(|k| format!("{tag}-{c}-{i}-{k}"))
                        .collect();
                    let body: String = ids
                        .iter()
                        .map(|id| format!("{}\n", simple_observation(id)))
                        .collect();
                    i += 1;
                    let Ok(mut r) = with_token(
                        agent.post(format!("{base}/api/v1/observations")),
                        Some(&token),
                    )
                    .header("Content-Type", "application/x-ndjson")
                    .send(&body) else {
                        break; // the server is gone
                    };
                    if r.status() == 200 {
                        let v: Value = serde_json::from_str(
                            &r.body_mut().read_to_string().unwrap_or_default(),
                        )
                        .unwrap_or(Value::Null);
                        if v["results"].as_array().map(Vec::len) == Some(ids.len()) {
                            acked.lock().unwrap().extend(ids);
                        }
                    }
                }
            })
        })
        .collect();
    (acked, threads)
}

/// Where the browser tests keep their screenshots: `target/browser-artifacts/`.
pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs one browser script; its last line of standard output is what it saw, as JSON.
pub fn browse(script: &str, args: &[&str]) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let out = Command::new("node")
        .arg(path.join(script))
        .args(args)
        .current_dir(&path)
        .output()
        .expect("node (scripts/deps.sh installs it)");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{script}: {said}\n{err}");
    eprintln!("{script}: {said}");
    serde_json::from_str(said.lines().last().unwrap_or("null")).unwrap()
}
