// retinastream run: the streaming job. Inputs -> ffmpeg -> batches -> RetinaNet -> events -> JSONL / WebSocket / Kafka.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { identity, pipe } from 'rxjs';
import { joinCluster, stampWorker, type Membership } from '../../cluster/member.ts';
import type { StreamSpec } from '../../cluster/streamSpec.ts';
import { checkZoneStreams, PROJECT_ROOT, resolveRunConfig, type RunConfig } from '../../config/runConfig.ts';
import { trackEvents } from '../../pipeline/tracking/trackOperator.ts';
import { zoneEvents } from '../../pipeline/tracking/zoneOperator.ts';
import { createEngine, type InferenceEngine } from '../../model/engine.ts';
import { healthFromMetrics } from '../../pipeline/http/health.ts';
import { startHttpServer, type HttpServerHandle } from '../../pipeline/http/server.ts';
import { parseInputArg, streamIdFromUrl } from '../../pipeline/ingest/index.ts';
import { createMetrics, type Metrics } from '../../pipeline/metrics/metrics.ts';
import { formatStatusLine } from '../../pipeline/metrics/statusLine.ts';
import { connectPipeline } from '../../pipeline/connect.ts';
import { createPipeline, type Pipeline } from '../../pipeline/pipeline.ts';
import { createJsonlSink } from '../../pipeline/sinks/jsonlSink.ts';
import { createKafkajsProducer } from '../../pipeline/kafkaClient.ts';
import { createKafkaSink } from '../../pipeline/sinks/kafkaSink.ts';
import { createWsSink } from '../../pipeline/sinks/wsSink.ts';
import type { PipelineEvent, Sink } from '../../pipeline/types.ts';
import { filterEvents, resolveClasses } from '../../pipeline/detectionFilter.ts';
import { resolveModel } from '../../zoo/resolve.ts';
import { createViewer, type Viewer } from '../../viewer/viewerServer.ts';
import { intFlag, numFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export const DEMO_MODEL = join(PROJECT_ROOT, 'models', 'demo');
export const DEMO_VIDEO = join(PROJECT_ROOT, 'assets', 'demo', 'demo.mp4');

/** CLI flags as a partial config (the last layer). */
export function flagsToConfig(argv: string[]): { file?: string; flags: Record<string, unknown> & { postprocess?: { classes?: unknown } }; loop: boolean } {
  const { values, positionals } = parse('run', argv, {
    config: { type: 'string' },
    input: { type: 'string', multiple: true },
    model: { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
    jsonl: { type: 'string' },
    'no-jsonl': { type: 'boolean' },
    'ws-port': { type: 'string' },
    'ws-host': { type: 'string' },
    'ws-token': { type: 'string' },
    'no-ws': { type: 'boolean' },
    'no-viewer': { type: 'boolean' },
    'kafka-brokers': { type: 'string' },
    'kafka-topic': { type: 'string' },
    'kafka-status-topic': { type: 'string' },
    'kafka-buffer': { type: 'string' },
    'max-batch': { type: 'string' },
    'max-wait-ms': { type: 'string' },
    workers: { type: 'string' },
    'inference-nice': { type: 'string' },
    canvas: { type: 'string' },
    'status-interval-ms': { type: 'string' },
    live: { type: 'boolean' },
    loop: { type: 'boolean' },
    'min-score': { type: 'string' },
    'max-detections': { type: 'string' },
    classes: { type: 'string' },
    'class-agnostic-nms': { type: 'boolean' },
    'no-track': { type: 'boolean' },
    cluster: { type: 'string' },
    'worker-id': { type: 'string' },
    'registry-topic': { type: 'string' },
    partitions: { type: 'string' },
    'session-timeout-ms': { type: 'string' },
    'heartbeat-interval-ms': { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`retinastream run: unexpected argument "${positionals[0]}" (inputs go after --input)`);
  const f: Record<string, unknown> = {};
  const sinks: Record<string, Record<string, unknown> | string | null> = {};
  const ws: Record<string, unknown> = {};
  const kafka: Record<string, unknown> = {};
  if (values.model) f.model = values.model;
  if (values.backend) f.backend = values.backend;
  if (values.precision) f.precision = values.precision;
  if (values.input) {
    f.inputs = values.input.map((a) => {
      const { id, url } = parseInputArg(a);
      return values.live || values.loop ? { id, url, live: true } : { id, url };
    });
  }
  if (values.jsonl) sinks.jsonl = values.jsonl;
  if (values['no-jsonl']) sinks.jsonl = null;
  if (values['ws-port'] !== undefined) ws.port = intFlag('ws-port', values['ws-port'], 8080, 0, 65535);
  if (values['no-ws']) ws.port = null;
  if (values['ws-host']) ws.host = values['ws-host'];
  if (values['ws-token'] !== undefined) {
    // an empty token must not turn authentication off
    if (values['ws-token'].trim() === '') throw new UsageError('--ws-token: empty token (leave the flag out to run without authentication)');
    ws.token = values['ws-token'];
  }
  if (values['no-viewer']) ws.viewer = false;
  if (values['kafka-brokers']) kafka.brokers = values['kafka-brokers'].split(',').filter(Boolean);
  if (values['kafka-topic']) kafka.topic = values['kafka-topic'];
  if (values['kafka-status-topic']) kafka.statusTopic = values['kafka-status-topic'];
  if (values['kafka-buffer']) kafka.bufferSize = intFlag('kafka-buffer', values['kafka-buffer'], 10000);
  if (Object.keys(ws).length) sinks.ws = ws;
  if (Object.keys(kafka).length) sinks.kafka = kafka;
  if (Object.keys(sinks).length) f.sinks = sinks;
  const batch: Record<string, number> = {};
  if (values['max-batch']) batch.maxBatch = intFlag('max-batch', values['max-batch'], 4, 1, 64);
  if (values['max-wait-ms']) batch.maxWaitMs = intFlag('max-wait-ms', values['max-wait-ms'], 40, 0, 10000);
  if (Object.keys(batch).length) f.batch = batch;
  if (values.canvas) {
    const m = /^(\d+)x(\d+)$/.exec(values.canvas);
    if (!m) throw new UsageError(`--canvas: "${values.canvas}" is not WIDTHxHEIGHT`);
    f.canvas = [Number(m[1]), Number(m[2])];
  }
  const post: Record<string, unknown> = {};
  if (values['min-score'] !== undefined) post.scoreThresh = numFlag('min-score', values['min-score'], 0.3, 0, 0.999999);
  if (values['max-detections'] !== undefined) post.detectionsPerImage = intFlag('max-detections', values['max-detections'], 100, 1, 10000);
  if (values.classes !== undefined) post.classes = values.classes.split(',').map((c) => c.trim()).filter(Boolean);
  if (values['class-agnostic-nms']) post.classAgnosticNms = true;
  if (Object.keys(post).length) f.postprocess = post;
  if (values['no-track']) f.tracking = { enabled: false };
  if (values.workers !== undefined) f.workers = intFlag('workers', values.workers, 1, 0, 64);
  if (values['inference-nice'] !== undefined) f.inferenceNice = intFlag('inference-nice', values['inference-nice'], 10, 0, 19);
  const cluster: Record<string, unknown> = {};
  if (values.cluster !== undefined) cluster.name = values.cluster;
  if (values['worker-id'] !== undefined) cluster.workerId = values['worker-id'];
  if (values['registry-topic'] !== undefined) cluster.registryTopic = values['registry-topic'];
  if (values.partitions !== undefined) cluster.partitions = intFlag('partitions', values.partitions, 12, 1, 10000);
  if (values['session-timeout-ms'] !== undefined) cluster.sessionTimeoutMs = intFlag('session-timeout-ms', values['session-timeout-ms'], 30000, 6000, 1800000);
  if (values['heartbeat-interval-ms'] !== undefined) cluster.heartbeatIntervalMs = intFlag('heartbeat-interval-ms', values['heartbeat-interval-ms'], 3000, 100);
  if (Object.keys(cluster).length) f.cluster = cluster;
  if (values['status-interval-ms']) f.statusIntervalMs = intFlag('status-interval-ms', values['status-interval-ms'], 5000, 0);
  return { file: values.config, flags: f, loop: values.loop ?? false };
}

/** `--loop`: a file input is read at its native rate, looped by ffmpeg until the run is stopped. */
export function loopInput<T extends { url: string; live?: boolean }>(input: T): T & { live: true; inputArgs?: string[] } {
  return isLocalFile(input.url) ? { ...input, live: true, inputArgs: ['-stream_loop', '-1'] } : { ...input, live: true };
}

function isLocalFile(url: string): boolean {
  if (url.startsWith('/dev/')) return false; // a camera
  return /^file:\/\//i.test(url) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

/** A registry stream as a pipeline input (`loop` in its spec or `run --loop`: looped at native rate). */
export function specInput(spec: StreamSpec, loopAll: boolean) {
  const input = { id: spec.id, url: spec.url, ...(spec.live !== undefined ? { live: spec.live } : {}), ...(spec.rtspTransport ? { rtspTransport: spec.rtspTransport } : {}) };
  return spec.loop || loopAll ? loopInput(input) : input;
}

/** Canvas from the model's input policy: long side maxSize, short side minSize, both rounded up to /32. */
export function defaultCanvas(engine: Pick<InferenceEngine, 'config'>): [number, number] {
  const { minSize, maxSize, sizeDivisible } = engine.config.input;
  const up = (v: number) => Math.ceil(v / sizeDivisible) * sizeDivisible;
  return [up(maxSize), up(minSize)];
}

interface Running {
  /** Cluster mode: the group membership, left first at shutdown. */
  membership: Membership | null;
  pipeline: Pipeline;
  engine: InferenceEngine;
  sinks: Sink[];
  http: HttpServerHandle | null;
  metrics: Metrics;
  viewer: Viewer | null;
}

/** A signal must end the run within this long, flushed or not (a second signal ends it at once). */
const SHUTDOWN_LIMIT_MS = 10_000;

interface OpenedSinks {
  sinks: Sink[];
  http: HttpServerHandle | null;
  viewer: Viewer | null;
  /** Resolves when stdout's reader went away (EPIPE): the run stops, nobody reads its events. */
  stdoutClosed: Promise<void>;
}

async function openSinks(cfg: RunConfig, metrics: Metrics, detectorReady: () => boolean, streamIds: string[], modelName: () => string | undefined): Promise<OpenedSinks> {
  const sinks: Sink[] = [];
  let http: HttpServerHandle | null = null;
  let viewer: Viewer | null = null;
  let onStdoutClosed!: () => void;
  const stdoutClosed = new Promise<void>((r) => (onStdoutClosed = r));
  try {
    if (cfg.sinks.jsonl) {
      sinks.push(
        createJsonlSink(cfg.sinks.jsonl, { onError: (e) => cfg.sinks.jsonl === '-' && (e as NodeJS.ErrnoException).code === 'EPIPE' && onStdoutClosed() }),
      );
    }
    const ws = cfg.sinks.ws;
    if (ws.port !== null) {
      http = await startHttpServer({ host: ws.host, port: ws.port, metrics, health: healthFromMetrics(metrics, { modelLoaded: detectorReady, idleIsReady: cfg.cluster.name !== null }), routes: (req, res) => viewer?.handleRequest(req, res) ?? false });
      sinks.push(
        createWsSink({
          server: http.server,
          token: ws.token ?? undefined,
          maxClients: ws.maxClients,
          maxMessageBytes: ws.maxMessageBytes,
          maxBufferedBytes: ws.maxBufferedBytes,
          pingIntervalMs: ws.pingIntervalMs,
          metrics,
        }),
      );
      if (ws.viewer) viewer = createViewer({ server: http.server, token: ws.token ?? undefined, streams: streamIds, info: () => ({ model: modelName(), minScore: cfg.postprocess.scoreThresh, zones: cfg.zones, lines: cfg.lines }) });
      process.stderr.write(`${viewer ? `viewer http://${ws.host}:${http.port}/${ws.token ? '?token=...' : ''}  ` : ''}websocket ws://${ws.host}:${http.port}/ws  metrics http://${ws.host}:${http.port}/metrics  health http://${ws.host}:${http.port}/healthz\n`);
    }
    const k = cfg.sinks.kafka;
    if (k.brokers.length) {
      const producer = createKafkajsProducer({ brokers: k.brokers, clientId: k.clientId, log: (level, m) => process.stderr.write(`kafka ${level}: ${m}\n`) });
      // flushes for up to 5 s at shutdown, inside the run's shutdown limit
      const closeTimeoutMs = Math.min(5000, SHUTDOWN_LIMIT_MS / 2);
      sinks.push(createKafkaSink({ producer, topic: k.topic, statusTopic: k.statusTopic, bufferSize: k.bufferSize, closeTimeoutMs, log: (level, m) => process.stderr.write(`kafka ${level}: ${m}\n`) }));
      process.stderr.write(`kafka ${k.brokers.join(',')} topic ${k.topic} (status: ${k.statusTopic})\n`);
    }
  } catch (e) {
    await closeSinks(sinks, http, viewer);
    throw e;
  }
  return { sinks, http, viewer, stdoutClosed };
}

async function closeSinks(sinks: Sink[], http: HttpServerHandle | null, viewer: Viewer | null): Promise<void> {
  await Promise.all(sinks.map((s) => s.close().catch((e: Error) => process.stderr.write(`sink ${s.name}: ${e.message}\n`))));
  await viewer?.close();
  await http?.close();
}

/** In-flight batches get this long to finish after the sources stopped; then they are abandoned (reported lost). */
const FINISH_BATCHES_MS = 5_000;

async function shutdown(r: Running): Promise<void> {
  await r.membership?.stop();
  const stopped = r.pipeline.stop();
  const late = setTimeout(() => void r.engine.close(), FINISH_BATCHES_MS);
  await stopped;
  clearTimeout(late);
  await closeSinks(r.sinks, r.http, r.viewer);
}

/** What the run lost, one phrase per loss ("kafka: 12 events not delivered"); empty when nothing. */
export function lostSummary(metrics: Metrics, pipeline: Pipeline, ignoreSinks: string[] = []): string[] {
  const snap = metrics.snapshot();
  const lost: string[] = [];
  for (const s of snap.streams) if (s.framesLost > 0) lost.push(`stream ${s.streamId}: ${s.framesLost} frames lost to failed batches`);
  for (const src of pipeline.sources) if (src.state === 'failed') lost.push(`stream ${src.id}: failed`);
  for (const { name, stats } of snap.sinks) {
    // WebSocket drops are slow clients losing their own messages, not the run losing events
    if (name === 'ws' || ignoreSinks.includes(name)) continue;
    if (stats.dropped > 0) lost.push(`${name}: ${stats.dropped} events not delivered`);
  }
  return lost;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { file, flags, loop } = flagsToConfig(argv);
  const cfg = resolveRunConfig({ file, env: process.env, flags: flags as never });
  const modelDir = cfg.model ? await resolveModel(cfg.model) : DEMO_MODEL; // a directory or a zoo name
  if (!cfg.model && !existsSync(join(modelDir, 'model.json'))) throw new UsageError(`--model: no model given and the bundled demo model is missing (${modelDir})`);
  const clusterName = cfg.cluster.name;
  const workerId = cfg.cluster.workerId ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '_');
  // a cluster worker starts with no stream: the registry gives them
  const given = cfg.inputs.length || clusterName ? cfg.inputs : [{ id: 'demo', url: DEMO_VIDEO }];
  const inputs = loop ? given.map(loopInput) : given;
  const seen = new Set<string>();
  const resolved = inputs.map((inp) => {
    let id = inp.id ?? streamIdFromUrl(inp.url);
    for (let n = 2; seen.has(id); n++) id = `${inp.id ?? streamIdFromUrl(inp.url)}-${n}`;
    seen.add(id);
    return { ...inp, id };
  });
  if (!clusterName) checkZoneStreams(cfg, resolved.map((i) => i.id)); // a worker's streams come from the registry later

  const metrics = createMetrics();
  let engine: InferenceEngine | null = null;
  const { sinks, http, viewer, stdoutClosed } = await openSinks(cfg, metrics, () => engine !== null, resolved.map((i) => i.id), () => engine?.model.name);
  const post = cfg.postprocess;
  let pipeline: Pipeline;
  let canvas: [number, number];
  let classIds: Set<number> | null;
  try {
    engine = await createEngine({
      modelDir,
      backend: cfg.backend ?? undefined,
      precision: cfg.precision,
      workers: cfg.workers ?? undefined,
      inferenceNice: cfg.inferenceNice,
      // --class-agnostic-nms: the engine's NMS over all classes, as a model whose classes exclude each other sets it
      postprocess: { scoreThresh: post.scoreThresh, detectionsPerImage: post.detectionsPerImage, ...(post.classAgnosticNms ? { classAgnostic: true } : {}) },
      supervision: { onWorkerDeath: (d) => process.stderr.write(`inference worker ${d.worker} died (${d.reason}); replacing it\n`) },
    });
    classIds = resolveClasses(post.classes, engine.config.classNames, engine.config.numClasses, post.classes === flags.postprocess?.classes ? '--classes' : 'postprocess.classes');
    canvas = cfg.canvas ?? defaultCanvas(engine);
    pipeline = createPipeline({
      inputs: resolved,
      engine,
      canvas: { width: canvas[0], height: canvas[1] },
      maxBatch: cfg.batch.maxBatch,
      maxWaitMs: cfg.batch.maxWaitMs,
      source: { connectTimeoutMs: cfg.source.connectTimeoutMs, stallTimeoutMs: cfg.source.stallTimeoutMs, backoff: cfg.source.backoff, realtime: cfg.source.realtime, decodeThreads: cfg.source.decodeThreads ?? undefined },
      open: clusterName !== null,
    });
  } catch (e) {
    // start-up failed: nothing may keep the process alive (the HTTP listener, a Kafka client)
    await engine?.close();
    await closeSinks(sinks, http, viewer);
    throw e;
  }
  const keep = { minScore: post.scoreThresh, classIds } as const;
  const { enabled: tracking, ...trackOptions } = cfg.tracking;
  // tracking runs on what every sink gets (after the score and class filter), then zones and lines on the tracks
  const analytics = tracking ? pipe(trackEvents(trackOptions), zoneEvents(cfg.zones, cfg.lines)) : identity;
  process.stderr.write(
    `model ${engine.model.name} (${engine.model.hash}) on ${engine.description}; canvas ${canvas[0]}x${canvas[1]}, batch <= ${cfg.batch.maxBatch} / ${cfg.batch.maxWaitMs} ms; ${clusterName ? `cluster ${clusterName} as worker ${workerId} (streams from the registry)` : `${resolved.length} input(s): ${resolved.map((i) => i.id).join(', ')}`}; score >= ${post.scoreThresh}${classIds ? `, classes ${[...classIds].map((c) => engine.config.classNames[c] || c).join(',')}` : ''}${post.classAgnosticNms ? ', NMS over all classes (--class-agnostic-nms)' : engine.config.postprocess.classAgnostic ? ', NMS over all classes (the model\'s)' : ''}; tracking ${tracking ? `on${cfg.zones.length + cfg.lines.length ? ` (${cfg.zones.length} zone(s), ${cfg.lines.length} line(s))` : ''}` : 'off'}\n`,
  );
  // the viewer keeps each batch's frames before their events reach it: subscribed ahead of the sinks
  if (viewer) pipeline.results$.subscribe({ next: (r) => viewer.onResult(r), error: () => {} });
  connectPipeline(pipeline, {
    sinks,
    metrics,
    engine,
    maxBatch: cfg.batch.maxBatch,
    // the worker's name goes on every event, the tracker's and zones' included
    filter: pipe(filterEvents(keep), analytics, clusterName ? stampWorker(workerId) : identity),
    observers: [
      {
        next: (e) => {
          if (e.type === 'status' && e.state === 'failed') process.stderr.write(`stream ${e.streamId}: failed: ${e.reason ?? 'unknown reason'}\n`);
          if (e.type === 'error') process.stderr.write(`stream ${e.streamId}: ${e.frameNumbers.length} frame(s) lost: ${e.message}\n`);
        },
      },
      ...(viewer ? [{ next: (e: PipelineEvent) => viewer.onEvent(e) }] : []),
    ],
  });
  const running: Running = { pipeline, engine, sinks, http, metrics, viewer, membership: null };
  let stopping: Promise<void> | null = null;
  const stop = (why: string) => {
    if (stopping) return;
    process.stderr.write(`${why}: stopping sources, finishing in-flight batches, flushing sinks\n`);
    stopping = shutdown(running);
    const limit = setTimeout(() => {
      process.stderr.write(`retinastream: shutdown took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting without waiting\n`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${sig} again: exiting at once\n`);
      process.exit(130);
    }
    stop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let epipe = false;
  void stdoutClosed.then(() => {
    epipe = true;
    stop('stdout closed by its reader (EPIPE)');
  });
  const timer =
    cfg.statusIntervalMs > 0
      ? setInterval(() => {
          for (const s of pipeline.sources) {
            const total = s.stats().totalFrames;
            if (total) metrics.setStreamTotal(s.id, total);
          }
          process.stderr.write(formatStatusLine(metrics.snapshot()) + '\n');
        }, cfg.statusIntervalMs)
      : null;
  pipeline.start();
  if (clusterName) {
    const k = cfg.sinks.kafka;
    try {
      running.membership = await joinCluster({
        brokers: k.brokers,
        clientId: `${k.clientId}-${workerId}`,
        name: clusterName,
        workerId,
        registryTopic: cfg.cluster.registryTopic,
        partitions: cfg.cluster.partitions,
        sessionTimeoutMs: cfg.cluster.sessionTimeoutMs,
        heartbeatIntervalMs: cfg.cluster.heartbeatIntervalMs,
        log: (level, m) => process.stderr.write(`kafka ${level}: ${m}\n`),
        info: (m) => process.stderr.write(`${m}\n`),
        registry: metrics.registry,
        runner: {
          start: (spec) => void pipeline.addInput(specInput(spec, loop)),
          stop: async (id, reason) => void (await pipeline.removeInput(id, reason)),
        },
      });
    } catch (e) {
      // Kafka unreachable: nothing may keep the process alive (the status timer, signal handlers, sinks)
      if (timer) clearInterval(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await shutdown(running);
      await engine.close();
      throw e;
    }
    // a signal during the join: shutdown() ran without the membership
    if (stopping) await running.membership.stop();
  }
  let fatal: unknown = null;
  await pipeline.done.catch((e) => (fatal = e));
  if (timer) clearInterval(timer);
  await (stopping ?? shutdown(running));
  process.stderr.write(formatStatusLine(metrics.snapshot()) + '\n');
  await engine.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (fatal) {
    process.stderr.write(`retinastream: run failed: ${(fatal as Error).message ?? String(fatal)}\n`);
    return 1;
  }
  const failed = pipeline.sources.filter((s) => s.state === 'failed').map((s) => s.id);
  if (failed.length > 0 && failed.length === pipeline.sources.length) {
    process.stderr.write(`all inputs failed: ${failed.join(', ')}\n`);
    return 1;
  }
  const lost = lostSummary(metrics, pipeline, epipe ? ['jsonl'] : []);
  if (lost.length) {
    process.stderr.write(`retinastream: events were lost: ${lost.join('; ')}\n`);
    return 1;
  }
  return 0;
}
