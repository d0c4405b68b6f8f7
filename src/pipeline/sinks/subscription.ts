// What a WebSocket client wants to receive, and how it says so.
//
// A subscription selects streams (all, or a set), classes (all, or a set of labels / class ids)
// and a minimum detection score. Clients set it with the query string of the upgrade request
// (`/ws?streams=cam1,cam2&classes=person,car&minScore=0.5`; no `streams` = all streams) and change
// it later with JSON messages:
//   {"op":"subscribe","streams":["cam1"],"classes":["person",2],"minScore":0.5}
//       each field given replaces the current value; fields left out keep theirs;
//       "*" (or ["*"]) means all streams / all classes.
//   {"op":"unsubscribe","streams":["cam1"]}   removes those streams; without `streams`: all of them.
//   {"op":"ping"}                             the server answers {"type":"pong"}.
// Filtering keeps every event of a subscribed stream: a detections event whose detections are all
// filtered out is still sent, with an empty list, so clients see each stream is alive.

import type { Detection, DetectionEvent } from '../types.ts';
import { RetinaStreamError } from '../../errors.ts';

export type Selection = '*' | ReadonlySet<string>;

export interface Subscription {
  streams: Selection;
  /** Labels or class ids (as decimal strings). */
  classes: Selection;
  /** Detections scoring below this are left out (0 keeps all). */
  minScore: number;
}

export type ClientMessage =
  | { op: 'subscribe'; streams?: Selection; classes?: Selection; minScore?: number }
  | { op: 'unsubscribe'; streams?: ReadonlySet<string> }
  | { op: 'ping' };

export class SubscriptionError extends RetinaStreamError<'RS_WS_BAD_MESSAGE' | 'RS_WS_BAD_QUERY'> {}

export const ALL: Subscription = Object.freeze({ streams: '*', classes: '*', minScore: 0 });

const QUERY_KEYS = new Set(['streams', 'classes', 'minScore', 'token']);
const MAX_NAMES = 1000;
const MAX_NAME_LENGTH = 256;

/** Reads `streams`, `classes` and `minScore` from an upgrade URL's query (`token` is allowed and ignored). */
export function parseSubscriptionQuery(params: URLSearchParams): Subscription {
  for (const key of params.keys()) {
    if (!QUERY_KEYS.has(key)) throw queryError(`query parameter ${key} is not known (expected streams, classes, minScore, token)`);
  }
  const streams = params.get('streams');
  const classes = params.get('classes');
  const minScore = params.get('minScore');
  return {
    streams: streams === null || streams === '' ? '*' : namesFromList(streams.split(','), 'streams', queryError),
    classes: classes === null || classes === '' ? '*' : namesFromList(classes.split(','), 'classes', queryError),
    minScore: minScore === null || minScore === '' ? 0 : scoreFrom(Number(minScore), minScore, queryError),
  };
}

/** Parses one text frame from a client; throws SubscriptionError (RS_WS_BAD_MESSAGE) naming the field and the problem. */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw messageError('message is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw messageError('message must be a JSON object with an "op" field');
  const msg = raw as Record<string, unknown>;
  const allowed = msg.op === 'subscribe' ? ['op', 'streams', 'classes', 'minScore'] : msg.op === 'unsubscribe' ? ['op', 'streams'] : ['op'];
  if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe' && msg.op !== 'ping') {
    throw messageError(`op: ${JSON.stringify(msg.op) ?? 'missing'} is not known (expected "subscribe", "unsubscribe" or "ping")`);
  }
  for (const key of Object.keys(msg)) {
    if (!allowed.includes(key)) throw messageError(`${key}: not a field of op "${msg.op}" (expected ${allowed.join(', ')})`);
  }
  if (msg.op === 'ping') return { op: 'ping' };
  if (msg.op === 'unsubscribe') {
    if (msg.streams === undefined) return { op: 'unsubscribe' };
    const streams = selectionFrom(msg.streams, 'streams');
    if (streams === '*') return { op: 'unsubscribe' };
    return { op: 'unsubscribe', streams };
  }
  const out: ClientMessage = { op: 'subscribe' };
  if (msg.streams !== undefined) out.streams = selectionFrom(msg.streams, 'streams');
  if (msg.classes !== undefined) out.classes = selectionFrom(msg.classes, 'classes');
  if (msg.minScore !== undefined) out.minScore = scoreFrom(msg.minScore, JSON.stringify(msg.minScore), messageError);
  return out;
}

