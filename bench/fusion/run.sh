#!/usr/bin/env bash
# bench/fusion: the accuracy harness. Simulates 24-hour scenarios over the illustrative agreement,
# fuses each with `truceline fuse`, and scores the incidents against the ground truth by SPEC 2.5
# (bench/fusion/score.py), next to the naive count of one entry per observation. Several seeds and
# scenarios whose parameters differ from the defaults, so that nothing is tuned to one; two with
# rocket launchers' ripples (rounds 0.5–2.5 s apart, some posts logging a ripple as one line).
# bench/fusion/ripple_curve.sh gives F1 against the rounds' spacing; bench/fusion/scale.sh the
# online engine against the length of history.
# Usage: bench/fusion/run.sh [HOURS]   (default 24)
set -euo pipefail
cd "$(dirname "$0")/../.."
HOURS=${1:-24}
work=$(mktemp -d /tmp/truceline-bench-fusion.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release -p truceline
bin=target/release/truceline
agreement=examples/donbas/agreement.toml

# name | simulate flags | fuse flags
scenarios=(
  "seed 1|--seed 1|"
  "seed 2|--seed 2|"
  "posts 8 km, seed 3|--seed 3 --post-spacing-km 8|"
  "clocks ±4 s, seed 4|--seed 4 --clock-error-s 4|--clock-error-s 4"
  "8 % false, seed 5|--seed 5 --false-alarm-rate 0.08|"
  "1.5× fire, seed 6|--seed 6 --fire-missions-per-hour 100 --small-arms-per-hour 45|"
  "0 % false, seed 7|--seed 7 --false-alarm-rate 0|"
  "posts 5 km, 30 missions, seed 10|--seed 10 --post-spacing-km 5 --fire-missions-per-hour 30|"
  "ripples 2–2.5 s, seed 8|--seed 8 --ripples-per-hour 4 --ripple-spacing-min-s 2 --ripple-spacing-max-s 2.5 --ripple-rounds-max 20|"
  "ripples 0.5–2.5 s, seed 9|--seed 9 --ripples-per-hour 4|"
)
rows=()
for s in "${scenarios[@]}"; do
  IFS='|' read -r name sim fuse <<<"$s"
  echo "scenario: $name" >&2
  # shellcheck disable=SC2086
  $bin simulate --agreement $agreement --hours "$HOURS" $sim \
    --observations "$work/obs.ndjson" --truth "$work/truth.ndjson" 2>/dev/null
  # One core, as the goal is stated; the best of five runs, as a shared machine's timings vary
  # by a third from one minute to the next.
  speed=0
  for _ in 1 2 3 4 5; do
    # shellcheck disable=SC2086
    s=$(taskset -c 0 $bin fuse --agreement $agreement --in "$work/obs.ndjson" --out "$work/inc.ndjson" $fuse 2>&1 |
      sed -n 's/.*(\([0-9]*\) observations\/s).*/\1/p')
    if [ "$s" -gt "$speed" ]; then speed=$s; fi
  done
  score=$(python3 bench/fusion/score.py "$work/obs.ndjson" "$work/truth.ndjson" "$work/inc.ndjson")
  rows+=("$name|$speed|$score")
done
python3 - "${rows[@]}" <<'PY'
import json, sys
rows = [r.split("|", 2) for r in sys.argv[1:]]
cols = [("real events", "real_events", "{:,}"), ("events seen", "events_seen", "{:,}"), ("observers", "observers", "{}"),
        ("observations", "observations", "{:,}"), ("incidents", "incidents", "{:,}"),
        ("count error", "count_error", "{:+.1%}"),
        ("  of it false alarms", "false_alarm_incidents_share", "{:+.1%}"),
        ("  the rest", "count_error_without_false_alarm_incidents", "{:+.1%}"),
        ("    explosions", "count_error_explosions", "{:+.1%}"), ("    small arms", "count_error_small_arms", "{:+.1%}"),
        ("    weapons seen", "count_error_weapons", "{:+.1%}"),
        ("naive count error", "naive_count_error", "{:+.0%}"),
        ("B-cubed P", "bcubed_precision", "{:.3f}"), ("B-cubed R", "bcubed_recall", "{:.3f}"),
        ("B-cubed F1", "bcubed_f1", "{:.3f}"), ("  ripple rounds seen", "ripple_rounds_seen", "{:,}"),
        ("  their B-cubed F1", "ripple_bcubed_f1", "{:.3f}"), ("located events", "located_events_scored", "{:,}"),
        ("error median m", "location_error_median_m", "{:.0f}"), ("error p90 m", "location_error_p90_m", "{:.0f}"),
        ("error RMS m", "location_error_rms_m", "{:.0f}"), ("CRB median m", "crb_median_m", "{:.0f}"),
        ("error/bound median", "error_over_bound_median", "{:.2f}"), ("error/bound p90", "error_over_bound_p90", "{:.2f}"),
        ("attributed", "attributed_share", "{:.1%}"), ("attribution precision", "attribution_precision", "{:.3f}")]
w = 20
print(f"{'':24}" + "".join(f"{r[0][:w - 1]:>{w}}" for r in rows))
for label, key, fmt in cols:
    print(f"{label:24}" + "".join(f"{fmt.format(json.loads(r[2])[key]):>{w}}" for r in rows))
print(f"{'fuse obs/s, best of 5':24}" + "".join(f"{int(r[1]):>{w},}" for r in rows))
print()
print("goals: count error within ±3 %; B-cubed F1 >= 0.97; error/bound median <= 1 and p90 <= 2;")
print("       attribution precision >= 0.95; >= 200,000 observations/s on one core")
PY
