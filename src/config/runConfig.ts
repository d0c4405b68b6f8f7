// Configuration of `retinastream run`: config/default.jsonc <- --config FILE <- RETINASTREAM_* env <- flags,
// validated against the defaults' shape: unknown keys, wrong types, bad URLs and numbers out of range are
// reported with the key path and what was expected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unsupportedScheme } from '../pipeline/ingest/ffmpegArgs.ts';
import type { PipelineInput } from '../pipeline/types.ts';
import { parseInputArg } from '../pipeline/ingest/inputArg.ts';
import { parseJsonc } from './jsonc.ts';
import { RetinaStreamError } from '../errors.ts';
import { PROJECT_ROOT } from '../projectRoot.ts';
import type { ByteTrackOptions } from '../pipeline/tracking/byteTrack.ts';
import type { LineSpec, ZoneSpec } from '../pipeline/tracking/zoneOperator.ts';
import { validateZones } from './zonesConfig.ts';

/** An input as a config file gives it: a PipelineInput whose id may be left out (it then comes from the URL). */
export type InputConfig = Omit<PipelineInput, 'id'> & { id?: string };

export interface RunConfig {
  model: string | null;
  backend: string | null;
  precision: 'fp32' | 'bf16';
  workers: number | null;
  /** Nice value of the inference threads below the event loop (backend/threadPriority.ts). */
  inferenceNice: number;
  inputs: InputConfig[];
  batch: { maxBatch: number; maxWaitMs: number };
  canvas: [number, number] | null;
  /** Applied once before fan-out to every sink (see config/default.jsonc). */
  postprocess: { scoreThresh: number; detectionsPerImage: number; classes: Array<string | number> | null; classAgnosticNms: boolean };
  source: {
    connectTimeoutMs: number;
    stallTimeoutMs: number;
    backoff: { initialMs: number; maxMs: number; factor: number; jitter: number };
    realtime: boolean;
    /** null: by the number of streams (ingest/sourceOptions.ts autoDecodeThreads). */
    decodeThreads: number | null;
  };
  sinks: {
    jsonl: string | null;
    ws: { host: string; port: number | null; token: string | null; maxClients: number; maxMessageBytes: number; maxBufferedBytes: number; pingIntervalMs: number; viewer: boolean };
    kafka: { brokers: string[]; topic: string; statusTopic: string; clientId: string; bufferSize: number };
  };
  /** Cluster mode (run --cluster NAME); see config/default.jsonc. */
  cluster: { name: string | null; workerId: string | null; registryTopic: string; partitions: number; sessionTimeoutMs: number; heartbeatIntervalMs: number };
  statusIntervalMs: number;
  /** ByteTrack per stream (see config/default.jsonc). */
  tracking: ByteTrackOptions & { enabled: boolean };
  zones: ZoneSpec[];
  lines: LineSpec[];
}

export class ConfigError extends RetinaStreamError<'RS_ERR_CONFIG'> {
  constructor(message: string) {
    super('RS_ERR_CONFIG', message);
  }
}

export { PROJECT_ROOT };
export const DEFAULTS_FILE = join(PROJECT_ROOT, 'config', 'default.jsonc');

export function loadDefaults(): RunConfig {
  return parseJsonc(readFileSync(DEFAULTS_FILE, 'utf8'), DEFAULTS_FILE) as RunConfig;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Top-level keys users write for settings that live in a section. */
const MOVED_KEYS: Record<string, string> = {
  scoreThresh: 'postprocess.scoreThresh',
  minScore: 'postprocess.scoreThresh',
  classes: 'postprocess.classes',
  detectionsPerImage: 'postprocess.detectionsPerImage',
  classAgnosticNms: 'postprocess.classAgnosticNms',
};

/** Deep-merge `over` into `base`, rejecting keys the defaults do not have. Arrays replace. */
export function mergeChecked(base: Json, over: Json, where: string, path = ''): Json {
  if (!isObj(base) || !isObj(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in base)) {
      const hint = path === '' && MOVED_KEYS[k] ? `; did you mean "${MOVED_KEYS[k]}"?` : '';
      throw new ConfigError(`${where}: unknown key "${p}" (known: ${Object.keys(base).join(', ')})${hint}`);
    }
    out[k] = base[k] === null ? v : mergeChecked(base[k], v, where, p);
  }
  return out;
}

