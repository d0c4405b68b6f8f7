#!/usr/bin/env bash
# Installs the tracking references for python3: TrackEval (HOTA, CLEAR MOTA, Identity IDF1; the MOTChallenge
# scorer) and supervision's ByteTrack (the reference tracker; supervision 0.27+ no longer ships ByteTrack), used
# by `retinastream bench tracking` and test/cli/commands/trackingBench.test.ts. Idempotent. Prebuilt wheels only
# (numpy, scipy, opencv-python come in as dependencies). PYTHON=... picks another interpreter.
set -euo pipefail
PY="${PYTHON:-python3}"
TRACKEVAL=1.3.0
SUPERVISION=0.26.1
have() { "$PY" - <<PYEOF 2>/dev/null
import importlib.metadata as m, sys
import trackeval.metrics, supervision
sys.exit(0 if (m.version("trackeval"), m.version("supervision")) == ("$TRACKEVAL", "$SUPERVISION") else 1)
PYEOF
}
if have; then
  echo "trackeval $TRACKEVAL and supervision $SUPERVISION already installed for $("$PY" -c 'import sys; print(sys.executable)')"
  exit 0
fi
. "$(dirname "${BASH_SOURCE[0]}")/pip-pinned.sh"
pip_install_pinned "$PY" "trackeval==$TRACKEVAL" "supervision==$SUPERVISION"
have || { echo "trackeval/supervision not importable after install" >&2; exit 1; }
"$PY" -W ignore -c 'import sys, importlib.metadata as m; print("tracking references ok for", sys.executable, "trackeval", m.version("trackeval"), "supervision", m.version("supervision"))'
