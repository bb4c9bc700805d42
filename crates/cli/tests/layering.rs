//! The workspace's layering, read from `cargo metadata`: a crate depends only on crates listed
//! before it in the code map of `docs/ARCHITECTURE.md` (so the document cannot drift from the
//! code), and the domain crates pull in no I/O crate, directly or through another.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

/// The domain crates: they do no I/O.
const DOMAIN: &[&str] = &[
    "truceline-agreement",
    "truceline-zones",
    "truceline-observation",
    "truceline-incident",
    "truceline-fusion",
    "truceline-assess",
    "truceline-log",
    "truceline-disclosure",
    "truceline-ais",
    "truceline-maritime",
];

/// Crates that do I/O (network, database, async runtime, HTTP), none of which a domain crate may
/// depend on, even through another crate.
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "axum",
    "hyper",
    "tower",
    "tower-http",
    "reqwest",
    "ureq",
    "rusqlite",
    "libsqlite3-sys",
    "tokio-postgres",
    "postgres",
    "sqlx",
    "async-nats",
    "rustls",
    "socket2",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

fn metadata() -> Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The crates of the code map, in the order it lists them.
fn code_map_order() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `crates/"))
        .filter_map(|l| {
            let name = l.split("` (`").nth(1)?.split('`').next()?;
            Some(name.to_string())
        })
        .collect()
}

/// Package id to name, and each package's normal (not dev, not build) dependencies by id.
fn graph(m: &Value) -> (HashMap<String, String>, HashMap<String, Vec<String>>) {
    let names = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let deps = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let normal = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap().to_string())
                .collect();
            (n["id"].as_str().unwrap().to_string(), normal)
        })
        .collect();
    (names, deps)
}

#[test]
fn every_workspace_crate_is_in_the_code_map_and_depends_only_on_those_before_it() {
    let m = metadata();
    let (names, deps) = graph(&m);
    let order = code_map_order();
    let members: BTreeSet<String> = m["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| names[id.as_str().unwrap()].clone())
        .collect();
    let listed: BTreeSet<String> = order.iter().cloned().collect();
    assert_eq!(
        members, listed,
        "the code map lists exactly the workspace's crates"
    );
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut wrong = Vec::new();
    for id in m["workspace_members"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let name = &names[id];
        for d in &deps[id] {
            let dep = &names[d];
            if let Some(&r) = rank.get(dep.as_str())
                && r >= rank[name.as_str()]
            {
                wrong.push(format!("{name} depends on {dep}, listed after it"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn domain_crates_pull_in_no_io_crate() {
    let m = metadata();
    let (names, deps) = graph(&m);
    let id_of: HashMap<&str, &str> = m["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| (names[id.as_str().unwrap()].as_str(), id.as_str().unwrap()))
        .collect();
    let mut wrong = Vec::new();
    for krate in DOMAIN {
        let mut seen = BTreeSet::new();
        let mut stack = vec![id_of[krate].to_string()];
        while let Some(id) = stack.pop() {
            for d in &deps[&id] {
                if seen.insert(d.clone()) {
                    if IO_CRATES.contains(&names[d].as_str()) {
                        wrong.push(format!("{krate} pulls in {}", names[d]));
                    }
                    stack.push(d.clone());
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