function num(v: unknown, key: string, min: number, max: number, integer = true): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`${key}: ${JSON.stringify(v)} is not ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  }
}

const URL_SCHEMES = /^(rtsp|rtsps|rtmp|rtmps|http|https|udp|tcp|srt|file):\/\//i;

export function validateInputUrl(url: unknown, key: string): void {
  if (typeof url !== 'string' || url.trim() === '') throw new ConfigError(`${key}: expected a file path or URL, got ${JSON.stringify(url)}`);
  const refused = unsupportedScheme(url);
  if (refused) throw new ConfigError(`${key}: ${refused}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    if (!URL_SCHEMES.test(url)) throw new ConfigError(`${key}: "${url}" has an unsupported scheme (expected rtsp, http(s), rtmp, udp, tcp, srt, file, or a path)`);
    try {
      const u = new URL(url);
      if (!u.hostname && !url.toLowerCase().startsWith('file:')) throw new Error('no host');
    } catch {
      throw new ConfigError(`${key}: "${url}" is not a valid URL`);
    }
  }
}

export function validateRunConfig(c: RunConfig): RunConfig {
  if (c.model !== null && typeof c.model !== 'string') throw new ConfigError(`model: expected a directory path or null`);
  if (!Array.isArray(c.inputs)) throw new ConfigError('inputs: expected an array of {id?, url, live?, rtspTransport?}');
  const ids = new Set<string>();
  c.inputs.forEach((inp, i) => {
    if (!isObj(inp)) throw new ConfigError(`inputs[${i}]: expected an object {id?, url, live?, rtspTransport?}`);
    for (const k of Object.keys(inp)) if (!['id', 'url', 'live', 'rtspTransport'].includes(k)) throw new ConfigError(`inputs[${i}]: unknown key "${k}"`);
    validateInputUrl(inp.url, `inputs[${i}].url`);
    if (inp.rtspTransport !== undefined && !['tcp', 'udp'].includes(inp.rtspTransport)) throw new ConfigError(`inputs[${i}].rtspTransport: expected "tcp" or "udp"`);
    if (inp.id !== undefined) {
      if (typeof inp.id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(inp.id)) throw new ConfigError(`inputs[${i}].id: "${inp.id}" must be 1-64 of A-Z a-z 0-9 . _ -`);
      if (ids.has(inp.id)) throw new ConfigError(`inputs[${i}].id: "${inp.id}" is used twice`);
      ids.add(inp.id);
    }
  });
  if (c.precision !== 'fp32' && c.precision !== 'bf16') throw new ConfigError(`precision: ${JSON.stringify(c.precision)} is not "fp32" or "bf16"`);
  if (c.workers !== null) num(c.workers, 'workers', 0, 64);
  num(c.inferenceNice, 'inferenceNice', 0, 19);
  num(c.batch.maxBatch, 'batch.maxBatch', 1, 64);
  num(c.batch.maxWaitMs, 'batch.maxWaitMs', 0, 10000);
  if (c.canvas !== null) {
    if (!Array.isArray(c.canvas) || c.canvas.length !== 2) throw new ConfigError('canvas: expected [width, height] or null');
    c.canvas.forEach((v, i) => num(v, `canvas[${i}]`, 32, 4096));
  }
  validatePostprocess(c.postprocess);
  num(c.source.connectTimeoutMs, 'source.connectTimeoutMs', 100, 600000);
  num(c.source.stallTimeoutMs, 'source.stallTimeoutMs', 100, 600000);
  if (c.source.decodeThreads !== null) num(c.source.decodeThreads, 'source.decodeThreads', 0, 64);
  num(c.source.backoff.initialMs, 'source.backoff.initialMs', 1, 600000);
  num(c.source.backoff.maxMs, 'source.backoff.maxMs', c.source.backoff.initialMs, 3600000);
  num(c.source.backoff.factor, 'source.backoff.factor', 1, 10, false);
  num(c.source.backoff.jitter, 'source.backoff.jitter', 0, 1, false);
  const ws = c.sinks.ws;
  if (ws.port !== null) num(ws.port, 'sinks.ws.port', 0, 65535);
  num(ws.maxClients, 'sinks.ws.maxClients', 1, 100000);
  num(ws.maxMessageBytes, 'sinks.ws.maxMessageBytes', 64, 16 * 1024 * 1024);
  num(ws.maxBufferedBytes, 'sinks.ws.maxBufferedBytes', 1024, 1024 * 1024 * 1024);
  num(ws.pingIntervalMs, 'sinks.ws.pingIntervalMs', 100, 3600000);
  if (ws.token !== null && (typeof ws.token !== 'string' || ws.token.length === 0)) {
    throw new ConfigError(`sinks.ws.token: ${JSON.stringify(ws.token)} is not a non-empty string (use null to disable authentication)`);
  }
  if (typeof ws.viewer !== 'boolean') throw new ConfigError(`sinks.ws.viewer: ${JSON.stringify(ws.viewer)} is not true or false`);
  const k = c.sinks.kafka;
  if (!Array.isArray(k.brokers) || k.brokers.some((b) => typeof b !== 'string' || !/^[^:\s]+:\d{1,5}$/.test(b))) {
    throw new ConfigError(`sinks.kafka.brokers: ${JSON.stringify(k.brokers)} is not a list of "host:port"`);
  }
  num(k.bufferSize, 'sinks.kafka.bufferSize', 1, 10_000_000);
  for (const t of ['topic', 'statusTopic'] as const) {
    if (typeof k[t] !== 'string' || !/^[A-Za-z0-9._{}-]{1,249}$/.test(k[t])) throw new ConfigError(`sinks.kafka.${t}: "${k[t]}" is not a valid topic (A-Z a-z 0-9 . _ - and {stream})`);
  }
  num(c.statusIntervalMs, 'statusIntervalMs', 0, 3600000);
  validateTracking(c.tracking);
  validateZones(c, ConfigError);
  validateCluster(c);
  return c;
}

