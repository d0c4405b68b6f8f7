#!/usr/bin/env bash
# Pipeline throughput with tracking on vs off: STREAMS file streams of the demo video through the demo model,
# --min-score 0.1 (about 65 detections a frame for the tracker), events to a JSONL file. Runs alternate
# on/off in ABBA order (on off, off on, ...) for ROUNDS rounds so that a drift in the machine's load hits both
# alike; each round gives one ratio fps(on) / fps(off), and the summary is the median ratio with its min-max.
# fps of a run = detection events / (last emitTime - first emitTime) over all streams: the steady rate,
# without process start and model load. Other work on the machine moves fps by more than the tracker costs, so
# each run also reports its CPU time (user + sys of the run and its ffmpeg children) per frame, which the load
# moves much less: cpu ratio = CPU per frame off / on (what the fps ratio is when the cores are the limit). With MAX_LOAD set, each run waits (up to WAIT_S seconds) until the
# 1-minute load average is below it; the load at the start of each run is printed either way.
#   ROUNDS=6 STREAMS=4 MAX_LOAD=1.5 bash scripts/bench/tracking-fps.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
V=assets/demo/demo.mp4
ROUNDS="${ROUNDS:-6}"
STREAMS="${STREAMS:-4}"
MAX_LOAD="${MAX_LOAD:-}"
WAIT_S="${WAIT_S:-300}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inputs=()
for i in $(seq "$STREAMS"); do inputs+=(--input "s$i=$V"); done
load1() { cut -d' ' -f1 /proc/loadavg; }

wait_load() {
  [ -z "$MAX_LOAD" ] && return 0
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }' && [ "$waited" -lt "$WAIT_S" ]; do
    sleep 10
    waited=$((waited + 10))
  done
}

fps_of() { # detection events per second between the first and the last emitTime
  python3 - "$1" <<'EOF'
import json, sys
from datetime import datetime
t = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("type") == "detections":
        t.append(datetime.fromisoformat(e["emitTime"].replace("Z", "+00:00")).timestamp())
print(f"{(len(t) - 1) / (max(t) - min(t)):.2f} {len(t)}")
EOF
}

run() { # mode -> prints "fps frames cpu-seconds load"
  local flag=()
  [ "$1" = off ] && flag=(--no-track)
  wait_load
  local load cpu
  load=$(load1)
  local TIMEFORMAT='%U %S'
  { time node bin/retinastream.js run "${inputs[@]}" --no-ws --jsonl "$tmp/out.jsonl" --status-interval-ms 0 \
    --min-score 0.1 "${flag[@]}" 2>"$tmp/err" >/dev/null; } 2>"$tmp/time" || { cat "$tmp/err" >&2; exit 1; }
  cpu=$(awk '{ print $1 + $2 }' "$tmp/time")
  echo "$(fps_of "$tmp/out.jsonl") $cpu $load"
}

ratios=()
cpuratios=()
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order=(on off); else order=(off on); fi
  declare -A fps=() cpu=()
  for mode in "${order[@]}"; do
    read -r f n c load < <(run "$mode") || { echo "the $mode run failed" >&2; exit 1; }
    fps[$mode]=$f
    cpu[$mode]=$c
    echo "round $round tracking $mode: $f fps ($n frames), $(awk -v c="$c" -v n="$n" 'BEGIN { printf "%.1f", c / n * 1000 }') ms CPU a frame, load $load at start"
  done
  r=$(awk -v a="${fps[on]}" -v b="${fps[off]}" 'BEGIN { printf "%.4f", a / b }')
  cr=$(awk -v a="${cpu[on]}" -v b="${cpu[off]}" 'BEGIN { printf "%.4f", b / a }')
  ratios+=("$r")
  cpuratios+=("$cr")
  echo "round $round ratio on/off: fps $r, cpu $cr"
  unset fps cpu
done
summary() { # label, ratios...
  local label=$1
  shift
  printf '%s\n' "$@" | sort -n | awk -v label="$label" '
    { r[NR] = $1 }
    END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
          printf "%s ratio tracking on/off: median %.3f, min %.3f, max %.3f over %d rounds\n", label, m, r[1], r[NR], NR }'
}
summary fps "${ratios[@]}"
summary cpu "${cpuratios[@]}"
echo "$(uptime | sed 's/.*load/load/') at the end"
