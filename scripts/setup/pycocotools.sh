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
pip_install() { "$PY" -m pip install --disable-pip-version-check --no-input --only-binary=:all: "$@" "pycocotools==$VERSION"; }
if ! out=$(pip_install 2>&1); then
  echo "$out" | tail -5
  if echo "$out" | grep -q externally-managed-environment; then
    # Debian's system python refuses pip installs (PEP 668); this is a throwaway CI machine.
    pip_install --break-system-packages
  else
    exit 1
  fi
fi
"$PY" -c 'import sys, pycocotools.cocoeval, numpy; print("pycocotools ok for", sys.executable, "numpy", numpy.__version__)'
