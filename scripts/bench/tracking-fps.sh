#!/usr/bin/env bash
# Pipeline fps with tracking on vs off: 4 file streams of the demo video through the demo model, --min-score 0.1
# (65 detections a frame for the tracker), alternating on and off for ROUNDS rounds; prints wall time, the status
# line and the load of each run. The machine's load moves these by more than the tracker costs: compare rounds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
V=assets/demo/demo.mp4
ROUNDS="${ROUNDS:-3}"
for round in $(seq "$ROUNDS"); do
  for mode in on off; do
    flag=()
    [ "$mode" = off ] && flag=(--no-track)
    load=$(uptime | sed 's/.*load/load/')
    s=$(date +%s.%N)
    err=$(node bin/retinastream.js run --input a=$V --input b=$V --input c=$V --input d=$V --no-ws --jsonl /dev/null \
      --status-interval-ms 0 --min-score 0.1 "${flag[@]}" 2>&1 >/dev/null | tail -1)
    e=$(date +%s.%N)
    echo "round $round tracking $mode: $(echo "$e - $s" | bc) s; $err; at start $load"
  done
done
