// A stream of the cluster's registry: key = stream id, value = its input spec as JSON (URL and per-stream
// options, validated as config inputs are). A tombstone (null value) removes the stream.
import { ConfigError, validateInputUrl } from '../config/runConfig.ts';

export interface StreamSpec {
  id: string;
  /** A file path or an rtsp(s)/http(s)/rtmp(s)/udp/tcp/srt/file URL. */
  url: string;
  /** Drop-to-newest instead of lossless (default: true for everything but files). */
  live?: boolean;
  rtspTransport?: 'tcp' | 'udp';
  /** A local file read at its native rate and looped until the stream is removed (as `run --loop`). */
  loop?: boolean;
}

const SPEC_KEYS = ['url', 'live', 'rtspTransport', 'loop'];
const ID = /^[A-Za-z0-9._-]{1,64}$/;

export function checkStreamId(id: unknown, where: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw new ConfigError(`${where}: stream id ${JSON.stringify(id)} must be 1-64 of A-Z a-z 0-9 . _ -`);
  return id;
}

/** Validates a spec (as `streams add` builds it or a registry value holds it); errors name `where`. */
export function checkStreamSpec(id: string, value: unknown, where: string): StreamSpec {
  checkStreamId(id, where);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where}: expected an object {url, live?, rtspTransport?, loop?}`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!SPEC_KEYS.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (known: ${SPEC_KEYS.join(', ')})`);
  validateInputUrl(v.url, `${where}.url`);
  for (const k of ['live', 'loop'] as const) if (v[k] !== undefined && typeof v[k] !== 'boolean') throw new ConfigError(`${where}.${k}: expected true or false`);
  if (v.rtspTransport !== undefined && v.rtspTransport !== 'tcp' && v.rtspTransport !== 'udp') throw new ConfigError(`${where}.rtspTransport: expected "tcp" or "udp"`);
  const spec: StreamSpec = { id, url: v.url as string };
  if (v.live !== undefined) spec.live = v.live as boolean;
  if (v.rtspTransport !== undefined) spec.rtspTransport = v.rtspTransport as 'tcp' | 'udp';
  if (v.loop !== undefined) spec.loop = v.loop as boolean;
  return spec;
}

/** The registry value of a spec (the id is the record's key). */
export function encodeStreamSpec(spec: StreamSpec): string {
  const { id: _id, ...value } = spec;
  return JSON.stringify(value);
}

/** A registry record's spec, or null for a tombstone; throws ConfigError on a bad value. */
export function decodeStreamSpec(key: string, value: string | null): StreamSpec | null {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(`registry stream ${JSON.stringify(key)}: value is not JSON`);
  }
  return checkStreamSpec(key, parsed, `registry stream ${key}`);
}

export const sameSpec = (a: StreamSpec, b: StreamSpec): boolean => encodeStreamSpec(a) === encodeStreamSpec(b);
