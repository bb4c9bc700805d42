#!/usr/bin/env bash
# bench/fusion/ripple_curve.sh: fusion of rocket launchers' ripples against the interval between
# their rounds. Each point is the default scenario (other fire, small arms, false alarms) with
# eight ripples an hour of 6–40 rounds at that interval, some posts logging a whole ripple as one
# line with a count; B-cubed F1 is given over the ripples' rounds (the observations of events the
# truth marks `ripple`) and over everything, with the count error of real events. Two seeds a
# point.
# Usage: bench/fusion/ripple_curve.sh [HOURS]   (default 12)
set -euo pipefail
cd "$(dirname "$0")/../.."
HOURS=${1:-12}
work=$(mktemp -d /tmp/truceline-bench-ripple.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release -p truceline
bin=target/release/truceline
a=examples/donbas/agreement.toml
rows=()
for spacing in 0.5 0.75 1.0 1.25 1.5 2.0 2.5 3.0; do
  for seed in 31 32; do
    $bin simulate --agreement $a --seed $seed --hours "$HOURS" \
      --ripples-per-hour 8 --ripple-spacing-min-s $spacing --ripple-spacing-max-s $spacing \
      --observations "$work/obs.ndjson" --truth "$work/truth.ndjson" 2>/dev/null
    $bin fuse --agreement $a --in "$work/obs.ndjson" --out "$work/inc.ndjson" 2>/dev/null
    rows+=("$spacing|$seed|$(python3 bench/fusion/score.py "$work/obs.ndjson" "$work/truth.ndjson" "$work/inc.ndjson")")
  done
done
python3 - "${rows[@]}" <<'PY'
import json, sys
from collections import defaultdict
by = defaultdict(list)
for r in sys.argv[1:]:
    spacing, seed, score = r.split("|", 2)
    by[float(spacing)].append(json.loads(score))
print(f"{'spacing s':>10} {'rounds seen':>12} {'ripple P':>9} {'ripple R':>9} {'ripple F1':>10} {'all F1':>7} {'count error (the rest)':>23}")
for s in sorted(by):
    xs = by[s]
    mean = lambda k: sum(x[k] for x in xs) / len(xs)
    print(f"{s:>10.2f} {sum(x['ripple_rounds_seen'] for x in xs):>12,} {mean('ripple_bcubed_precision'):>9.3f} "
          f"{mean('ripple_bcubed_recall'):>9.3f} {mean('ripple_bcubed_f1'):>10.3f} {mean('bcubed_f1'):>7.3f} "
          f"{mean('count_error_without_false_alarm_incidents'):>+23.1%}")
print()
print("goals: count error within ±3 %, B-cubed F1 >= 0.95 (means of two seeds a point)")
PY
