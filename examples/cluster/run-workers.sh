#!/bin/sh
# Runs cluster workers on this machine the way retinastream-worker@.service does: its Environment= lines
# (variables already set in the environment win, as /etc/retinastream/cluster.env does for the unit) and its
# ExecStart= line with %i = each worker name and %H = the host name.
#   usage: run-workers.sh NAME... [-- extra run flags]      e.g. run-workers.sh 1 2 3 -- --backend wasm
#   RETINASTREAM_BIN: the command (default: retinastream; e.g. "node /opt/retinastream/bin/retinastream.js")
# One name: the worker replaces this shell (same pid, signals go straight to it). Several: Ctrl-C or SIGTERM
# stops them all.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
unit="$here/retinastream-worker@.service"
names=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do names="$names $1"; shift; done
[ $# -gt 0 ] && shift
[ -n "$names" ] || { echo "run-workers.sh: expected one or more worker names (the unit's %i)" >&2; exit 2; }

# Environment=NAME=VALUE, unless NAME is set already
for kv in $(sed -n 's/^Environment=//p' "$unit"); do
  name=${kv%%=*}
  eval "[ -n \"\${$name+x}\" ]" || export "$kv"
done
exec_start=$(sed -n 's/^ExecStart=\/usr\/bin\/env retinastream //p' "$unit")
[ -n "$exec_start" ] || { echo "run-workers.sh: no ExecStart=/usr/bin/env retinastream ... line in $unit" >&2; exit 1; }
bin=${RETINASTREAM_BIN:-retinastream}
host=$(hostname)

args_for() {
  echo "$exec_start" | sed "s/%H/$host/g; s/%i/$1/g"
}

set -- "$@"
count=$(echo $names | wc -w)
if [ "$count" -eq 1 ]; then
  # shellcheck disable=SC2046,SC2086
  exec $bin $(args_for $names) "$@"
fi
pids=""
for n in $names; do
  # shellcheck disable=SC2046,SC2086
  $bin $(args_for "$n") "$@" &
  pids="$pids $!"
done
trap 'kill -TERM $pids 2>/dev/null; wait' INT TERM
wait
