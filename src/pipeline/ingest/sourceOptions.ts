// Options of a stream source: the documented defaults merged with the caller's, each checked.

import { availableParallelism } from 'node:os';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { IngestError } from './errors.ts';
import { classifyUrl, unsupportedScheme, type UrlKind } from './ffmpegArgs.ts';

export interface SourceOptions {
  /** Stream id, reported in frames and status events. */
  id: string;
  /** File path, rtsp://, http(s):// (HLS too), /dev/video*, anything ffmpeg opens. */
  url: string;
  /** Model input canvas: frames are scaled to fit inside (aspect kept) and padded to it. */
  canvasWidth: number;
  canvasHeight: number;
  /** RGB of the padding; default the ImageNet mean colour [124, 116, 104]. */
  padColor?: [number, number, number];
  /** Drop-to-newest and reconnect forever; default true for rtsp/http/udp/devices, false for files. */
  live?: boolean;
  /** A live local file is read at its native rate (-re) unless this is false. */
  realtime?: boolean;
  /** RTSP transport; default tcp. */
  rtspTransport?: 'tcp' | 'udp';
  /** Socket timeout of RTSP (-timeout) and HTTP (-rw_timeout); default 10000. */
  connectTimeoutMs?: number;
  /** No frame for this long -> stalled -> ffmpeg restarted; default 10000. The first frame of a
   *  connection may take connectTimeoutMs + stallTimeoutMs. */
  stallTimeoutMs?: number;
  /** Delay between attempts; default 500 ms doubling up to 30 s, +-20% jitter. */
  backoff?: BackoffOptions;
  /** Attempts after a failure before giving up; live: Infinity, files: 0 (a broken file fails). */
  maxRetries?: number;
  /** Frames buffered for lossless sources before ffmpeg is paused; default 2. */
  losslessQueue?: number;
  /** Default: findFfmpeg(). */
  ffmpegPath?: string;
  /** Decoder threads of this input's ffmpeg (`-threads`); default autoDecodeThreads(1); 0 lets ffmpeg choose
   *  (one per core, plus frame-threading latency). */
  decodeThreads?: number;
  /** Extra ffmpeg options placed before -i (e.g. ['-hwaccel', 'auto']). */
  inputArgs?: string[];
}

export interface ResolvedSourceOptions {
  id: string;
  url: string;
  kind: UrlKind;
  canvasWidth: number;
  canvasHeight: number;
  padColor: [number, number, number];
  live: boolean;
  realtime: boolean;
  rtspTransport: 'tcp' | 'udp';
  connectTimeoutMs: number;
  stallTimeoutMs: number;
  backoff: BackoffOptions;
  maxRetries: number;
  losslessQueue: number;
  ffmpegPath: string | undefined;
  decodeThreads: number;
  inputArgs: string[];
  /** A clean exit of ffmpeg ends the stream (files, lossless inputs); else it is a disconnect. */
  endsOnEof: boolean;
}

/**
 * Decoder threads per input when none is given: 2 (as Frigate does) while there is a core per 2 of them, 1 once
 * the streams outnumber half the cores. 4 streams of the demo video on 2 cores: end-to-end/engine 0.95 and
 * 0.95 with 1 thread each, 0.93 and 0.93 with 2 (bench pipeline --decode-threads, alternating runs): more
 * decoder threads than cores only add context switches to the inference threads' cores.
 */
export function autoDecodeThreads(streams: number, cores = availableParallelism()): number {
  return Math.min(2, Math.max(1, Math.floor(cores / Math.max(1, streams))));
}
export const DEFAULT_PAD_COLOR: [number, number, number] = [124, 116, 104];
const MAX_CANVAS = 8192;

function bad(id: string, what: string, got: unknown): never {
  throw new IngestError('RS_ERR_SOURCE_OPTIONS', `source "${id}": ${what}, got ${JSON.stringify(got) ?? String(got)}`);
}

