#!/usr/bin/env bash
# Installs what the tests need, only what is missing (idempotent).
#   python3, python3-cryptography: the independent evidence-log verifier (verifier/).
#   gdal-bin: ogrinfo, which reads the report's GeoJSON in the tests.
#   chromium, nodejs, npm + playwright-core (tests/browser): the report rendered in a real browser.
#   openssl: a throwaway certificate for the HTTPS test.
#   wrk: the load of the soak's short form (bench/soak); gcc: the fault-injection library;
#   poppler-utils: pdftoppm and pdftotext, which read the report's PDF back in its test.
#   python3-venv + tests/python/requirements.txt (PyPI, into target/pyenv): third-party clients
#   the tests drive (OWSLib for OGC API - Features).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in python3 python3-cryptography python3-venv gdal-bin chromium openssl wrk gcc poppler-utils; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
        { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
# The browser driver, pinned by tests/browser/package-lock.json; never a downloaded browser.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    echo "installing playwright-core" >&2
    (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
fi
# The PyPI clients, in a virtual environment of the project's own; made again when the pinned
# list changes.
req=tests/python/requirements.txt
stamp=target/pyenv/.requirements
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
    echo "installing $(grep -vc '^#' "$req") PyPI package(s) into target/pyenv" >&2
    rm -rf target/pyenv
    python3 -m venv target/pyenv
    target/pyenv/bin/pip install -q --disable-pip-version-check -r "$req" >/dev/null
    cp "$req" "$stamp"
fi
