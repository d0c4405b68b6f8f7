// retinastream bench model|pipeline|tracking: commands that print speed (and tracking accuracy) figures (not timed tests).
//   bench model: images/s of our engine vs torchvision's eager CPU model, same architecture, input and batch.
//   bench pipeline: see pipelineBench.ts.
//   bench tracking: see trackingBench.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrecision, type Precision } from '../../backend/precision.ts';
import { describeBackend, selectBackend } from '../../backend/select.ts';
import { forwardMacs } from '../../model/flops.ts';
import { defaultModelConfig, type Depth } from '../../model/config.ts';
import { createDetector, type CanvasBatch } from '../../model/detector.ts';
import { benchWeights } from '../../model/init.ts';
import { saveModelDir } from '../../model/modelDir.ts';
import { DetectorPool } from '../../model/workers/detectorPool.ts';
import { matmulPeak } from '../../bench/matmulPeak.ts';
import { PROJECT_ROOT } from '../../config/runConfig.ts';
import { intFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export interface ModelBenchResult {
  engine: string;
  depth: number;
  input: [number, number];
  batch: number;
  workers: number;
  images_per_s: number;
  /** Multiply-accumulates per image (convolutions). */
  gmacs_per_image?: number;
  gflops_per_s?: number;
  execution?: string;
}

function canvasBatch(n: number, h: number, w: number, seed = 1): CanvasBatch {
  const data = new Uint8Array(n * h * w * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { data, count: n, height: h, width: w, geometry: Array.from({ length: n }, () => ({ resized: [h, w] as [number, number], source: [h, w] as [number, number] })) };
}

/** Our engine: `workers` threads, each with the model, kept busy with `iters` batches each. */
export async function benchOurs(o: {
  depth: Depth;
  height: number;
  width: number;
  batch: number;
  iters: number;
  workers: number;
  backend?: string;
  precision?: Precision;
  execution?: 'graph' | 'eager';
}): Promise<ModelBenchResult & { backend: string; precision: Precision; cpuNative: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'rs-bench-'));
  try {
    const cfg = defaultModelConfig({ name: `bench_r${o.depth}`, backbone: { depth: o.depth }, input: { minSize: Math.min(o.height, o.width), maxSize: Math.max(o.height, o.width) } });
    await saveModelDir(dir, cfg, benchWeights(cfg, 0));
    const choice = await selectBackend(o.backend, { precision: o.precision }); // in this thread first: precision is set as TensorFlow loads
    const gmacs = forwardMacs(cfg, o.height, o.width) / 1e9;
    const make = () => canvasBatch(o.batch, o.height, o.width);
    let result: ModelBenchResult & { backend: string };
    if (o.workers <= 1) {
      const d = await createDetector({ model: dir, backend: o.backend, precision: o.precision, execution: o.execution });
      await d.detectCanvases(make()); // warm-up
      const t = performance.now();
      for (let i = 0; i < o.iters; i++) await d.detectCanvases(make());
      const s = (performance.now() - t) / 1000;
      result = { engine: 'retinastream', backend: describeBackend(d.backend), execution: d.net.execution, depth: o.depth, input: [o.height, o.width], batch: o.batch, workers: 1, images_per_s: (o.iters * o.batch) / s };
      d.dispose();
    } else {
      const pool = await DetectorPool.create(dir, o.workers, { backend: o.backend, precision: o.precision, execution: o.execution });
      await Promise.all(Array.from({ length: o.workers }, () => pool.detectCanvases(make()))); // warm-up each worker
      const t = performance.now();
      await Promise.all(Array.from({ length: o.iters * o.workers }, () => pool.detectCanvases(make())));
      const s = (performance.now() - t) / 1000;
      await pool.close();
      result = { engine: 'retinastream', backend: describeBackend(pool.backend), execution: o.execution ?? (choice.native ? 'graph' : 'eager'), depth: o.depth, input: [o.height, o.width], batch: o.batch, workers: o.workers, images_per_s: (o.iters * o.workers * o.batch) / s };
    }
    const cpuNative = choice.native !== undefined && !choice.native.usingGpu;
    return { ...result, precision: choice.precision, cpuNative, gmacs_per_image: gmacs, gflops_per_s: 2 * gmacs * result.images_per_s };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** torchvision's eager model on the same machine (Debian python3-torchvision), via tools/reference/bench_tv.py. */
export function benchTorchvision(o: { depth: number; height: number; width: number; batch: number; iters: number; threads: number }): Record<string, unknown> {
  const script = join(PROJECT_ROOT, 'tools', 'reference', 'bench_tv.py');
  const args = [script, '--depth', String(o.depth), '--min-size', String(o.height), '--max-size', String(o.width), '--batch', String(o.batch), '--iters', String(o.iters), '--threads', String(o.threads)];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torchvision reference failed (/usr/bin/python3 ${args.join(' ')}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, unknown>;
}

export async function benchModelCommand(argv: string[]): Promise<number> {
  const { values } = parse('bench model', argv, {
    depth: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    iters: { type: 'string' },
    workers: { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
    execution: { type: 'string' },
    'no-reference': { type: 'boolean' },
    rounds: { type: 'string' },
    json: { type: 'boolean' },
  });
  const depth = intFlag('depth', values.depth, 50) as Depth;
  if (![18, 34, 50, 101].includes(depth)) throw new UsageError(`--depth: ${depth} is not one of 18, 34, 50, 101`);
  const m = /^(\d+)x(\d+)$/.exec(values.size ?? '640x640');
  if (!m) throw new UsageError(`--size: "${values.size}" is not HEIGHTxWIDTH`);
  const [height, width] = [Number(m[1]), Number(m[2])];
  if (height % 32 || width % 32) throw new UsageError(`--size: ${height}x${width} must be multiples of 32 (the padded input size)`);
  if (height > width) throw new UsageError(`--size: ${height}x${width}: give HEIGHTxWIDTH with height <= width (landscape)`);
  const batch = intFlag('batch', values.batch, 1, 1, 64);
  const iters = intFlag('iters', values.iters, 3, 1, 1000);
  const precision = parsePrecision(values.precision);
  if (values.execution !== undefined && values.execution !== 'graph' && values.execution !== 'eager') throw new UsageError(`--execution: "${values.execution}" is not graph or eager`);
  const workers = intFlag('workers', values.workers, DetectorPool.defaultSize(), 1, 64);
  const rounds = intFlag('rounds', values.rounds, 1, 1, 100);
  const reference = !values['no-reference'];
  // --rounds N: ours and torchvision alternate N times, each side's images/s over all its rounds (the same number
  // of images per round, so the harmonic mean): torchvision alone moved by 18% between two runs on a shared machine
  const perRound: { ours: number; torchvision: number | null }[] = [];
  let ours!: Awaited<ReturnType<typeof benchOurs>>;
  let tv: Record<string, unknown> | null = null;
  for (let r = 0; r < rounds; r++) {
    ours = await benchOurs({ depth, height, width, batch, iters, workers, backend: values.backend, precision, execution: values.execution as 'graph' | 'eager' | undefined });
    // torchvision gets every core, as our engine uses every core (TensorFlow's pools, or one wasm worker per core)
    if (reference) tv = benchTorchvision({ depth, height, width, batch, iters, threads: availableParallelism() });
    perRound.push({ ours: ours.images_per_s, torchvision: tv ? (tv.images_per_s as number) : null });
  }
  const harmonic = (xs: number[]) => xs.length / xs.reduce((a, x) => a + 1 / x, 0);
  ours = { ...ours, images_per_s: harmonic(perRound.map((p) => p.ours)) };
  ours.gflops_per_s = 2 * ours.gmacs_per_image! * ours.images_per_s;
  if (tv) tv = { ...tv, images_per_s: harmonic(perRound.map((p) => p.torchvision!)) };
  // the rate this TensorFlow's matmul reaches here, in fp32 and (for a bf16 run) bf16: what the model's GFLOP/s
  // is set against (on the CPU; the native backend is active in this thread after benchOurs)
  const peaks: Partial<Record<Precision, number>> = {};
  if (ours.cpuNative) for (const p of ours.precision === 'bf16' ? (['fp32', 'bf16'] as const) : (['fp32'] as const)) peaks[p] = await matmulPeak(p);
  const peakText = Object.keys(peaks).length ? ` (a 4096x4096 MatMul on the same TensorFlow build: ${Object.entries(peaks).map(([p, v]) => `${p} ${v.toFixed(0)}`).join(', ')} GFLOP/s)` : '';
  const each = (pick: (p: (typeof perRound)[number]) => number) => (rounds > 1 ? `; rounds ${perRound.map((p) => pick(p).toFixed(3)).join(', ')}` : '');
  const lines = [
    `retinastream  R-${depth}-FPN ${height}x${width} batch ${batch}: ${ours.images_per_s.toFixed(3)} images/s (${ours.backend}, ${ours.execution} execution, ${ours.workers} worker thread(s)${each((p) => p.ours)})`,
    `              ${ours.gmacs_per_image!.toFixed(1)} GMACs/image: ${ours.gflops_per_s!.toFixed(0)} GFLOP/s${peakText}`,
  ];
  let ratio: number | null = null;
  if (tv) {
    ratio = ours.images_per_s / (tv.images_per_s as number);
    lines.push(`torchvision   R-${depth}-FPN ${height}x${width} batch ${batch}: ${(tv.images_per_s as number).toFixed(3)} images/s (torch ${tv.torch}, ${tv.threads} threads, eager CPU${each((p) => p.torchvision!)})`);
    lines.push(`ratio (ours / torchvision): ${ratio.toFixed(2)}x${rounds > 1 ? ` (rounds ${perRound.map((p) => (p.ours / p.torchvision!).toFixed(2)).join(', ')})` : ''}`);
  }
  process.stdout.write(values.json ? JSON.stringify({ ours: { ...ours, matmul_gflops_per_s: peaks }, torchvision: tv, ratio, rounds: perRound }) + '\n' : lines.join('\n') + '\n');
  return 0;
}

export async function benchCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'model') return benchModelCommand(rest);
  if (what === 'pipeline') return (await import('./pipelineBench.ts')).benchPipelineCommand(rest);
  if (what === 'tracking') return (await import('./trackingBench.ts')).benchTrackingCommand(rest);
  if (what === 'cluster') return (await import('./clusterBench.ts')).benchClusterCommand(rest);
  throw new UsageError(`retinastream bench: expected "model", "pipeline", "tracking" or "cluster", got ${what === undefined ? 'nothing' : `"${what}"`}`);
}
