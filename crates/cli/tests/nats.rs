//! A field office on NATS JetStream (SPEC 9): a three-node JetStream cluster on loopback is
//! headquarters' transport, a site's server talks to a leaf node of its own, and the leaf node's
//! link to the cluster runs through a proxy the test cuts. While cut, the site keeps accepting
//! (10,000 observations) and headquarters shows it lagging, on the dashboard too; restored, every observation reaches
//! headquarters exactly once and its log verifies.
//!
//! `TRUCELINE_NATS_OBSERVATIONS` sets how many are written while cut (10,000 here).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use truceline_store::{ObservationStore, SqliteStore};

fn nats_server() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join("target/pyenv/bin/nats-server");
    if !bin.exists() {
        // scripts/deps.sh installs it; scripts/nats.sh does too, alone.
        let ok = Command::new("bash")
            .arg(root.join("scripts/nats.sh"))
            .arg("stop")
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let ok = Command::new("bash")
            .arg(root.join("scripts/nats.sh"))
            .status()
            .unwrap()
            .success();
        assert!(ok && bin.exists(), "nats-server not installed");
    }
    bin
}

struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_nats(conf: &Path, text: &str) -> Nats {
    std::fs::write(conf, text).unwrap();
    let child = Command::new(nats_server())
        .arg("-c")
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Nats(child)
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP proxy whose link can be cut (every connection through it closed, new ones refused)
/// and restored.
struct Link {
    up: Arc<AtomicBool>,
    port: u16,
}

impl Link {
    fn new(to: u16) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let flag = up.clone();
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                let Ok(inbound) = inbound else { continue };
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                for (mut from, mut into) in [
                    (inbound.try_clone().unwrap(), outbound.try_clone().unwrap()),
                    (outbound, inbound),
                ] {
                    let flag = flag.clone();
                    std::thread::spawn(move || {
                        from.set_read_timeout(Some(Duration::from_millis(100)))
                            .unwrap();
                        let mut buf = [0u8; 16384];
                        loop {
                            if !flag.load(Ordering::SeqCst) {
                                let _ = from.shutdown(std::net::Shutdown::Both);
                                let _ = into.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => {
                                    let _ = into.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                                Ok(n) => {
                                    if into.write_all(&buf[..n]).is_err() {
                                        return;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => {
                                    let _ = into.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                            }
                        }
                    });
                }
            }
        });
        Link { up, port }
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

/// `/healthz` as `token`'s account reads it (the public without one).
fn health(base: &str, token: Option<&str>) -> Value {
    let mut r = with_token(agent().get(format!("{base}/healthz")), token)
        .call()
        .unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "{what}: not within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    started.elapsed()
}

#[test]
fn a_site_cut_off_keeps_accepting_and_headquarters_gets_each_observation_once() {
    let n: usize = std::env::var("TRUCELINE_NATS_OBSERVATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let (clients, routes, leafs): (Vec<u16>, Vec<u16>, Vec<u16>) = (
        (0..3).map(|_| free_port()).collect(),
        (0..3).map(|_| free_port()).collect(),
        (0..3).map(|_| free_port()).collect(),
    );
    let route_urls: Vec<String> = routes
        .iter()
        .map(|p| format!("\"nats://127.0.0.1:{p}\""))
        .collect();
    let _hubs: Vec<Nats> = (0..3)
        .map(|i| {
            start_nats(
                &dir.path().join(format!("hub{i}.conf")),
                &format!(
                    "server_name: hub{i}\nlisten: 127.0.0.1:{}\n\
                     jetstream {{ store_dir: \"{}\" }}\n\
                     cluster {{ name: hq, listen: 127.0.0.1:{}, routes: [{}] }}\n\
                     leafnodes {{ listen: 127.0.0.1:{}, no_advertise: true }}\n",
                    clients[i],
                    dir.path().join(format!("js{i}")).display(),
                    routes[i],
                    route_urls.join(", "),
                    leafs[i]
                ),
            )
        })
        .collect();
    for p in &clients {
        wait_port(*p);
    }
    // The site's only way in: the hubs do not advertise their leaf node ports, so the leaf node
    // cannot go round the cut.
    let link = Link::new(leafs[0]);
    let leaf_port = free_port();
    let _leaf = start_nats(
        &dir.path().join("leaf.conf"),
        &format!(
            "server_name: site-leaf\nlisten: 127.0.0.1:{leaf_port}\n\
             leafnodes {{ reconnect: 1, remotes: [ {{ url: \"nats-leaf://127.0.0.1:{}\" }} ] }}\n",
            link.port
        ),
    );
    wait_port(leaf_port);

    // Headquarters takes what sites forward as its monitor account `ingest`, three copies of
    // each message across the cluster; the site is a server of its own.
    let hq_data = dir.path().join("hq");
    let site_data = dir.path().join("site");
    std::fs::create_dir_all(&hq_data).unwrap();
    std::fs::create_dir_all(&site_data).unwrap();
    // The chief signs in to the dashboard with a password.
    let password = "correct horse battery";
    accounts(&hq_data);
    set_password(&hq_data, "chief", password);
    let hq = serve(
        &hq_data,
        &[
            "--nats",
            &format!("nats://127.0.0.1:{}", clients[0]),
            "--nats-account",
            "ingest",
            "--nats-replicas",
            "3",
        ],
    );
    let site = serve(
        &site_data,
        &[
            "--site",
            "north-1",
            "--nats",
            &format!("nats://127.0.0.1:{leaf_port}"),
            "--rate-per-address",
            "off",
            "--rate-per-account",
            "off",
        ],
    );
    let site_token = site.tokens.as_ref().unwrap().monitor.clone();
    let chief = hq.tokens.as_ref().unwrap().chief.clone();
    // The site is heard at headquarters.
    wait_for("the site heard at headquarters", 60, || {
        health(&hq.base, Some(&chief))["sites"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["site"] == "north-1"))
    });

    // Cut: the site keeps accepting and acknowledging.
    link.set(false);
    let ids: Vec<String> = (0..n).map(|i| format!("site-{i}")).collect();
    for chunk in ids.chunks(1_000) {
        let body: String = chunk
            .iter()
            .map(|id| format!("{}\n", simple_observation(id)))
            .collect();
        let (_, v) = post(&site.base, &body, "application/x-ndjson");
        assert_eq!(v["accepted"], chunk.len() as u64, "{v}");
    }
    // Headquarters shows the site lagging (200: it is not degraded itself).
    wait_for("the site shown lagging", 30, || {
        health(&hq.base, Some(&chief))["warnings"]
            .as_array()
            .is_some_and(|w| {
                w.iter()
                    .any(|w| w.as_str().unwrap().contains("north-1 is lagging"))
            })
    });
    // And so does the dashboard, above the map, in the page's words and the server's.
    let seen = browse(
        "health.mjs",
        &[
            &hq.base,
            artifacts().to_str().unwrap(),
            "chief",
            password,
            "lagging",
            "Field offices are behind",
            "north-1 is lagging",
        ],
    );
    assert_eq!(seen["expected_errors"], 0, "{seen}");
    // The public is told that an office is behind, not which: where the mission's offices are
    // is for its staff.
    let public = health(&hq.base, None);
    assert_eq!(public["status"], "ok");
    assert_eq!(
        public["warnings"],
        json!(["a field office is lagging"]),
        "{public}"
    );
    assert_eq!(public["sites"], json!([]));
    assert!(!public.to_string().contains("north-1"), "{public}");
    // The site says so of itself too.
    let own = health(&site.base, Some(&site_token));
    assert!(
        own["warnings"]
            .to_string()
            .contains("waiting there to be forwarded"),
        "{own}"
    );

    // Restored: everything reaches headquarters, once.
    link.set(true);
    let hq_store_count = || {
        SqliteStore::open_read_only(&hq_data)
            .ok()
            .and_then(|s| s.counts().ok())
            .map_or(0, |c| c.observations)
    };
    let took = wait_for("every observation at headquarters", 180, || {
        hq_store_count() >= n as u64
    });
    eprintln!(
        "{n} observations written at the site while cut off reached headquarters {:.1} s after the link was restored",
        took.as_secs_f64()
    );
    wait_for("the site no longer lagging", 30, || {
        health(&hq.base, Some(&chief))["warnings"]
            .as_array()
            .is_some_and(Vec::is_empty)
    });
    // What the sites forwarded is in headquarters' audit trail: the intake account, the
    // subject, how many, stored.
    wait_for("the intake audited", 30, || {
        let mut r = with_token(
            agent().get(format!("{}/api/v1/audit?account=ingest", hq.base)),
            Some(&chief),
        )
        .call()
        .unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        let audited: usize = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["method"] == "NATS" && e["status"] == 200)
            .filter_map(|e| {
                let path = e["path"].as_str()?;
                assert!(path.starts_with("truceline.obs.north-1?"), "{path}");
                path.split("observations=").nth(1)?.parse::<usize>().ok()
            })
            .sum();
        audited == n
    });
    drop(site);
    drop(hq);
    let store = SqliteStore::open_read_only(&hq_data).unwrap();
    // Exactly once: as many stored (each its own leaf) as were written, every one of them.
    let checked = store.check().unwrap();
    assert_eq!(checked.observations, n as u64);
    for id in ids.iter().step_by(97) {
        assert!(store.get(id).unwrap().is_some(), "{id} missing");
    }
    let verified = run_ok(&["log", "verify", "--data", hq_data.to_str().unwrap()]);
    assert!(verified.contains("log verified"), "{verified}");
}

/// The link between a site and headquarters authenticated and encrypted: the NATS server takes
/// TLS only, checks each client's certificate (mutual TLS) and password, and lets a site publish
/// only on its own subjects. A site that does not present the mission's certificate gets
/// nothing through, and no server writes the password in its log.
#[test]
fn sites_reach_headquarters_only_over_tls_with_their_own_credentials() {
    use truceline_pki::Authority;
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let (from, until) = (
        now - time::Duration::hours(1),
        now + time::Duration::days(1),
    );
    let ca = Authority::new("Truceline test mission", now).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let ca_pem = write("ca.pem", &ca.cert_pem());
    let server = ca.server(&["127.0.0.1".into()], from, until).unwrap();
    let (server_cert, server_key) = (
        write("nats.pem", &server.cert_pem),
        write("nats.key", &server.key_pem),
    );
    let client = |name: &str| {
        let c = ca.client(name, from, until).unwrap();
        (
            write(&format!("{name}.pem"), &c.cert_pem),
            write(&format!("{name}.key"), &c.key_pem),
        )
    };
    let (hq_cert, hq_key) = client("hq");
    let (site_cert, site_key) = client("north-1");
    let port = free_port();
    // Passwords with characters a URL must escape.
    let (hq_pass, site_pass) = ("hq s3cret/+", "n0rth:pass@1");
    let _nats = start_nats(
        &dir.path().join("nats.conf"),
        &format!(
            "server_name: hq\nlisten: 127.0.0.1:{port}\n\
             jetstream {{ store_dir: \"{}\" }}\n\
             tls {{ cert_file: \"{server_cert}\", key_file: \"{server_key}\", ca_file: \"{ca_pem}\", verify: true }}\n\
             authorization {{ users: [\n\
               {{ user: hq, password: \"{hq_pass}\" }}\n\
               {{ user: north-1, password: \"{site_pass}\", permissions: {{\n\
                  publish: [\"truceline.obs.north-1\", \"truceline.site.north-1.status\"],\n\
                  subscribe: [\"_INBOX.>\"] }} }}\n\
             ] }}\n",
            dir.path().join("js").display()
        ),
    );
    wait_port(port);
    let esc = |s: &str| {
        s.replace('%', "%25")
            .replace(' ', "%20")
            .replace('/', "%2F")
            .replace('+', "%2B")
            .replace(':', "%3A")
            .replace('@', "%40")
    };
    let url = |user: &str, pass: &str| format!("tls://{user}:{}@127.0.0.1:{port}", esc(pass));
    let hq_data = dir.path().join("hq");
    let site_data = dir.path().join("site");
    let stray_data = dir.path().join("stray");
    for d in [&hq_data, &site_data, &stray_data] {
        std::fs::create_dir_all(d).unwrap();
    }
    let logs = |name: &str| dir.path().join(format!("{name}.log"));
    let serve_logged =
        |data: &Path, name: &str, args: &[&str]| serve_logged(data, args, &logs(name));
    let hq_url = url("hq", hq_pass);
    let hq = serve_logged(
        &hq_data,
        "hq",
        &[
            "--nats",
            &hq_url,
            "--nats-ca",
            &ca_pem,
            "--nats-cert",
            &hq_cert,
            "--nats-key",
            &hq_key,
            "--nats-account",
            "ingest",
        ],
    );
    let site_url = url("north-1", site_pass);
    let site = serve_logged(
        &site_data,
        "site",
        &[
            "--site",
            "north-1",
            "--nats",
            &site_url,
            "--nats-ca",
            &ca_pem,
            "--nats-cert",
            &site_cert,
            "--nats-key",
            &site_key,
        ],
    );
    // A site with the right password but no certificate of the mission's, over plain NATS.
    let stray_url = format!("nats://north-1:{}@127.0.0.1:{port}", esc(site_pass));
    let stray = serve_logged(
        &stray_data,
        "stray",
        &["--site", "north-1", "--nats", &stray_url],
    );

    only_the_site_gets_through(&site, &stray, &hq_data, "tls");
    let chief = hq.tokens.as_ref().unwrap().chief.clone();
    wait_for("the site heard at headquarters", 30, || {
        health(&hq.base, Some(&chief))["sites"]
            .as_array()
            .is_some_and(|s| {
                s.iter()
                    .any(|s| s["site"] == "north-1" && s["waiting"] == 0)
            })
    });
    drop(site);
    drop(stray);
    drop(hq);
    for name in ["hq", "site", "stray"] {
        let log = std::fs::read_to_string(logs(name)).unwrap_or_default();
        for secret in [hq_pass, site_pass, &esc(hq_pass), &esc(site_pass)] {
            assert!(
                !log.contains(secret),
                "{name}'s log shows a password: {log}"
            );
        }
    }
}

/// 200 observations posted to `site` and 20 to `stray`: the site's reach headquarters (whose
/// store is at `hq_data`); the stray's, given as long and more, do not, and it says it holds
/// them. `tag` keeps the ids apart.
fn only_the_site_gets_through(site: &Server, stray: &Server, hq_data: &Path, tag: &str) {
    let post_to = |s: &Server, ids: std::ops::Range<usize>, tag: &str| {
        let body: String = ids
            .map(|i| format!("{}\n", simple_observation(&format!("{tag}-{i}"))))
            .collect();
        let (_, v) = post(&s.base, &body, "application/x-ndjson");
        assert!(v["accepted"].as_u64().unwrap() > 0, "{v}");
    };
    post_to(site, 0..200, tag);
    post_to(stray, 0..20, &format!("{tag}-stray"));
    let hq_count = || {
        SqliteStore::open_read_only(hq_data)
            .ok()
            .and_then(|s| s.counts().ok())
            .map_or(0, |c| c.observations)
    };
    wait_for("the site's observations at headquarters", 60, || {
        hq_count() >= 200
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(hq_count(), 200);
    let stray_token = stray.tokens.as_ref().unwrap().monitor.clone();
    let own = health(&stray.base, Some(&stray_token));
    assert!(
        own["warnings"].to_string().contains("20 observations"),
        "{own}"
    );
}

/// A JWT of NATS's decentralised authentication (what `nsc` writes): `nats` claims about
/// `subject`, signed by `issuer`'s NKey.
fn nats_jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: Value) -> String {
    use base64::Engine;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = json!({
        "jti": format!("{name}-{}", &subject[..12]),
        "iat": jiff::Timestamp::now().as_second(),
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let signed = format!(
        "{}.{}",
        b64(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#),
        b64(claims.to_string().as_bytes())
    );
    let sig = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", b64(&sig))
}

/// A `.creds` file: the user's JWT and its seed, in `nsc`'s layout.
fn creds(jwt: &str, user: &nkeys::KeyPair) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\n\
         -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
        user.seed().unwrap()
    )
}

/// Decentralised authentication, as NATS deployments run it: the NATS server trusts an
/// operator, whose account holds the users; headquarters and a site each connect with the
/// `.creds` file issued to their user (`--nats-creds`), the site's allowed to publish only on its
/// own subjects. A site whose credentials were signed by an account the operator never issued
/// gets nothing through, and no server writes a seed in its log.
#[test]
fn sites_reach_headquarters_with_nats_credentials_files() {
    use nkeys::KeyPair;
    let dir = tempfile::tempdir().unwrap();
    let operator = KeyPair::new_operator();
    let (account, system, stranger) = (
        KeyPair::new_account(),
        KeyPair::new_account(),
        KeyPair::new_account(),
    );
    let unlimited = json!({"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1});
    let mut js = unlimited.clone();
    for k in ["mem_storage", "disk_storage", "streams", "consumer"] {
        js[k] = json!(-1);
    }
    let account_jwt = |kp: &KeyPair, name: &str, limits: &Value| {
        nats_jwt(
            &operator,
            &kp.public_key(),
            name,
            json!({"type": "account", "version": 2,
            "limits": limits, "default_permissions": {"pub": {}, "sub": {}}}),
        )
    };
    let user = |issuer: &KeyPair, name: &str, permissions: Value| -> (String, KeyPair) {
        let kp = KeyPair::new_user();
        let mut nats = json!({"type": "user", "version": 2, "subs": -1, "data": -1, "payload": -1,
            "pub": {}, "sub": {}});
        for (k, v) in permissions.as_object().unwrap() {
            nats[k] = v.clone();
        }
        let path = dir.path().join(format!("{name}.creds"));
        let jwt = nats_jwt(issuer, &kp.public_key(), name, nats);
        std::fs::write(&path, creds(&jwt, &kp)).unwrap();
        (path.to_str().unwrap().to_string(), kp)
    };
    let (hq_creds, hq_user) = user(&account, "hq", json!({}));
    let (site_creds, site_user) = user(
        &account,
        "north-1",
        json!({"pub": {"allow": ["truceline.obs.north-1", "truceline.site.north-1.status"]},
               "sub": {"allow": ["_INBOX.>"]}}),
    );
    let (stray_creds, stray_user) = user(&stranger, "north-1-stray", json!({}));
    let port = free_port();
    let _nats = start_nats(
        &dir.path().join("nats.conf"),
        &format!(
            "server_name: hq\nlisten: 127.0.0.1:{port}\n\
             jetstream {{ store_dir: \"{}\" }}\n\
             operator: \"{}\"\nsystem_account: {}\nresolver: MEMORY\n\
             resolver_preload: {{\n  {}: \"{}\"\n  {}: \"{}\"\n}}\n",
            dir.path().join("js").display(),
            nats_jwt(
                &operator,
                &operator.public_key(),
                "mission",
                json!({"type": "operator", "version": 2})
            ),
            system.public_key(),
            account.public_key(),
            account_jwt(&account, "mission", &js),
            system.public_key(),
            account_jwt(&system, "SYS", &unlimited),
        ),
    );
    wait_port(port);
    let url = format!("nats://127.0.0.1:{port}");
    let (hq_data, site_data, stray_data) = (
        dir.path().join("hq"),
        dir.path().join("site"),
        dir.path().join("stray"),
    );
    for d in [&hq_data, &site_data, &stray_data] {
        std::fs::create_dir_all(d).unwrap();
    }
    let logs = |name: &str| dir.path().join(format!("{name}.log"));
    let hq = serve_logged(
        &hq_data,
        &[
            "--nats",
            &url,
            "--nats-creds",
            &hq_creds,
            "--nats-account",
            "ingest",
        ],
        &logs("hq"),
    );
    let site = serve_logged(
        &site_data,
        &[
            "--site",
            "north-1",
            "--nats",
            &url,
            "--nats-creds",
            &site_creds,
        ],
        &logs("site"),
    );
    let stray = serve_logged(
        &stray_data,
        &[
            "--site",
            "north-1",
            "--nats",
            &url,
            "--nats-creds",
            &stray_creds,
        ],
        &logs("stray"),
    );
    only_the_site_gets_through(&site, &stray, &hq_data, "creds");
    drop(site);
    drop(stray);
    drop(hq);
    for name in ["hq", "site", "stray"] {
        let log = std::fs::read_to_string(logs(name)).unwrap_or_default();
        for kp in [&hq_user, &site_user, &stray_user] {
            assert!(
                !log.contains(&kp.seed().unwrap()),
                "{name}'s log shows a seed"
            );
        }
    }
}
