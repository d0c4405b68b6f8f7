// One node:http server for the pipeline: GET /metrics (Prometheus text), GET /healthz (JSON,
// 200 when ready, 503 otherwise), 404 for anything else. The WebSocket sink attaches to the same
// server (createWsSink({server})) and serves upgrades on /ws.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../metrics/metrics.ts';
import type { HealthReport } from './health.ts';
import { RetinaStreamError } from '../../errors.ts';

export interface HttpServerOptions {
  /** Interface to listen on (default 127.0.0.1; use 0.0.0.0 to serve other machines). */
  host?: string;
  /** Port; 0 picks a free one (read it from the result). */
  port: number;
  metrics: Metrics;
  health: () => HealthReport;
  /** More routes (the live viewer): returns true when it answered the request. */
  routes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export interface HttpServerHandle {
  port: number;
  server: http.Server;
  /** Stops listening and closes idle/open HTTP connections. Close WebSocket sinks first. */
  close(): Promise<void>;
}

export class HttpServerError extends RetinaStreamError<'RS_ERR_HTTP_LISTEN'> {
  constructor(message: string) {
    super('RS_ERR_HTTP_LISTEN', message);
  }
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new HttpServerError(`http port: ${opts.port} is not an integer between 0 and 65535`);
  }
  const server = http.createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${oneLine(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new HttpServerError(`http server: cannot listen on ${host}:${opts.port}: ${err.code ?? err.message}`));
    server.once('error', onError);
    server.listen(opts.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: HttpServerOptions): Promise<void> {
  if (opts.routes?.(req, res)) return;
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/metrics' && path !== '/healthz') {
    send(res, 404, 'text/plain; charset=utf-8', `not found: ${path} (try /metrics, /healthz or a WebSocket on /ws)\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed on ${path} (use GET)\n`);
    return;
  }
  if (path === '/metrics') {
    const body = await opts.metrics.registry.metrics();
    send(res, 200, opts.metrics.registry.contentType, body, req.method === 'HEAD');
    return;
  }
  const report = opts.health();
  send(res, report.ready && (report.degraded ?? []).length === 0 ? 200 : 503, 'application/json', JSON.stringify(report) + '\n', req.method === 'HEAD');
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(headOnly ? undefined : body);
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
