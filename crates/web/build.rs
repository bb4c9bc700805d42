//! The map library comes from npm, pinned by `package-lock.json`. When `node_modules` is missing
//! or older than the lock file, `npm ci` installs it (no network afterwards: the built files are
//! compiled into the binary, so the server needs neither npm nor the internet to serve them).

use std::path::Path;
use std::process::Command;

const NEEDED: &[&str] = &[
    "node_modules/maplibre-gl/dist/maplibre-gl.mjs",
    "node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs",
    "node_modules/maplibre-gl/dist/maplibre-gl.css",
    "node_modules/maplibre-gl/LICENSE.txt",
];

fn main() {
    println!("cargo:rerun-if-changed=package-lock.json");
    println!("cargo:rerun-if-changed=package.json");
    for f in NEEDED {
        println!("cargo:rerun-if-changed={f}");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = NEEDED.iter().all(|f| dir.join(f).exists())
        && match (stamp.metadata(), lock.metadata()) {
            (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
            _ => false,
        };
    if fresh {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status();
    match status {
        Ok(s) if s.success() => {
            // Cargo reruns a build script when a watched file is newer than the script's last
            // start, and `npm ci` has just written them: date them (and npm's stamp) back to the
            // lock file's time, so that the next build does not redo this one's work.
            if let Ok(when) = lock.metadata().and_then(|m| m.modified()) {
                for f in NEEDED.iter().map(|f| dir.join(f)).chain([stamp]) {
                    let _ = std::fs::File::options()
                        .write(true)
                        .open(&f)
                        .and_then(|h| h.set_modified(when));
                }
            }
        }
        Ok(s) => panic!(
            "`npm ci` in {} failed ({s}): the dashboard's map library (maplibre-gl, pinned by \
             package-lock.json) could not be installed; run scripts/deps.sh, then build again",
            dir.display()
        ),
        Err(e) => panic!(
            "the dashboard's map library is installed with npm, which could not be run ({e}): \
             install Node.js and npm (scripts/deps.sh does), then build again"
        ),
    }
}
