// Validation of the config's zones and lines: shape, units, geometry (pure functions in
// pipeline/tracking/zones.ts), unique names per stream, and that tracking is on. Each problem is one line
// naming the key (zones[2].polygon: ...).
import type { RetinaStreamError } from '../errors.ts';
import type { ByteTrackOptions } from '../pipeline/tracking/byteTrack.ts';
import type { LineSpec, ZoneSpec } from '../pipeline/tracking/zoneOperator.ts';
import { polygonProblem, type Point } from '../pipeline/tracking/zones.ts';

type Fail = new (message: string) => RetinaStreamError;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function point(v: unknown, key: string, units: string, Err: Fail): Point {
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new Err(`${key}: ${JSON.stringify(v)} is not a point [x, y]`);
  const [x, y] = v as [number, number];
  if (units === 'fraction' && (x < 0 || x > 1 || y < 0 || y > 1)) throw new Err(`${key}: ${JSON.stringify(v)} is outside [0, 1] (units "fraction")`);
  if (units === 'px' && (x < 0 || y < 0)) throw new Err(`${key}: ${JSON.stringify(v)} has a negative pixel coordinate`);
  return [x, y];
}

function common(z: unknown, key: string, allowed: string[], Err: Fail): Record<string, unknown> & { units: string } {
  if (!isObj(z)) throw new Err(`${key}: expected an object {${allowed.join(', ')}}`);
  for (const k of Object.keys(z)) if (!allowed.includes(k)) throw new Err(`${key}: unknown key "${k}" (known: ${allowed.join(', ')})`);
  if (typeof z.stream !== 'string' || z.stream === '') throw new Err(`${key}.stream: expected a stream id, got ${JSON.stringify(z.stream)}`);
  if (typeof z.name !== 'string' || !/^[A-Za-z0-9 ._:-]{1,64}$/.test(z.name)) throw new Err(`${key}.name: ${JSON.stringify(z.name)} must be 1-64 of A-Z a-z 0-9 space . _ : -`);
  const units = z.units ?? 'px';
  if (units !== 'px' && units !== 'fraction') throw new Err(`${key}.units: ${JSON.stringify(z.units)} is not "px" or "fraction"`);
  if (z.anchor !== undefined && z.anchor !== 'bottom_center' && z.anchor !== 'center') throw new Err(`${key}.anchor: ${JSON.stringify(z.anchor)} is not "bottom_center" or "center"`);
  return { ...z, units };
}

export function validateZones(c: { zones: unknown; lines: unknown; tracking: Pick<ByteTrackOptions, never> & { enabled: boolean } }, Err: Fail): void {
  for (const key of ['zones', 'lines'] as const) if (!Array.isArray(c[key])) throw new Err(`${key}: expected a list (see config/default.jsonc)`);
  const zones = c.zones as unknown[];
  const lines = c.lines as unknown[];
  const names = new Set<string>();
  const unique = (key: string, kind: string, stream: string, name: string) => {
    const k = `${kind}\u0000${stream}\u0000${name}`;
    if (names.has(k)) throw new Err(`${key}.name: "${name}" is used twice on stream "${stream}"`);
    names.add(k);
  };
  zones.forEach((raw, i) => {
    const key = `zones[${i}]`;
    const z = common(raw, key, ['stream', 'name', 'polygon', 'units', 'anchor'], Err);
    if (!Array.isArray(z.polygon)) throw new Err(`${key}.polygon: expected a list of [x, y] points`);
    const poly = z.polygon.map((p, j) => point(p, `${key}.polygon[${j}]`, z.units, Err));
    const problem = polygonProblem(poly);
    if (problem) throw new Err(`${key}.polygon: ${problem}`);
    unique(key, 'zone', z.stream as string, z.name as string);
  });
  lines.forEach((raw, i) => {
    const key = `lines[${i}]`;
    const l = common(raw, key, ['stream', 'name', 'from', 'to', 'units', 'anchor'], Err);
    const a = point(l.from, `${key}.from`, l.units, Err);
    const b = point(l.to, `${key}.to`, l.units, Err);
    if (a[0] === b[0] && a[1] === b[1]) throw new Err(`${key}: from and to are the same point ${JSON.stringify(a)} (a line of length 0)`);
    unique(key, 'line', l.stream as string, l.name as string);
  });
  if ((zones.length || lines.length) && !c.tracking.enabled) {
    throw new Err(`${zones.length ? 'zones' : 'lines'}: zone and line events need tracking, but tracking.enabled is false (or --no-track)`);
  }
}
