#!/usr/bin/env bash
# Trains the shipped demo model (models/demo) and evaluates it, as described in docs/training.md.
#   scripts/train-demo.sh            regenerate the data if missing, train (resuming a checkpoint if one
#                                    exists), evaluate on the held-out val set and on the demo video
#   ITERS=3000 scripts/train-demo.sh  a different run length (resuming a checkpoint lengthens that run)
# Long: ~1 h on one core with the wasm backend (models/demo/README.md). Run it under nohup; a checkpoint is
# written every 100 iterations to .cache/train/demo/checkpoint (itself a loadable model directory). The
# model directory is written as float16 (6.7 MB), as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=config/train/demo.json
CK=.cache/train/demo/checkpoint
ITERS_FLAG=()
[ -n "${ITERS:-}" ] && ITERS_FLAG=(--iters "$ITERS")

if [ ! -f .cache/demo-data/train/annotations.json ] || [ ! -f .cache/demo-data/val/annotations.json ]; then
  node --import tsx scripts/make-demo-data.ts --only data
fi

RESUME=()
[ -f "$CK/trainer-state.json" ] && RESUME=(--resume)
node bin/retinastream.js train --config "$CONFIG" --backend wasm --weights-dtype f16 "${RESUME[@]}" "${ITERS_FLAG[@]}"

echo "== held-out val set (200 images)"
node bin/retinastream.js eval --model models/demo --dataset .cache/demo-data/val/annotations.json --images .cache/demo-data/val/images

echo "== demo video (assets/demo/demo.mp4)"
node bin/retinastream.js run --model models/demo --no-ws --jsonl /tmp/retinastream-demo-events.jsonl
node bin/retinastream.js eval --dataset assets/demo/demo.gt.json --results /tmp/retinastream-demo-events.jsonl
