#!/usr/bin/env bash
# AIS decoding: `truceline ais decode` (decode, gpsd JSON written) against PyPI's pyais decoding
# the same sentences, in the same run, each on one core. Decoding alone (no JSON) is measured by
# `cargo bench -p truceline-ais` (criterion).
#   bench/ais/run.sh [MESSAGES]   (default 1,000,000 sentences for ours; pyais gets a tenth)
# The input is a real receiver's stream (gpsd's test log ais-nmea.log: position reports,
# static data, binary messages) repeated. Prints messages a second of each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
work=$PWD/target/bench-ais
py=$PWD/target/bench-pyenv
mkdir -p "$work"
cargo build --release -q -p truceline
bin=$PWD/target/release/truceline
if ! "$py/bin/python" -c 'import pyais' 2>/dev/null; then
    echo "installing pyais (PyPI) into target/bench-pyenv" >&2
    [ -x "$py/bin/python" ] || python3 -m venv "$py"
    "$py/bin/pip" install -q --disable-pip-version-check pyais==3.3.1 >/dev/null
fi
grep '^!AIVDM' crates/ais/tests/data/gpsd/ais-nmea.log > "$work/one.nmea"
per=$(wc -l < "$work/one.nmea")
python3 - "$work/one.nmea" "$work/big.nmea" "$N" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines(keepends=True)
n = int(sys.argv[3])
with open(sys.argv[2], "w") as out:
    written = 0
    while written < n:
        # Whole messages only: a two-sentence message is never split across the end.
        out.writelines(lines)
        written += len(lines)
PY
lines=$(wc -l < "$work/big.nmea")
head -n $((lines / 10 / per * per)) "$work/big.nmea" > "$work/small.nmea"
small=$(wc -l < "$work/small.nmea")
taskset -c 0 true 2>/dev/null && pin="taskset -c 0" || pin=""

# Best of three, JSON written to /dev/null: decoding and formatting, not the disk.
best=""
for _ in 1 2 3; do
    start=$(date +%s.%N)
    $pin "$bin" ais decode "$work/big.nmea" --out /dev/null 2>"$work/ours.err"
    end=$(date +%s.%N)
    best=$(python3 -c "b='$best'; t=$end-$start; print(t if not b or t < float(b) else b)")
done
ours_msgs=$(sed -n 's/^\([0-9]*\) messages from.*/\1/p' "$work/ours.err")
ours_rate=$(python3 -c "print(round($ours_msgs / $best))")

theirs=$($pin "$py/bin/python" - "$work/small.nmea" <<'PY'
import sys, time
from pyais.stream import FileReaderStream
t = time.perf_counter()
n = 0
for msg in FileReaderStream(sys.argv[1]):
    msg.decode()
    n += 1
print(n, time.perf_counter() - t)
PY
)
read -r their_msgs their_secs <<<"$theirs"
their_rate=$(python3 -c "print(round($their_msgs / $their_secs))")
echo "input: $lines sentences (gpsd's ais-nmea.log, $per sentences, repeated); pyais given $small"
printf "%-40s %12s msgs/s  (%s messages)\n" "truceline ais decode (gpsd JSON out)" "$ours_rate" "$ours_msgs"
printf "%-40s %12s msgs/s  (%s messages)\n" "pyais 3.3.1 decode()" "$their_rate" "$their_msgs"
python3 -c "print(f'ratio: {$ours_rate / $their_rate:.1f}x pyais')"
