// HTTP(S) download into a file that a later call resumes (Range: bytes=N-), following redirects.
// A server that ignores the range (200) restarts the file; 416 on a non-empty file means it is complete.
import { createWriteStream, existsSync, statSync, truncateSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ZooError } from './errors.ts';

export type Progress = (done: number, total: number | null) => void;

function get(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: not a valid URL`));
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return reject(new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: only http and https URLs can be downloaded`));
    const req = (u.protocol === 'https:' ? https : http).get(u, { headers: { 'User-Agent': 'retinastream', ...headers }, timeout: 30_000 }, resolve);
    req.on('timeout', () => req.destroy(new Error('no response for 30 s')));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: ${e.code ?? e.message}${e.code ? '' : ''}`)));
  });
}

/** Downloads `url` to `file`, continuing a partial `file`. Returns the final size. */
export async function downloadResumable(url: string, file: string, onProgress?: Progress, redirects = 5): Promise<number> {
  const have = existsSync(file) ? statSync(file).size : 0;
  const res = await get(url, have > 0 ? { Range: `bytes=${have}-` } : {});
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects === 0) throw new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: too many redirects`);
    return downloadResumable(new URL(res.headers.location, url).toString(), file, onProgress, redirects - 1);
  }
  if (status === 416 && have > 0) {
    res.resume();
    return have; // nothing left to fetch
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
  }
  let start = 0;
  if (status === 206) {
    const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
    start = m ? Number(m[1]) : have;
    if (start !== have) {
      res.resume();
      throw new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: the server resumed at byte ${start}, not ${have}`);
    }
  } else if (have > 0) {
    truncateSync(file, 0); // the server sent the whole file again
  }
  const length = Number(res.headers['content-length'] ?? NaN);
  const total = Number.isFinite(length) ? start + length : null;
  let done = start;
  onProgress?.(done, total);
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      onProgress?.(done, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res, count, createWriteStream(file, { flags: start > 0 ? 'a' : 'w' }));
  } catch (e) {
    throw new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: download interrupted at ${done} bytes (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run the same command again to resume`);
  }
  if (total !== null && done !== total) throw new ZooError('RS_ERR_ZOO_DOWNLOAD', `${url}: got ${done} of ${total} bytes; run the same command again to resume`);
  return done;
}
