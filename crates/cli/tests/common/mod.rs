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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
    let mut args: Vec<std::ffi::OsString> = vec!["serve".into(), "--agreement".into()];
    args.push(agreement().into());
    args.extend(["--data".into(), data.into()]);
    args.extend(extra.iter().map(Into::into));
    start(&args)
}

/// `truceline ARGS --listen <a free port>`, ready to answer.
pub fn start(args: &[std::ffi::OsString]) -> Server {
    let port = free_port();
    let mut child = Command::new(bin())
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, &mut child);
    Server { child, base }
}

pub fn post(base: &str, body: &str, content_type: &str) -> (u16, Value) {
    let mut r = agent()
        .post(format!("{base}/api/v1/observations"))
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

pub fn get(base: &str, path: &str) -> (u16, Value) {
    let mut r = agent().get(format!("{base}{path}")).call().unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
