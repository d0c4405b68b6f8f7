#!/usr/bin/env bash
# Trains the shipped demo model (models/demo) and evaluates it, as described in docs/training.md.
#   scripts/train-demo.sh             make the data if missing, train both stages (each resuming its checkpoint
#                                     if one exists, skipped if its model exists), evaluate on the held-out set
#                                     and on the demo video through `run`'s defaults
#   ITERS=10000 scripts/train-demo.sh a different length of stage 2's second part (default 8000)
# Stage 1 (config/train/demo-stage1.json): from scratch on small images at half the video's scale,
#   8000 images (~16 min on the native backend; the shipped stage 1 ran on wasm in 64 min).
# Stage 2 (config/train/demo.json): from stage 1 at the video's scale (640x360-sized frames), in two parts, as
#   the shipped model was trained: 4000 iterations with the config's schedule (16000 images, ~95 min on the
#   native backend; its model goes to .cache/train/demo/model-4000), then resumed at 4000 as a run of 8000
#   iterations, whose schedule takes the learning rate back to 0.01 until 5333, 0.001 until 7111 and 0.0001 to
#   the end (another ~95 min), written to models/demo. Both stages checkpoint into
#   .cache/train/<stage>/checkpoint (a loadable model directory), so an interrupted run resumes where it was.
#   Long: run it under nohup. The model directory is written as float16, as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND=${BACKEND:-}
BACKEND_FLAG=()
[ -n "$BACKEND" ] && BACKEND_FLAG=(--backend "$BACKEND")

if [ ! -f .cache/demo-data/train/annotations.json ]; then
  node --import tsx scripts/make-demo-data.ts --only data
fi
if [ ! -f .cache/demo-data-640/val/annotations.json ]; then
  node --import tsx scripts/make-demo-data.ts --only data --data-dir .cache/demo-data-640 --train 6000 --val 300 \
    --image-size 720x405 --min-image-size 560x315 --object-size 10-160 --max-objects 14 --off-hue 0.5
fi

train() { # config checkpoint-dir [extra flags]
  local config=$1 ck=$2
  shift 2
  local resume=()
  [ -f "$ck/trainer-state.json" ] && resume=(--resume)
  node bin/retinastream.js train --config "$config" "${BACKEND_FLAG[@]}" "${resume[@]}" "$@"
}

[ -f .cache/train/demo-stage1/model/model.json ] || train config/train/demo-stage1.json .cache/train/demo-stage1/checkpoint
ck=.cache/train/demo/checkpoint
json_field() { node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))[process.argv[2]])" "$1" "$2"; }
first_part=$(json_field config/train/demo.json iterations) # 4000
done_iters=0
[ -f "$ck/trainer-state.json" ] && done_iters=$(json_field "$ck/trainer-state.json" iteration)
if [ "$done_iters" -lt "$first_part" ]; then
  train config/train/demo.json "$ck" --weights-dtype f16 --out .cache/train/demo/model-4000
fi
train config/train/demo.json "$ck" --weights-dtype f16 --iters "${ITERS:-8000}"

echo "== held-out val set (300 images at the video's scale)"
node bin/retinastream.js eval --model models/demo --dataset .cache/demo-data-640/val/annotations.json --images .cache/demo-data-640/val/images
echo "== demo video (assets/demo/demo.mp4) through run's defaults (live score threshold 0.3)"
node bin/retinastream.js run --no-ws --jsonl /tmp/retinastream-demo-events.jsonl --status-interval-ms 0
node bin/retinastream.js eval --dataset assets/demo/demo.gt.json --results /tmp/retinastream-demo-events.jsonl
echo "== demo video at the COCO evaluation setting (--min-score 0.05)"
node bin/retinastream.js run --no-ws --jsonl /tmp/retinastream-demo-events-005.jsonl --status-interval-ms 0 --min-score 0.05
node bin/retinastream.js eval --dataset assets/demo/demo.gt.json --results /tmp/retinastream-demo-events-005.jsonl
