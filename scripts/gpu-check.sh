#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds the GPU backend (TensorFlow 2.21 with its CUDA 12 wheels from PyPI),
# checks that TensorFlow places ops on the GPU, runs the torchvision parity test on it, and prints `bench model`
# figures for the paper's setting, R-101-FPN at 800x1333 (padded to 800x1344), batch 1 and 8, on the GPU and,
# for comparison, on the CPU build.
#
# Usage: bash scripts/gpu-check.sh [--skip-build] [--iters N]
# Needs: the NVIDIA driver (nvidia-smi); everything else comes from PyPI and npm. Prints one figure per line and
# exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=1
iters=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-build) build=0 ;;
    --iters) iters="$2"; shift ;;
    *) echo "gpu-check: unknown argument '$1' (expected --skip-build, --iters N)" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU visible (nvidia-smi -L failed): nothing to check on this machine" >&2
  exit 2
fi
echo "== GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
echo "== load: $(uptime)"

if [[ $build == 1 ]]; then
  bash scripts/setup/native/build.sh --gpu
fi

echo "== backend"
node bin/retinastream.js info models/demo --backend tensorflow-gpu | grep '^backend'

echo "== torchvision parity on the GPU"
RETINASTREAM_TEST_BACKENDS=tensorflow-gpu npm test -- test/model/torchvisionParity.test.ts

for backend in tensorflow-gpu tensorflow; do
  for batch in 1 8; do
    echo "== bench model: R-101-FPN 800x1344, batch $batch, $backend"
    node bin/retinastream.js bench model --backend "$backend" --depth 101 --size 800x1344 --batch "$batch" \
      --iters "$iters" --workers 1 --no-reference
  done
done
echo "== done: $(uptime)"
