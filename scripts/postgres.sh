#!/usr/bin/env bash
# A PostgreSQL 15 cluster with PostGIS for the tests and for trying the shared store: installs
# Debian's postgresql-15 and postgresql-15-postgis-3 if missing, makes a cluster of the
# project's own (target/postgres, or $TRUCELINE_PG_DIR) and starts it on loopback only
# (127.0.0.1:${TRUCELINE_PG_PORT:-55432}), makes the database `truceline` with PostGIS, and prints
# its URL on the last line. Idempotent: a cluster already running is left as it is.
#   scripts/postgres.sh          start (or find) the cluster; print the URL
#   scripts/postgres.sh stop     stop it
# Trust authentication on loopback is for a test cluster only; a deployment sets passwords
# (see docs/DEPLOYING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${TRUCELINE_PG_PORT:-55432}
dir=${TRUCELINE_PG_DIR:-$PWD/target/postgres}
bin=/usr/lib/postgresql/15/bin
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# PostgreSQL will not run as root: as root, the cluster belongs to the `postgres` user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/bash -c "$*"
    else
        bash -c "$*"
    fi
}

if [ "${1:-}" = "stop" ]; then
    [ -f "$dir/PG_VERSION" ] && as_owner "$bin/pg_ctl -D '$dir' -m fast stop" >/dev/null || true
    exit 0
fi

# One caller at a time (test binaries may ask together).
mkdir -p target
exec 9>target/postgres.lock
flock 9

need=()
for p in postgresql-15 postgresql-15-postgis-3; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
        { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$dir" && chmod 700 "$dir"
        # The parent directories must let the cluster's owner reach its directory.
        [ "$(id -u)" -eq 0 ] && { p=$(dirname "$dir"); while [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done; }
        as_owner "$bin/initdb -D '$dir' -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8" >/dev/null
    fi
    # fsync stays on: the store's durability is what its tests check.
    # The lock is not the server's to hold (fd 9 closed for it).
    as_owner "$bin/pg_ctl -D '$dir' -l '$dir/server.log' -w -t 60 \
        -o \"-p $port -c listen_addresses=127.0.0.1 -k /tmp -c max_connections=200\" start" >/dev/null 9>&-
fi

psql() { PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
# A server that answers on the port but cannot run a query (another's, or one whose directory
# was removed under it) is not used: said, and left to the operator.
if ! psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
    echo "scripts/postgres.sh: a server answers on 127.0.0.1:$port but cannot run a query; stop it, or set TRUCELINE_PG_PORT to another port" >&2
    exit 1
fi
psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'truceline'" | grep -q 1 ||
    psql -d postgres -c "CREATE DATABASE truceline"
psql -d truceline -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
echo "postgres://postgres@127.0.0.1:$port/truceline"