function validateCluster(c: RunConfig): void {
  const cl = c.cluster;
  if (cl.name !== null && (typeof cl.name !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(cl.name))) throw new ConfigError(`cluster.name: ${JSON.stringify(cl.name)} is not null or 1-200 of A-Z a-z 0-9 . _ -`);
  if (cl.workerId !== null && (typeof cl.workerId !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(cl.workerId))) throw new ConfigError(`cluster.workerId: ${JSON.stringify(cl.workerId)} is not null or 1-200 of A-Z a-z 0-9 . _ -`);
  if (typeof cl.registryTopic !== 'string' || !/^(?!\.{1,2}$)[A-Za-z0-9._-]{1,249}$/.test(cl.registryTopic)) throw new ConfigError(`cluster.registryTopic: "${cl.registryTopic}" is not a valid topic (A-Z a-z 0-9 . _ -)`);
  num(cl.partitions, 'cluster.partitions', 1, 10000);
  num(cl.sessionTimeoutMs, 'cluster.sessionTimeoutMs', 6000, 1800000);
  num(cl.heartbeatIntervalMs, 'cluster.heartbeatIntervalMs', 100, Math.floor(cl.sessionTimeoutMs / 3));
  if (cl.name !== null) {
    if (c.sinks.kafka.brokers.length === 0) throw new ConfigError(`cluster.name: a cluster worker needs sinks.kafka.brokers (flag --kafka-brokers)`);
    if (c.inputs.length > 0) throw new ConfigError(`inputs: a cluster worker takes its streams from the registry (retinastream streams add); leave inputs empty`);
  }
}

function validatePostprocess(p: RunConfig['postprocess']): void {
  num(p.scoreThresh, 'postprocess.scoreThresh', 0, 1, false);
  if (p.scoreThresh >= 1) throw new ConfigError(`postprocess.scoreThresh: ${p.scoreThresh} is not a number in [0, 1)`);
  num(p.detectionsPerImage, 'postprocess.detectionsPerImage', 1, 10000);
  if (p.classes !== null && (!Array.isArray(p.classes) || p.classes.some((x) => !(typeof x === 'string' && x.trim() !== '') && !(Number.isInteger(x) && (x as number) >= 0)))) {
    throw new ConfigError(`postprocess.classes: ${JSON.stringify(p.classes)} is not null or a list of class names and ids`);
  }
  if (typeof p.classAgnosticNms !== 'boolean') throw new ConfigError(`postprocess.classAgnosticNms: ${JSON.stringify(p.classAgnosticNms)} is not true or false`);
}

