// retinastream bench pipeline: speed figures of the whole streaming pipeline (a benchmark, not a test).
//   1. throughput: engine-only fps (the end-to-end run's own canvas batches) vs end-to-end fps (N file
//      streams through ffmpeg, batching, inference and events; run before and after the others), their
//      ratio (target >= 0.95), mean batch fill;
//   2. live: sources faster than the engine (the file read at its native rate, looped) for a while:
//      latency p50/p95/p99 against the mean batch time (target: p99 < 2x batch time), dropped frames;
//   3. WebSocket fan-out: the same run with the ws sink and N local clients: delivery latency and fps ratio;
//   4. Kafka: events/s the Kafka sink gets acknowledged by a local broker (--kafka, or one started from
//      .cache/kafka when the jars are there), for events of 10 detections (~1 KB, what a score threshold
//      leaves) and of 100 (~8 KB, the most a frame has by default).
// The engine runs with `retinastream run`'s defaults (score >= postprocess.scoreThresh of
// config/default.jsonc, --min-score to change it), so events are the size `run` writes.
// Progress goes to stderr; the figures to stdout (one JSON object with --json).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from '../../bench/errors.ts';
import { combineEngineRuns, measureEngineFps, type EngineFpsResult } from '../../bench/engineFps.ts';
import { resolveBenchModel } from '../../bench/benchModel.ts';
import { measureKafkaRate, withDetections } from '../../bench/kafkaRate.ts';
import { kafkaTarget } from '../../bench/kafkaTarget.ts';
import { summarize } from '../../bench/quantiles.ts';
import { f1, formatPipelineBench, type PipelineBenchReport } from '../../bench/report.ts';
import { combineRuns, runBenchPipeline, type BenchRunOptions, type BenchRunResult } from '../../bench/runPipeline.ts';
import { combineWsRuns, runWithWsClients, type WsFanoutRunResult } from '../../bench/wsFanoutRun.ts';
import { CLIENTS_IMPLS, resolveClientsImpl } from '../../bench/wsBenchClients.ts';
import { loadDefaults, PROJECT_ROOT } from '../../config/runConfig.ts';
import type { Depth } from '../../model/config.ts';
import { createEngine } from '../../model/engine.ts';
import { autoDecodeThreads } from '../../pipeline/ingest/sourceOptions.ts';
import type { PipelineInput } from '../../pipeline/pipeline.ts';
import { intFlag, numFlag, parse } from '../args.ts';
import { defaultCanvas } from './run.ts';
import { UsageError } from '../errors.ts';

export const usage =
  'retinastream bench pipeline [--input FILE] [--streams N] [--file-seconds S] [--model DIR | --depth 18|34|50|101 --head-convs N] [--canvas WxH] [--decode-threads N] [--max-batch N] [--max-wait-ms MS] ' +
  '[--workers N] [--inference-nice N] [--backend B] [--min-score S] [--engine-batches N] [--rounds N] [--live-seconds S] [--live-streams N] [--ws-clients N] [--ws-client-processes N] [--ws-clients-impl auto|c|node] [--kafka BOOTSTRAP | --no-kafka] [--kafka-events N] [--json]';

const DEMO_MODEL = join(PROJECT_ROOT, 'models', 'demo');
const DEMO_VIDEO = join(PROJECT_ROOT, 'assets', 'demo', 'demo.mp4');
/** Event sizes of the Kafka figure: what a score threshold typically leaves (~1 KB), and a full frame (~8 KB). */
const KAFKA_EVENT_DETECTIONS = [10, 100];

function log(msg: string): void {
  process.stderr.write(`bench pipeline: ${msg}\n`);
}

/** Input policy of a generated model when no --canvas is given. */
const GENERATED_CANVAS: [number, number] = [224, 128];