/** The subscription after a subscribe/unsubscribe message (ping leaves it unchanged). */
export function applyMessage(sub: Subscription, msg: ClientMessage): Subscription {
  if (msg.op === 'subscribe') {
    return { streams: msg.streams ?? sub.streams, classes: msg.classes ?? sub.classes, minScore: msg.minScore ?? sub.minScore };
  }
  if (msg.op === 'unsubscribe') {
    if (msg.streams === undefined) return { ...sub, streams: new Set() };
    if (sub.streams === '*') {
      throw messageError('streams: cannot unsubscribe single streams while subscribed to all ("*"); subscribe to a list first');
    }
    const left = new Set(sub.streams);
    for (const s of msg.streams) left.delete(s);
    return { ...sub, streams: left };
  }
  return sub;
}

/** Plain JSON form, as sent in hello/subscribed frames: selections are "*" or sorted arrays. */
export function describeSubscription(sub: Subscription): { streams: '*' | string[]; classes: '*' | string[]; minScore: number } {
  return { streams: listOf(sub.streams), classes: listOf(sub.classes), minScore: sub.minScore };
}

/** Equal keys mean equal subscriptions (used to serialize each event once per distinct filter). */
export function subscriptionKey(sub: Subscription): string {
  return JSON.stringify(describeSubscription(sub));
}

/** Key of the detection filter alone (classes and minScore); equal keys filter detections the same way. */
export function detectionFilterKey(sub: Subscription): string {
  return JSON.stringify([listOf(sub.classes), sub.minScore]);
}

export function wantsStream(sub: Subscription, streamId: string): boolean {
  return sub.streams === '*' || sub.streams.has(streamId);
}

/** The detections this subscription keeps; the same array when nothing is filtered out. */
export function filterDetections(sub: Subscription, detections: Detection[]): Detection[] {
  if (sub.classes === '*' && sub.minScore <= 0) return detections;
  const classes = sub.classes;
  const kept = detections.filter(
    (d) => d.score >= sub.minScore && (classes === '*' || classes.has(d.label) || classes.has(String(d.classId))),
  );
  return kept.length === detections.length ? detections : kept;
}

/** The event as this subscription sees it (the same object when nothing is filtered out). */
export function filterEvent(sub: Subscription, event: DetectionEvent): DetectionEvent {
  const detections = filterDetections(sub, event.detections);
  return detections === event.detections ? event : { ...event, detections };
}

function listOf(sel: Selection): '*' | string[] {
  return sel === '*' ? '*' : [...sel].sort();
}

function selectionFrom(value: unknown, field: string): Selection {
  if (value === '*') return '*';
  if (!Array.isArray(value)) throw messageError(`${field}: expected an array of names or "*", got ${typeName(value)}`);
  if (value.length === 1 && value[0] === '*') return '*';
  value.forEach((v, i) => {
    const ok = typeof v === 'string' || (field === 'classes' && Number.isInteger(v) && (v as number) >= 0);
    if (!ok) {
      const want = field === 'classes' ? 'a label string or a class id (integer >= 0)' : 'a stream id string';
      throw messageError(`${field}[${i}]: expected ${want}, got ${typeName(v)}`);
    }
  });
  return namesFromList(value.map(String), field, messageError);
}

function namesFromList(names: string[], field: string, fail: (m: string) => SubscriptionError): ReadonlySet<string> {
  if (names.length > MAX_NAMES) throw fail(`${field}: ${names.length} names, at most ${MAX_NAMES} allowed`);
  names.forEach((n, i) => {
    if (n.length === 0) throw fail(`${field}[${i}]: empty name`);
    if (n.length > MAX_NAME_LENGTH) throw fail(`${field}[${i}]: name is ${n.length} characters, at most ${MAX_NAME_LENGTH} allowed`);
  });
  return new Set(names);
}

function scoreFrom(value: unknown, shown: string, fail: (m: string) => SubscriptionError): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw fail(`minScore: ${shown} is not a number between 0 and 1`);
  }
  return value;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : `${typeof v} ${JSON.stringify(v)}`;
}

function messageError(message: string): SubscriptionError {
  return new SubscriptionError('RS_WS_BAD_MESSAGE', message);
}

function queryError(message: string): SubscriptionError {
  return new SubscriptionError('RS_WS_BAD_QUERY', message);
}
