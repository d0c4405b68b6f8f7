// WebSocket fan-out of pipeline events, on an existing node:http server (path /ws).
//
// Clients subscribe by query string or JSON messages (see subscription.ts) and get
// {"type":"hello", streams, classes, minScore, schemaVersion: 1} on connect.
// Each event is serialized once per distinct detection filter and the same bytes go to every
// client of that filter. The pipeline never waits for a client: a client whose send buffer would
// exceed maxBufferedBytes misses messages (counted); the first message it gets after that is
// preceded by {"type":"notice","code":"RS_WS_DROPPED","dropped":N}.
// Other frames the server sends: {"type":"subscribed",...} after (un)subscribe, {"type":"pong","time"}
// after ping, {"type":"error","code":"RS_WS_BAD_MESSAGE","message"} for a bad message (the
// connection stays open). A ping/pong heartbeat terminates clients that stop answering.
// Upgrade refusals: 401 wrong/missing token, 503 full or closing, 400 bad query, 404 other path
// (only when no other upgrade handler is attached to the server).

import http from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import type { PipelineEvent, Sink, SinkStats } from '../types.ts';
import { EVENT_SCHEMA_VERSION } from '../types.ts';
import type { Metrics } from '../metrics/metrics.ts';
import {
  SubscriptionError, applyMessage, describeSubscription, detectionFilterKey, filterEvent, parseClientMessage,
  parseSubscriptionQuery, subscriptionKey, wantsStream, type Subscription,
} from './subscription.ts';
import { RetinaStreamError } from '../../errors.ts';

export interface WsSinkOptions {
  server: http.Server;
  /** Upgrade path (default "/ws"). */
  path?: string;
  /** When set, clients must send it as ?token= or "Authorization: Bearer <token>". */
  token?: string;
  /** Connected clients at most (default 1000); more get 503. */
  maxClients?: number;
  /** Largest message a client may send (default 4096 bytes); larger closes the connection with 1009. */
  maxMessageBytes?: number;
  /** Per-client send buffer above which messages are dropped for that client (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Heartbeat interval (default 15000 ms); a client silent for a whole interval after a ping is closed. */
  pingIntervalMs?: number;
  /** Report this sink's stats in these metrics. */
  metrics?: Metrics;
  /** Sink name in metrics and the status line (default "ws"). */
  name?: string;
}

export interface WsSink extends Sink {
  clientCount(): number;
}

export class WsSinkError extends RetinaStreamError<'RS_ERR_WS_OPTIONS'> {
  constructor(message: string) {
    super('RS_ERR_WS_OPTIONS', message);
  }
}

interface Client {
  ws: WebSocket;
  group: Group;
  /** Messages dropped since the client last received one. */
  dropped: number;
  alive: boolean;
}

interface Group {
  sub: Subscription;
  detectionKey: string;
  clients: Set<Client>;
}

/** A message serialized and framed once, then written as-is to every client that gets it. */
interface Framed {
  payload: Buffer;
  frame: Buffer;
}

/** An unmasked, final text frame (RFC 6455, 5.2) around `payload`; server frames are never masked. */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head);
  return frame;
}

type RawSocket = { write(b: Buffer): boolean; writable?: boolean; cork(): void; uncork(): void };

/** What the pre-framed path needs of ws 8's internals: its socket, and a sender with nothing queued. */
interface WsInternals {
  _socket?: RawSocket;
  _sender?: { _state?: number; _bufferedBytes?: number };
}

/**
 * Writes to each client's socket are corked until the end of the current tick: the events of one batch
 * are written synchronously one after another, so a client gets them in one writev, not one syscall each.
 */
const corked = new Set<RawSocket>();
function corkUntilNextTick(socket: RawSocket): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (corked.size === 1) process.nextTick(uncorkAll);
}
function uncorkAll(): void {
  for (const s of corked) s.uncork();
  corked.clear();
}

