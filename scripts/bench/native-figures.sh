#!/usr/bin/env bash
# The native engine's figures (README "Measured figures"), one command each, in one run, with the load before
# each: model speed against torchvision (R-50-FPN 512x512), graph vs eager, fp32 vs bf16, wasm; the paper's
# setting (R-101-FPN at 800x1333, batch 1 and 4) on native fp32/bf16 and wasm; the whole pipeline with an
# R-101-FPN at 800 px on the native backend; training speed of the demo config, native vs wasm.
#   bash scripts/bench/native-figures.sh [OUT.log]        (~30 min on 2 cores; run it on a quiet machine)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${1:-/tmp/native-figures.log}"
rs() { node bin/retinastream.js "$@"; }
step() { echo; echo "== $* [$(uptime | sed 's/.*load/load/')]"; }
exec > >(tee "$out") 2>&1

step "bench model R-50-FPN 512x512 batch 1: native fp32 (graph) vs torchvision, three alternating rounds"
rs bench model --backend tensorflow --depth 50 --size 512x512 --iters 8 --rounds 3
step "same, native fp32 eager (op by op)"
rs bench model --backend tensorflow --depth 50 --size 512x512 --iters 5 --execution eager --no-reference
step "same, native bf16 (graph in bfloat16) vs torchvision (fp32), three alternating rounds"
rs bench model --backend tensorflow --depth 50 --size 512x512 --iters 8 --precision bf16 --rounds 3
step "same, native fp32, 2 worker threads"
rs bench model --backend tensorflow --depth 50 --size 512x512 --iters 3 --workers 2 --no-reference
step "same, native fp32, 2 worker threads with one TensorFlow intra-op thread each"
TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 rs bench model --backend tensorflow --depth 50 --size 512x512 --iters 3 --workers 2 --no-reference
step "same, native fp32, batch 4"
rs bench model --backend tensorflow --depth 50 --size 512x512 --iters 2 --batch 4 --no-reference
step "same, wasm (2 worker threads)"
rs bench model --backend wasm --depth 50 --size 512x512 --iters 2 --no-reference

for b in 1 4; do
  step "bench model R-101-FPN 800x1344 batch $b: native fp32"
  rs bench model --backend tensorflow --depth 101 --size 800x1344 --batch "$b" --iters 2 --no-reference
  step "bench model R-101-FPN 800x1344 batch $b: native bf16"
  rs bench model --backend tensorflow --depth 101 --size 800x1344 --batch "$b" --iters 2 --precision bf16 --no-reference
done
step "bench model R-101-FPN 800x1344 batch 1: wasm (2 worker threads)"
rs bench model --backend wasm --depth 101 --size 800x1344 --batch 1 --iters 1 --no-reference

step "bench pipeline: R-101-FPN (random weights, 4 head convs) at 1344x800, native"
model=$(mktemp -d)
node --import tsx -e "
  const { defaultModelConfig } = await import('./src/model/config.ts');
  const { benchWeights } = await import('./src/model/init.ts');
  const { saveModelDir } = await import('./src/model/modelDir.ts');
  const c = defaultModelConfig({ name: 'bench_random_r101_h4', backbone: { depth: 101 }, input: { minSize: 800, maxSize: 1344 } });
  await saveModelDir(process.argv[1], c, benchWeights(c, 0));
" "$model"
rs bench pipeline --backend tensorflow --model "$model" --canvas 1344x800 --streams 2 --file-seconds 2 --max-batch 2 \
  --live-streams 2 --live-seconds 30 --ws-clients 0 --no-kafka
rm -rf "$model"

step "training speed, demo config, 30 iterations: native vs wasm"
[ -f .cache/demo-data/train/annotations.json ] || node --import tsx scripts/make-demo-data.ts --only data
for backend in tensorflow wasm; do
  cfg=$(mktemp --suffix=.json)
  node -e "
    const c = JSON.parse(require('fs').readFileSync('config/train/demo.json', 'utf8'));
    const d = require('os').tmpdir() + '/rs-train-bench-$backend';
    Object.assign(c, { checkpointDir: d + '/checkpoint', logPath: d + '/log.jsonl', out: d + '/out', warmupIters: 5 });
    require('fs').writeFileSync(process.argv[1], JSON.stringify(c));
  " "$cfg"
  rm -rf "/tmp/rs-train-bench-$backend"
  rs train --config "$cfg" --backend "$backend" --iters 30 2>&1 | tail -1
  rm -f "$cfg"
done
step "demo video AP through the pipeline (run defaults -> JSONL -> eval), native fp32 and bf16"
for p in fp32 bf16; do
  rs run --backend tensorflow --precision "$p" --no-ws --jsonl "/tmp/rs-demo-$p.jsonl" 2>/dev/null
  echo "precision $p:"; rs eval --dataset assets/demo/demo.gt.json --results "/tmp/rs-demo-$p.jsonl" | head -3
done
step "distance to torchvision's fp32 detections: ours bf16 and torchvision's own bf16 (bf16 parity test diagnostics)"
RETINASTREAM_TEST_BACKENDS=tensorflow node scripts/run-tests.mjs test/model/torchvisionParityBf16.test.ts 2>&1 | grep -E "confident|backend|passed"
step "done"