function positive(id: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(id, `${name} must be a positive number`, v);
  return v;
}

export function resolveSourceOptions(o: SourceOptions): ResolvedSourceOptions {
  const id = o.id;
  if (typeof id !== 'string' || id.trim().length === 0) bad(String(id), 'id must be a non-empty string', id);
  if (typeof o.url !== 'string' || o.url.trim().length === 0) bad(id, 'url must be a non-empty string', o.url);
  for (const [name, v] of [['canvasWidth', o.canvasWidth], ['canvasHeight', o.canvasHeight]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_CANVAS) bad(id, `${name} must be an integer in [1, ${MAX_CANVAS}]`, v);
  }
  const padColor = o.padColor ?? DEFAULT_PAD_COLOR;
  if (!Array.isArray(padColor) || padColor.length !== 3 || !padColor.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
    bad(id, 'padColor must be [r, g, b] with integers in [0, 255]', padColor);
  }
  const refused = unsupportedScheme(o.url);
  if (refused) bad(id, `url ${refused}`, o.url);
  const kind = classifyUrl(o.url);
  const live = o.live ?? kind !== 'file';
  if (typeof live !== 'boolean') bad(id, 'live must be a boolean', live);
  const rtspTransport = o.rtspTransport ?? 'tcp';
  if (rtspTransport !== 'tcp' && rtspTransport !== 'udp') bad(id, 'rtspTransport must be "tcp" or "udp"', rtspTransport);
  const connectTimeoutMs = positive(id, 'connectTimeoutMs', o.connectTimeoutMs ?? 10000);
  const stallTimeoutMs = positive(id, 'stallTimeoutMs', o.stallTimeoutMs ?? 10000);
  const backoff = { ...DEFAULT_BACKOFF, ...(o.backoff ?? {}) };
  positive(id, 'backoff.initialMs', backoff.initialMs);
  positive(id, 'backoff.maxMs', backoff.maxMs);
  if (backoff.maxMs < backoff.initialMs) bad(id, 'backoff.maxMs must be >= backoff.initialMs', backoff);
  if (!(backoff.factor >= 1)) bad(id, 'backoff.factor must be >= 1', backoff.factor);
  if (!(backoff.jitter >= 0 && backoff.jitter < 1)) bad(id, 'backoff.jitter must be in [0, 1)', backoff.jitter);
  const maxRetries = o.maxRetries ?? (live ? Infinity : 0);
  if (!(maxRetries === Infinity || (Number.isInteger(maxRetries) && maxRetries >= 0))) {
    bad(id, 'maxRetries must be a non-negative integer or Infinity', maxRetries);
  }
  const losslessQueue = o.losslessQueue ?? 2;
  if (!Number.isInteger(losslessQueue) || losslessQueue < 1) bad(id, 'losslessQueue must be an integer >= 1', losslessQueue);
  const decodeThreads = o.decodeThreads ?? autoDecodeThreads(1);
  if (!Number.isInteger(decodeThreads) || decodeThreads < 0 || decodeThreads > 64) bad(id, 'decodeThreads must be an integer in [0, 64]', decodeThreads);
  const inputArgs = o.inputArgs ?? [];
  if (!Array.isArray(inputArgs) || !inputArgs.every((a) => typeof a === 'string')) {
    bad(id, 'inputArgs must be an array of strings', inputArgs);
  }
  return {
    id,
    url: o.url,
    kind,
    canvasWidth: o.canvasWidth,
    canvasHeight: o.canvasHeight,
    padColor: [padColor[0], padColor[1], padColor[2]],
    live,
    realtime: o.realtime ?? (live && kind === 'file'),
    rtspTransport,
    connectTimeoutMs,
    stallTimeoutMs,
    backoff,
    maxRetries,
    losslessQueue,
    ffmpegPath: o.ffmpegPath,
    decodeThreads,
    inputArgs,
    endsOnEof: !live || kind === 'file',
  };
}
