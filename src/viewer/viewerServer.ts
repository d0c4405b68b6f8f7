// The live viewer: a page at / (src/viewer/static, plain HTML + JS, no bundler) and a WebSocket at /viewer/ws on the
// pipeline's HTTP server. A frame goes to a viewer as one binary message holding the frame's detection event and its
// JPEG (sharp), so the browser draws the boxes of exactly the event that belongs to that picture. Each viewer asks for
// a stream set and a frame rate; frames are encoded only when some viewer is due one (once per frame, shared by all
// viewers that asked), at most `maxFps` per viewer and stream, and skipped for a viewer whose socket is backed up.
// With no viewer connected, onResult and onEvent return at once: the pipeline pays nothing.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import sharp from 'sharp';
import { WebSocket, WebSocketServer } from 'ws';
import type { Batch, DetectionEvent, PipelineEvent, StreamState } from '../pipeline/types.ts';
import type { LineSpec, ZoneSpec } from '../pipeline/tracking/zoneOperator.ts';

export interface ViewerOptions {
  server: http.Server;
  /** Required of the page's WebSocket as ?token= (or Authorization: Bearer), like /ws. */
  token?: string;
  /** Upper bound of frames per second per viewer and stream (a viewer may ask for fewer). Default 15. */
  maxFps?: number;
  /** JPEG quality 1-100. Default 75. */
  jpegQuality?: number;
  /** A viewer whose socket holds more than this many unsent bytes gets no new frame until it drains. Default 2 MB. */
  maxBufferedBytes?: number;
  /** Streams known at start (listed before their first event). */
  streams?: string[];
  /** Shown by the page: model name, the run's score threshold, zones and lines to draw (read when a viewer connects). */
  info?: () => { model?: string; minScore?: number; zones?: readonly ZoneSpec[]; lines?: readonly LineSpec[] };
  maxViewers?: number;
}

export interface ViewerStats {
  viewers: number;
  framesEncoded: number;
  framesSent: number;
  framesSkipped: number;
}

export interface Viewer {
  /** Serves GET / and /viewer/*; returns false for other paths. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Every inference result (the frames); returns at once when no viewer is connected. */
  onResult(r: { batch: Batch }): void;
  /** Every event after the run's filter (the boxes a viewer sees). */
  onEvent(e: PipelineEvent): void;
  stats(): ViewerStats;
  close(): Promise<void>;
}

const STATIC_DIR = join(import.meta.dirname, 'static');
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/viewer/viewer.js': { file: 'viewer.js', type: 'text/javascript; charset=utf-8' },
  '/viewer/viewer.css': { file: 'viewer.css', type: 'text/css; charset=utf-8' },
};
export const VIEWER_WS_PATH = '/viewer/ws';

interface Client {
  ws: WebSocket;
  /** null = every stream */
  streams: Set<string> | null;
  fps: number;
  maxWidth: number;
  lastSent: Map<string, number>;
}

interface StreamInfo {
  state: StreamState | 'unknown';
  reason?: string;
  /** Event times (ms) of the last ~2 s, for fps. */
  times: number[];
  latencyMs: number | null;
  detections: number;
  source: { width: number; height: number } | null;
}

interface Pending {
  frame: Batch['frames'][number];
  clients: Client[];
}

