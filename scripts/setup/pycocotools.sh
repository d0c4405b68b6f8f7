#!/usr/bin/env bash
# Installs pycocotools (the reference COCO evaluation) for python3, used by test/eval (live parity
# test) and tools/eval (fixture generator, benchmark). Idempotent. Uses prebuilt manylinux wheels
# only (no compiler); numpy comes in as a dependency. PYTHON=... picks another interpreter.
set -euo pipefail
PY="${PYTHON:-python3}"
VERSION=2.0.11
if "$PY" -c 'import pycocotools.cocoeval, numpy' 2>/dev/null; then
  echo "pycocotools already installed for $("$PY" -c 'import sys; print(sys.executable)'): $("$PY" -c 'import importlib.metadata as m; print(m.version("pycocotools"))')"
  exit 0
fi
. "$(dirname "${BASH_SOURCE[0]}")/pip-pinned.sh"
pip_install_pinned "$PY" "pycocotools==$VERSION"
"$PY" -c 'import sys, pycocotools.cocoeval, numpy; print("pycocotools ok for", sys.executable, "numpy", numpy.__version__)'
