#!/usr/bin/env bash
# The live demo on a fresh machine: installs Node.js and npm when missing (the dashboard's map
# library is pinned in crates/web/package-lock.json and installed by the build), then runs
# `truceline demo` and prints where to open it. Arguments go to `truceline demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing nodejs npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends nodejs npm >/dev/null 2>&1 ||
        { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends nodejs npm >/dev/null; }
fi
if [ ! -x target/release/truceline ]; then
    echo "Building Truceline (release). The first build compiles every dependency: about 8 minutes" >&2
    echo "on 2 cores, a few on more; later starts take seconds. Cargo's progress follows." >&2
fi
cargo build --release --locked -p truceline
echo "Starting the demo: open http://127.0.0.1:8080/ (Ctrl-C stops it)." >&2
exec target/release/truceline demo "$@"