export function createViewer(o: ViewerOptions): Viewer {
  const maxFps = o.maxFps ?? 15;
  const quality = o.jpegQuality ?? 75;
  const maxBuffered = o.maxBufferedBytes ?? 2 * 1024 * 1024;
  const files = Object.fromEntries(Object.entries(STATIC).map(([path, f]) => [path, { body: readFileSync(join(STATIC_DIR, f.file)), type: f.type }]));
  const clients = new Set<Client>();
  const streams = new Map<string, StreamInfo>();
  const pending = new Map<string, Pending>();
  const counts = { framesEncoded: 0, framesSent: 0, framesSkipped: 0 };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const info = (id: string): StreamInfo => {
    let s = streams.get(id);
    if (!s) streams.set(id, (s = { state: 'unknown', times: [], latencyMs: null, detections: 0, source: null }));
    return s;
  };
  for (const id of o.streams ?? []) info(id);

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== VIEWER_WS_PATH) return; // /ws belongs to the WebSocket sink
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`);
    };
    if (o.token !== undefined && !tokenMatches(o.token, requestToken(req, url))) return reject(401, 'Unauthorized: missing or wrong token (open the viewer as /?token=...)');
    if (clients.size >= (o.maxViewers ?? 50)) return reject(503, `Service Unavailable: too many viewers (limit ${o.maxViewers ?? 50})`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, streams: null, fps: Math.min(4, maxFps), maxWidth: 640, lastSent: new Map() };
      clients.add(c);
      ws.on('close', () => clients.delete(c));
      ws.on('error', () => clients.delete(c));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        try {
          const m = JSON.parse(String(data)) as { op?: string; streams?: unknown; fps?: unknown; maxWidth?: unknown };
          if (m.op !== 'view') throw new Error(`unknown op ${JSON.stringify(m.op)}`);
          c.streams = Array.isArray(m.streams) ? new Set(m.streams.map(String)) : null;
          if (typeof m.fps === 'number' && m.fps > 0) c.fps = Math.min(m.fps, maxFps);
          if (typeof m.maxWidth === 'number' && m.maxWidth >= 64) c.maxWidth = Math.min(Math.round(m.maxWidth), 4096);
          c.lastSent.clear();
        } catch (e) {
          ws.send(JSON.stringify({ type: 'error', code: 'RS_VIEWER_BAD_MESSAGE', message: (e as Error).message }));
        }
      });
      const i = o.info?.() ?? {};
      const shapes = i.zones?.length || i.lines?.length ? { zones: i.zones ?? [], lines: i.lines ?? [] } : {};
      ws.send(JSON.stringify({ type: 'hello', model: i.model ?? null, minScore: i.minScore ?? 0, maxFps, streams: snapshot(), ...shapes }));
    });
  };
  o.server.on('upgrade', onUpgrade);

  const snapshot = () => {
    const now = Date.now();
    return [...streams].map(([id, s]) => {
      s.times = s.times.filter((t) => now - t <= 2000);
      return { id, state: s.state, reason: s.reason, fps: s.times.length / 2, latencyMs: s.latencyMs, detections: s.detections, source: s.source };
    });
  };
  const ticker = setInterval(() => {
    if (clients.size === 0) return;
    const msg = JSON.stringify({ type: 'streams', streams: snapshot() });
    for (const c of clients) if (c.ws.readyState === WebSocket.OPEN) c.ws.send(msg);
  }, 1000);
  ticker.unref();

  async function sendFrame(p: Pending, event: DetectionEvent): Promise<void> {
    const f = p.frame;
    const width = Math.min(f.contentWidth, Math.max(...p.clients.map((c) => c.maxWidth)));
    let img = sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } }).extract({ left: 0, top: 0, width: f.contentWidth, height: f.contentHeight });
    if (width < f.contentWidth) img = img.resize({ width });
    const { data: jpeg, info: size } = await img.jpeg({ quality }).toBuffer({ resolveWithObject: true });
    counts.framesEncoded++;
    const header = Buffer.from(JSON.stringify({ type: 'frame', image: { width: size.width, height: size.height }, event }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const msg = Buffer.concat([len, header, jpeg]);
    for (const c of p.clients) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(msg);
      counts.framesSent++;
    }
  }

  return {
    handleRequest(req, res) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === '/favicon.ico') {
        res.writeHead(204).end();
        return true;
      }
      const f = files[path === '/index.html' ? '/' : path];
      if (!f) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end(`method ${req.method} not allowed on ${path}\n`);
        return true;
      }
      res.writeHead(200, { 'Content-Type': f.type, 'Content-Length': f.body.length, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : f.body);
      return true;
    },
    onResult({ batch }) {
      if (clients.size === 0) return;
      const now = Date.now();
      for (const frame of batch.frames) {
        const due: Client[] = [];
        for (const c of clients) {
          if (c.streams && !c.streams.has(frame.streamId)) continue;
          if (now - (c.lastSent.get(frame.streamId) ?? 0) < 1000 / c.fps - 5) continue;
          if (c.ws.bufferedAmount > maxBuffered) {
            counts.framesSkipped++;
            continue;
          }
          c.lastSent.set(frame.streamId, now);
          due.push(c);
        }
        if (due.length) pending.set(`${frame.streamId}\u0000${frame.frameNumber}`, { frame, clients: due });
        if (pending.size > 64) pending.delete(pending.keys().next().value!); // an event that never came
      }
    },
    onEvent(e) {
      if (e.type === 'status') {
        const s = info(e.streamId);
        s.state = e.state;
        s.reason = e.reason;
        if (clients.size) {
          const msg = JSON.stringify({ type: 'status', event: e });
          for (const c of clients) if (c.ws.readyState === WebSocket.OPEN) c.ws.send(msg);
        }
        return;
      }
      if (e.type === 'error') return; // lost frames: no event to draw (the status line and metrics count them)
      if (e.type !== 'detections') return; // track and zone events: the track ids are on the detections
      if (clients.size === 0) return;
      const s = info(e.streamId);
      s.times.push(Date.now());
      if (s.times.length > 256) s.times.splice(0, s.times.length - 256);
      s.latencyMs = e.latencyMs;
      s.detections = e.detections.length;
      s.source = e.source;
      const key = `${e.streamId}\u0000${e.frameNumber}`;
      const p = pending.get(key);
      if (!p) return;
      pending.delete(key);
      sendFrame(p, e).catch(() => counts.framesSkipped++);
    },
    stats: () => ({ viewers: clients.size, ...counts }),
    async close() {
      clearInterval(ticker);
      o.server.off('upgrade', onUpgrade);
      for (const c of clients) c.ws.close(1001, 'server shutting down');
      clients.clear();
      pending.clear();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

function requestToken(req: http.IncomingMessage, url: URL): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization?.trim() ?? '');
  return m ? m[1] : url.searchParams.get('token');
}

function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
