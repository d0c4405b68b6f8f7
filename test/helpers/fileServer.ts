// A real HTTP server on 127.0.0.1:0 serving in-memory files with Range support, for download tests. It records
// every request (path and Range header) and can cut a response after N bytes to simulate a dropped connection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  base: string;
  files: Map<string, Buffer>;
  requests: Array<{ path: string; range: string | undefined }>;
  /** The next response to `path` is cut (socket destroyed) after this many body bytes. */
  cutNext: Map<string, number>;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, Buffer>();
  const requests: FileServer['requests'] = [];
  const cutNext = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path, range: req.headers.range });
    const body = files.get(path);
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    }
    const cut = cutNext.get(path);
    if (cut !== undefined) {
      cutNext.delete(path);
      res.write(body.subarray(start, start + cut), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    files,
    requests,
    cutNext,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