/**
 * One socket write of the frame built once for all clients, instead of ws.send() framing it again per
 * client. Only when ws would write at once itself (no compression: perMessageDeflate is off here;
 * nothing queued in its sender), so order and bufferedAmount stay ws's own; else ws.send().
 */
function sendFramed(ws: WebSocket, msg: Framed): void {
  const raw = ws as unknown as WsInternals;
  if (raw._socket?.writable && raw._sender?._state === 0 && raw._sender._bufferedBytes === 0) {
    corkUntilNextTick(raw._socket);
    raw._socket.write(msg.frame);
  } else {
    ws.send(msg.payload, { binary: false });
  }
}

const DEFAULTS = { path: '/ws', maxClients: 1000, maxMessageBytes: 4096, maxBufferedBytes: 1 << 20, pingIntervalMs: 15000, name: 'ws' };
const CLOSE_WAIT_MS = 2000;

export function createWsSink(options: WsSinkOptions): WsSink {
  const opts = { ...DEFAULTS, ...definedOnly(options) };
  for (const key of ['maxClients', 'maxMessageBytes', 'maxBufferedBytes', 'pingIntervalMs'] as const) {
    if (!Number.isInteger(opts[key]) || opts[key] < 1) throw new WsSinkError(`ws sink: ${key} ${opts[key]} must be an integer >= 1`);
  }
  if (!opts.path.startsWith('/')) throw new WsSinkError(`ws sink: path "${opts.path}" must start with "/"`);
  if (opts.token !== undefined && opts.token.length === 0) throw new WsSinkError('ws sink: token is empty (leave it out to disable auth)');

  const server = options.server;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, clientTracking: false, perMessageDeflate: false });
  const clients = new Set<Client>();
  const groups = new Map<string, Group>();
  const counts = { written: 0, dropped: 0, events: 0, serializations: 0, notices: 0, rejected: 0, timedOut: 0, badMessages: 0, errors: 0 };
  let pending = 0;
  let closed = false;

  /** Moves the client (if any) to the group of this subscription, creating the group when new. */
  function joinGroup(client: Client | null, sub: Subscription): Group {
    const key = subscriptionKey(sub);
    if (client && client.group === groups.get(key)) return client.group;
    if (client) leaveGroup(client);
    let group = groups.get(key);
    if (!group) {
      group = { sub, detectionKey: detectionFilterKey(sub), clients: new Set() };
      groups.set(key, group);
    }
    if (client) {
      client.group = group;
      group.clients.add(client);
    }
    return group;
  }

  function leaveGroup(client: Client): void {
    const g = client.group;
    g.clients.delete(client);
    if (g.clients.size === 0) groups.delete(subscriptionKey(g.sub));
  }

  function sendControl(client: Client, frame: object): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    if (client.ws.bufferedAmount > opts.maxBufferedBytes) return;
    client.ws.send(JSON.stringify(frame));
  }

  function deliver(client: Client, msg: Framed): void {
    const ws = client.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount + msg.frame.length > opts.maxBufferedBytes) {
      client.dropped++;
      counts.dropped++;
      return;
    }
    if (client.dropped > 0) {
      ws.send(JSON.stringify({ type: 'notice', code: 'RS_WS_DROPPED', dropped: client.dropped }));
      client.dropped = 0;
      counts.notices++;
    }
    sendFramed(ws, msg);
    counts.written++;
  }

  function serialize(event: PipelineEvent): Framed {
    counts.serializations++;
    const payload = Buffer.from(JSON.stringify(event));
    return { payload, frame: textFrame(payload) };
  }

  function onMessage(client: Client, data: WebSocket.RawData, isBinary: boolean): void {
    client.alive = true;
    try {
      if (isBinary) throw new SubscriptionError('RS_WS_BAD_MESSAGE', 'message: binary frames are not accepted, send JSON text');
      const msg = parseClientMessage(rawToString(data));
      if (msg.op === 'ping') {
        sendControl(client, { type: 'pong', time: new Date().toISOString() });
        return;
      }
      joinGroup(client, applyMessage(client.group.sub, msg));
      sendControl(client, { type: 'subscribed', ...describeSubscription(client.group.sub) });
    } catch (err) {
      counts.badMessages++;
      const message = err instanceof SubscriptionError ? err.message : `message: ${err instanceof Error ? err.message : String(err)}`;
      sendControl(client, { type: 'error', code: 'RS_WS_BAD_MESSAGE', message });
    }
  }

  function onConnection(ws: WebSocket, sub: Subscription): void {
    const group = joinGroup(null, sub);
    const client: Client = { ws, group, dropped: 0, alive: true };
    group.clients.add(client);
    clients.add(client);
    ws.on('message', (data, isBinary) => onMessage(client, data, isBinary));
    ws.on('pong', () => (client.alive = true));
    // ws reports protocol errors (e.g. a message over maxPayload) here and then closes the socket itself.
    ws.on('error', () => counts.errors++);
    ws.on('close', () => {
      clients.delete(client);
      leaveGroup(client);
    });
    sendControl(client, { type: 'hello', ...describeSubscription(sub), schemaVersion: EVENT_SCHEMA_VERSION });
  }

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== opts.path) {
      if (server.listenerCount('upgrade') === 1) reject(socket, 404, `no WebSocket endpoint at ${url.pathname} (use ${opts.path})`);
      return;
    }
    if (closed) return reject(socket, 503, 'server is shutting down');
    if (opts.token !== undefined && !tokenMatches(opts.token, requestToken(req, url))) {
      return reject(socket, 401, 'missing or wrong token (send ?token= or Authorization: Bearer)');
    }
    if (clients.size + pending >= opts.maxClients) return reject(socket, 503, `too many clients (limit ${opts.maxClients})`);
    let sub: Subscription;
    try {
      sub = parseSubscriptionQuery(url.searchParams);
    } catch (err) {
      return reject(socket, 400, err instanceof Error ? err.message : String(err));
    }
    pending++;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        pending--;
      }
    };
    socket.once('close', settle);
    wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      socket.off('close', settle);
      onConnection(ws, sub);
    });
  }

  function reject(socket: Duplex, status: number, message: string): void {
    counts.rejected++;
    socket.on('error', () => {});
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = message.replace(/[\r\n]+/g, ' ') + '\n';
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        counts.timedOut++;
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, opts.pingIntervalMs);
  heartbeat.unref();
  server.on('upgrade', onUpgrade);

  const sink: WsSink = {
    name: opts.name,
    write(event) {
      if (closed) return;
      try {
        counts.events++;
        let whole: Framed | undefined;
        const byFilter = new Map<string, Framed>();
        for (const group of groups.values()) {
          if (!wantsStream(group.sub, event.streamId)) continue;
          let data: Framed;
          if (event.type === 'detections') {
            let cached = byFilter.get(group.detectionKey);
            if (!cached) {
              const seen = filterEvent(group.sub, event);
              cached = seen === event ? (whole ??= serialize(event)) : serialize(seen);
              byFilter.set(group.detectionKey, cached);
            }
            data = cached;
          } else {
            data = whole ??= serialize(event);
          }
          for (const client of group.clients) deliver(client, data);
        }
      } catch {
        // A sink never throws into the pipeline; an unserializable event is counted as dropped.
        counts.dropped++;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      const all = [...clients];
      await Promise.all(
        all.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.ws.readyState === WebSocket.CLOSED) return resolve();
              const timer = setTimeout(() => c.ws.terminate(), CLOSE_WAIT_MS);
              c.ws.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              c.ws.close(1001, 'server shutting down');
            }),
        ),
      );
      wss.close();
    },
    stats(): SinkStats {
      let bufferedBytes = 0;
      for (const c of clients) bufferedBytes += c.ws.bufferedAmount;
      return { ...counts, clients: clients.size, bufferedBytes };
    },
    clientCount: () => clients.size,
  };
  opts.metrics?.watchSink(sink);
  return sink;
}

function requestToken(req: http.IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1];
  }
  return url.searchParams.get('token');
}

function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