function validateTracking(t: RunConfig['tracking']): void {
  for (const k of ['enabled', 'fuseScore', 'perClass'] as const) {
    if (typeof t[k] !== 'boolean') throw new ConfigError(`tracking.${k}: ${JSON.stringify(t[k])} is not true or false`);
  }
  for (const k of ['highThresh', 'lowThresh', 'newTrackThresh', 'matchThresh', 'secondMatchThresh', 'unconfirmedMatchThresh', 'recoverThresh'] as const) num(t[k], `tracking.${k}`, 0, 1, false);
  num(t.matchBuffer, 'tracking.matchBuffer', 0, 5, false);
  num(t.recoverBuffer, 'tracking.recoverBuffer', 0, 5, false);
  if (t.lowThresh > t.highThresh) throw new ConfigError(`tracking.lowThresh: ${t.lowThresh} is above tracking.highThresh (${t.highThresh})`);
  if (t.newTrackThresh < t.highThresh) throw new ConfigError(`tracking.newTrackThresh: ${t.newTrackThresh} is below tracking.highThresh (${t.highThresh}); only high-score detections start tracks`);
  num(t.trackBuffer, 'tracking.trackBuffer', 0, 100000);
  num(t.minHits, 'tracking.minHits', 1, 1000);
}

/** Zones and lines must name inputs of the run (known only once the inputs have ids: flags, URLs). */
export function checkZoneStreams(c: Pick<RunConfig, 'zones' | 'lines'>, streamIds: readonly string[]): void {
  for (const [key, list] of [['zones', c.zones], ['lines', c.lines]] as const) {
    list.forEach((z, i) => {
      if (!streamIds.includes(z.stream)) throw new ConfigError(`${key}[${i}].stream: "${z.stream}" is not an input of this run (inputs: ${streamIds.join(', ')})`);
    });
  }
}

/** An integer environment variable, or a ConfigError naming the variable. */
function envInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number {
  const v = env[name]!.trim();
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: "${env[name]}" is not an integer in [${min}, ${max}]`);
  return n;
}

/** Environment overrides (RETINASTREAM_*), as a partial config. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, Json> {
  const o: Record<string, Json> = {};
  if (env.RETINASTREAM_MODEL) o.model = env.RETINASTREAM_MODEL;
  if (env.RETINASTREAM_BACKEND) o.backend = env.RETINASTREAM_BACKEND;
  if (env.RETINASTREAM_PRECISION) o.precision = env.RETINASTREAM_PRECISION;
  if (env.RETINASTREAM_INPUTS) {
    o.inputs = env.RETINASTREAM_INPUTS.split(',')
      .map((a) => a.trim())
      .filter(Boolean)
      .map((a) => {
        try {
          const { id, url } = parseInputArg(a);
          return (url === a ? { url } : { id, url }) as Record<string, Json>; // an id only when the entry gave one (ID=URL)
        } catch (e) {
          throw new ConfigError(`RETINASTREAM_INPUTS: ${(e as Error).message}`);
        }
      });
  }
  if (env.RETINASTREAM_MIN_SCORE) {
    const n = Number(env.RETINASTREAM_MIN_SCORE);
    if (!Number.isFinite(n) || n < 0 || n >= 1) throw new ConfigError(`RETINASTREAM_MIN_SCORE: "${env.RETINASTREAM_MIN_SCORE}" is not a number in [0, 1)`);
    o.postprocess = { scoreThresh: n };
  }
  const sinks: Record<string, Json> = {};
  if (env.RETINASTREAM_WS_PORT) sinks.ws = { port: envInt(env, 'RETINASTREAM_WS_PORT', 0, 65535) };
  if (env.RETINASTREAM_KAFKA_BROKERS) sinks.kafka = { brokers: env.RETINASTREAM_KAFKA_BROKERS.split(',').filter(Boolean) };
  if (env.RETINASTREAM_JSONL) sinks.jsonl = env.RETINASTREAM_JSONL;
  if (env.RETINASTREAM_CLUSTER) o.cluster = { name: env.RETINASTREAM_CLUSTER };
  if (Object.keys(sinks).length) o.sinks = sinks;
  return o;
}

export interface ConfigLayers {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, Json>;
}

export function resolveRunConfig(layers: ConfigLayers): RunConfig {
  let c = loadDefaults() as unknown as Json;
  if (layers.file) {
    let text: string;
    try {
      text = readFileSync(layers.file, 'utf8');
    } catch {
      throw new ConfigError(`--config: ${layers.file}: file not found or unreadable`);
    }
    c = mergeChecked(c, parseJsonc(text, layers.file) as Json, layers.file);
  }
  if (layers.env) c = mergeChecked(c, configFromEnv(layers.env), 'environment');
  if (layers.flags) c = mergeChecked(c, layers.flags, 'flags');
  return validateRunConfig(c as unknown as RunConfig);
}
