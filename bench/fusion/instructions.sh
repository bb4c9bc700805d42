#!/usr/bin/env bash
# bench/fusion/instructions.sh: instructions, not seconds, for fusing and judging a day (callgrind
# counts the same on a busy machine as on a quiet one), on three scenarios of the harness: seed 1,
# the densest (seed 6, 1.5× fire) and ripples 0.5–2.5 s apart (seed 9). Prints instructions in
# all and per observation, and the rate one core would reach at the instructions per second the
# same binary sustains when it is timed (`truceline fuse` says its rate) — so that the margin
# over 200,000 observations/s can be read without trusting one minute's timing.
# Usage: bench/fusion/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { apt-get install -y valgrind >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y valgrind >/dev/null; }; }
work=$(mktemp -d /tmp/truceline-bench-instr.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release -p truceline
bin=target/release/truceline
a=examples/donbas/agreement.toml
printf '%-26s %12s %16s %12s %14s\n' scenario observations instructions "per obs" "timed obs/s"
for s in "seed 1|--seed 1" "1.5× fire, seed 6|--seed 6 --fire-missions-per-hour 100 --small-arms-per-hour 45" \
         "ripples 0.5–2.5 s, seed 9|--seed 9 --ripples-per-hour 4"; do
  IFS='|' read -r name sim <<<"$s"
  # shellcheck disable=SC2086
  $bin simulate --agreement $a $sim --hours 24 --observations "$work/obs.ndjson" --truth /dev/null 2>/dev/null
  n=$(wc -l <"$work/obs.ndjson")
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" --toggle-collect='*fuse_and_judge*' \
    $bin fuse --agreement $a --in "$work/obs.ndjson" --out /dev/null >/dev/null 2>&1
  ir=$(callgrind_annotate "$work/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
  best=0
  for _ in 1 2 3 4 5; do
    r=$(taskset -c 0 $bin fuse --agreement $a --in "$work/obs.ndjson" --out /dev/null 2>&1 |
      sed -n 's/.*(\([0-9]*\) observations\/s).*/\1/p')
    if [ "$r" -gt "$best" ]; then best=$r; fi
  done
  printf '%-26s %12s %16s %12s %14s\n' "$name" "$n" "$ir" "$((ir / n))" "$best"
done