function parseCanvas(v: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--canvas: "${v}" is not WIDTHxHEIGHT`);
  const c: [number, number] = [Number(m[1]), Number(m[2])];
  if (c.some((x) => x < 32 || x > 4096 || x % 32)) throw new UsageError(`--canvas: ${v} must be multiples of 32 in [32, 4096]`);
  return c;
}

export async function benchPipelineCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('bench pipeline', argv, {
    input: { type: 'string' },
    streams: { type: 'string' },
    model: { type: 'string' },
    depth: { type: 'string' },
    'head-convs': { type: 'string' },
    'file-seconds': { type: 'string' },
    canvas: { type: 'string' },
    'decode-threads': { type: 'string' },
    'max-batch': { type: 'string' },
    'max-wait-ms': { type: 'string' },
    workers: { type: 'string' },
    backend: { type: 'string' },
    'min-score': { type: 'string' },
    'engine-batches': { type: 'string' },
    'live-seconds': { type: 'string' },
    'live-streams': { type: 'string' },
    'ws-clients': { type: 'string' },
    'ws-client-processes': { type: 'string' },
    'ws-clients-impl': { type: 'string' },
    rounds: { type: 'string' },
    'inference-nice': { type: 'string' },
    kafka: { type: 'string' },
    'no-kafka': { type: 'boolean' },
    'kafka-events': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`retinastream bench pipeline: unexpected argument "${positionals[0]}" (${usage})`);
  const input = values.input ?? DEMO_VIDEO;
  if (!existsSync(input)) throw new UsageError(`--input: ${input}: file not found`);
  const streams = intFlag('streams', values.streams, 4, 1, 64);
  const depth = intFlag('depth', values.depth, 18) as Depth;
  if (![18, 34, 50, 101].includes(depth)) throw new UsageError(`--depth: ${depth} is not one of 18, 34, 50, 101`);
  const headConvs = intFlag('head-convs', values['head-convs'], 1, 1, 8);
  for (const k of ['depth', 'head-convs'] as const) if (values.model && values[k]) throw new UsageError(`--${k}: only for the generated model, not with --model`);
  const fileSeconds = intFlag('file-seconds', values['file-seconds'], 10, 1, 3600);
  if (values.model && !existsSync(join(values.model, 'model.json'))) throw new UsageError(`--model: ${values.model}: no model.json in this directory`);
  if (values.kafka && values['no-kafka']) throw new UsageError('--kafka: cannot be combined with --no-kafka');
  if (values.kafka !== undefined && !/^[^:\s]+:\d{1,5}$/.test(values.kafka)) throw new UsageError(`--kafka: "${values.kafka}" is not HOST:PORT`);
  const canvasFlag = values.canvas === undefined ? null : parseCanvas(values.canvas);
  // unless given, as run: by the number of streams of each run
  const decodeThreads = values['decode-threads'] === undefined ? undefined : intFlag('decode-threads', values['decode-threads'], 0, 0, 64);
  const maxBatch = intFlag('max-batch', values['max-batch'], 4, 1, 64);
  const maxWaitMs = intFlag('max-wait-ms', values['max-wait-ms'], 40, 0, 10000);
  const workers = values.workers === undefined ? undefined : intFlag('workers', values.workers, 1, 0, 64);
  const minScore = numFlag('min-score', values['min-score'], loadDefaults().postprocess.scoreThresh, 0, 0.999999);
  const liveSeconds = intFlag('live-seconds', values['live-seconds'], 60, 0, 3600);
  const wsClients = intFlag('ws-clients', values['ws-clients'], 500, 0, 100000);
  const rounds = intFlag('rounds', values.rounds, 1, 1, 100);
  const inferenceNice = intFlag('inference-nice', values['inference-nice'], loadDefaults().inferenceNice, 0, 19);
  const wsClientProcesses = intFlag('ws-client-processes', values['ws-client-processes'], 1, 1, 64);
  const wsClientsImplFlag = values['ws-clients-impl'] ?? 'auto';
  if (!(CLIENTS_IMPLS as readonly string[]).includes(wsClientsImplFlag)) throw new UsageError(`--ws-clients-impl: "${wsClientsImplFlag}" is not one of ${CLIENTS_IMPLS.join(', ')}`);
  // built (or found) before the model loads: a compiler's failure is one line here, not after the first runs
  const wsClientsImpl = wsClients > 0 ? resolveClientsImpl(wsClientsImplFlag as (typeof CLIENTS_IMPLS)[number]) : { impl: 'node' as const };
  if (wsClientsImpl.note) log(wsClientsImpl.note);
  const kafkaEvents = intFlag('kafka-events', values['kafka-events'], 20000, 1, 10_000_000);

  const model = await resolveBenchModel({ modelDir: values.model, demoDir: DEMO_MODEL, depth, headConvs, canvas: canvasFlag ?? GENERATED_CANVAS });
  log(model.origin === 'generated' ? `no --model and no ${DEMO_MODEL}: generated a random-weight RetinaNet (ResNet-${depth}, ${headConvs} conv(s) per head) in ${model.dir}` : `model ${model.dir} (${model.origin})`);
  const interrupted = (sig: NodeJS.Signals) => {
    model.cleanup(); // a generated model is ~100 MB in the temp dir
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const engine = await createEngine({ modelDir: model.dir, backend: values.backend, workers, inferenceNice, postprocess: { scoreThresh: minScore } }).catch((e: unknown) => {
    model.cleanup();
    throw e;
  });
  try {
    // As `retinastream run` does: the model's own input policy unless --canvas says otherwise.
    const canvas = canvasFlag ?? defaultCanvas(engine);
    const setup: PipelineBenchReport['setup'] = {
      input,
      fileSeconds,
      streams,
      model: {
        dir: model.dir, origin: model.origin, name: engine.model.name, hash: engine.model.hash,
        depth: engine.config.backbone.depth, headConvs: engine.config.head.numConvs, numClasses: engine.config.numClasses,
      },
      engine: engine.description,
      canvas,
      maxBatch,
      maxWaitMs,
      minScore,
    };
    log(`${setup.model.name} on ${engine.description}; canvas ${canvas[0]}x${canvas[1]}, batch <= ${maxBatch} / ${maxWaitMs} ms, score >= ${minScore}; ${streams} x ${input}, ${decodeThreads ?? autoDecodeThreads(streams)} decoder thread(s) each`);
    const base: Omit<BenchRunOptions, 'inputs'> = { engine, canvas: { width: canvas[0], height: canvas[1] }, maxBatch, maxWaitMs };
    const fileRun = { ...base, source: { decodeThreads, inputArgs: ['-t', String(fileSeconds)] } };
    const files = (tag: string): PipelineInput[] => Array.from({ length: streams }, (_, i) => ({ id: `${tag}${i}`, url: input }));

    // warm every worker, and the main thread's code paths, on the run that is timed next, for a few
    // seconds (first batches compile kernels; in the first end-to-end run after a 2-stream warm-up,
    // fps was lower than in the run after it, 7 times out of 8)
    log('warming up the engine');
    const warm = await runBenchPipeline({ ...fileRun, inputs: files('warmup'), durationMs: 5000 });

    // The end-to-end reference runs twice, before and after what is compared with it (the run with
    // WebSocket clients, the engine alone): on a shared machine a load that rises or falls during the
    // bench then weighs on both sides of each ratio.
    log(`end-to-end: ${streams} file stream(s)`);
    const e2eBefore = await runBenchPipeline({ ...fileRun, inputs: files('file') });
    // --rounds N: the run with WebSocket clients is repeated in each round too, its fps over all its runs, so
    // that one run does not decide its ratio (single runs moved between 0.93 and 0.97 on 30 Nov)
    const wsRuns: WsFanoutRunResult[] = [];
    const wsRun = async (round: number) => {
      if (wsClients <= 0) return;
      log(`ws fan-out: the same run with ${wsClients} WebSocket clients${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}`);
      wsRuns.push(await runWithWsClients({ ...fileRun, inputs: files(`ws${round}-`) }, wsClients, wsClientProcesses, wsClientsImpl));
    };
    await wsRun(1);
    const samples = e2eBefore.sampleBatches.length ? e2eBefore.sampleBatches : warm.sampleBatches;
    if (!samples.length) throw new BenchError('RS_ERR_BENCH_NO_BATCH', `bench pipeline: no batch of ${maxBatch} frames was formed, so there is nothing to time the engine with (use more --streams, a longer --input or a smaller --max-batch)`);
    // as many batches as the end-to-end run inferred, taken in turn from its own full batches
    const engineBatches = intFlag('engine-batches', values['engine-batches'], Math.max(2 * engine.concurrency, Math.ceil(e2eBefore.events / maxBatch)), 1, 100000);
    log(`engine-only: ${engineBatches} batches of ${samples[0].count} (${samples.length} distinct batches of the end-to-end run, in turn)`);
    // --rounds N: the engine alone and the end-to-end run alternate N times after the first end-to-end run,
    // each side's fps over all its runs: on a shared machine one engine-only run moves the ratio by as much
    // as the gap it measures (18.6-20.8 fps in four quiet runs)
    const engRuns: EngineFpsResult[] = [];
    const e2eRuns: BenchRunResult[] = [e2eBefore];
    for (let round = 1; round <= rounds; round++) {
      if (round > 1) await wsRun(round);
      engRuns.push(await measureEngineFps(engine, samples, engineBatches));
      log(`end-to-end again${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}: ${streams} file stream(s)`);
      e2eRuns.push(await runBenchPipeline({ ...fileRun, inputs: files(`again${round}-`) }));
    }
    const eng = combineEngineRuns(engRuns);
    const e2e = e2eRuns.reduce(combineRuns);
    const e2eBatchMs = summarize(e2e.batchMs).mean;
    const throughput: PipelineBenchReport['throughput'] = {
      engineFps: eng.fps, e2eFps: e2e.fps, ratio: e2e.fps / eng.fps, meanBatchFill: e2e.meanFill, meanBatchMs: e2eBatchMs,
      events: e2e.events, inputFps: e2e.inputFps, meanDetections: e2e.meanDetections, engine: eng, e2eRunsFps: e2eRuns.map((r) => r.fps), engineRunsFps: engRuns.map((r) => r.fps),
    };

    let live: PipelineBenchReport['live'] = { skipped: '--live-seconds 0' };
    if (liveSeconds > 0) {
      const nativeFps = Number.isFinite(e2e.inputFps) ? e2e.inputFps : 25;
      const liveStreams = intFlag('live-streams', values['live-streams'], Math.max(1, Math.ceil((1.5 * eng.fps) / nativeFps)), 1, 256);
      log(`live: ${liveStreams} looped stream(s) at ${f1(nativeFps)} fps each (${f1(liveStreams * nativeFps)} fps offered, engine ${f1(eng.fps)} fps) for ${liveSeconds} s`);
      const inputs = Array.from({ length: liveStreams }, (_, i) => ({ id: `live${i}`, url: input, live: true }));
      const r: BenchRunResult = await runBenchPipeline({
        ...base,
        inputs,
        durationMs: liveSeconds * 1000,
        source: { realtime: true, decodeThreads, inputArgs: ['-stream_loop', '-1'] },
      });
      const meanBatchMs = summarize(r.batchMs).mean;
      const latencyMs = summarize(r.latencyMs);
      live = {
        streams: liveStreams, seconds: r.seconds, offeredFps: r.seconds > 0 ? (r.events + r.dropped) / r.seconds : 0, processedFps: r.fps,
        latencyMs, waitMs: summarize(r.waitMs), batchMs: summarize(r.batchMs), meanBatchMs, p99OverBatch: latencyMs.p99 / meanBatchMs, decoded: r.decoded, dropped: r.dropped, events: r.events,
      };
    }

    const ws = wsRuns.length ? combineWsRuns(wsRuns) : null;
    const wsFanout: PipelineBenchReport['wsFanout'] = ws
      ? {
          clients: ws.clients, latencyMs: ws.latencyMs, delivered: ws.delivered, expected: ws.expected, dropped: ws.dropped,
          fpsWithout: e2e.fps, fpsWith: ws.run.fps, fpsWithRuns: wsRuns.map((r) => r.run.fps), ratio: ws.run.fps / e2e.fps,
          serverWriteMs: ws.serverWriteMs, clientProcesses: ws.clientProcesses, clientsImpl: ws.clientsImpl, clientsCpuMs: ws.clientsCpuMs, seconds: ws.run.seconds,
        }
      : { skipped: '--ws-clients 0' };

    let kafka: PipelineBenchReport['kafka'];
    const target = await kafkaTarget(values.kafka, values['no-kafka'] ?? false, log);
    if ('skipped' in target) kafka = target;
    else {
      try {
        const ev = e2e.sampleEvent;
        if (!ev) kafka = { skipped: 'no detection event to send' };
        else {
          kafka = [];
          for (const n of KAFKA_EVENT_DETECTIONS) {
            log(`kafka: ${kafkaEvents} events of ${n} detections into ${target.bootstrap}`);
            kafka.push(await measureKafkaRate({ bootstrap: target.bootstrap, sample: withDetections(ev, n), events: kafkaEvents, streams }));
          }
        }
      } catch (e) {
        kafka = { skipped: `${(e as Error).message.split('\n')[0]}` };
      } finally {
        await target.close();
      }
    }

    const report: PipelineBenchReport = { setup, throughput, live, wsFanout, kafka };
    process.stdout.write((values.json ? JSON.stringify(report) : formatPipelineBench(report)) + '\n');
    return 0;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await engine.close();
    model.cleanup();
  }
}
