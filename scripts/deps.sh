#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing (idempotent).
#   python3, python3-cryptography: the independent evidence-log verifier (verifier/).
set -euo pipefail
need=()
for p in python3 python3-cryptography; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing ${need[*]}" >&2
$sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
