// Writes every event (detections and status) as one JSON line to a file or to stdout ('-').
//
// write() hands the line to the stream while it accepts more; once the stream reports
// backpressure (write() returned false) lines wait in our own queue until 'drain', so the
// pipeline never waits for the disk or for a slow reader of stdout. The queue is bounded
// (maxBufferedBytes); only when it would overflow is a line dropped and counted. For files
// this should not happen at pipeline rates.
// close() writes what is queued, then ends the file (stdout is flushed, not ended).

import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { PipelineEvent, Sink, SinkStats } from '../types.ts';
import { RetinaStreamError } from '../../errors.ts';

export interface JsonlSinkOptions {
  /** Append to an existing file instead of replacing it (default false). */
  append?: boolean;
  /** Characters (about bytes: event JSON is ASCII but for labels) queued under backpressure before lines are dropped (default 64 Mi). */
  maxBufferedBytes?: number;
  /** Sink name in metrics (default "jsonl"). */
  name?: string;
  /** Called once with the first write error (EPIPE: the reader of stdout went away); later lines are dropped. */
  onError?: (err: Error) => void;
}

export class JsonlSinkError extends RetinaStreamError<'RS_ERR_JSONL_SINK'> {
  constructor(message: string) {
    super('RS_ERR_JSONL_SINK', message);
  }
}

export function createJsonlSink(target: string, opts: JsonlSinkOptions = {}): Sink {
  if (target.length === 0) throw new JsonlSinkError('jsonl sink: target is empty (give a file path or "-" for stdout)');
  const maxBufferedBytes = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(maxBufferedBytes) || maxBufferedBytes < 0) {
    throw new JsonlSinkError(`jsonl sink: maxBufferedBytes ${maxBufferedBytes} must be an integer >= 0`);
  }
  const toStdout = target === '-';
  const out: Writable = toStdout ? process.stdout : fs.createWriteStream(target, { flags: opts.append ? 'a' : 'w' });
  const counts = { written: 0, dropped: 0, errors: 0 };
  let queue: string[] = [];
  let queuedBytes = 0;
  let waiting = false;
  let failed: Error | null = null;
  let closing: Promise<void> | null = null;

  const onError = (err: Error) => {
    counts.errors++;
    if (failed) return;
    failed = err;
    opts.onError?.(err);
  };
  out.on('error', onError);

  function onDrain(): void {
    waiting = false;
    if (queue.length === 0) return;
    const chunk = queue.join('');
    queue = [];
    queuedBytes = 0;
    if (!out.write(chunk)) waitForDrain();
  }

  function waitForDrain(): void {
    waiting = true;
    out.once('drain', onDrain);
  }

  return {
    name: opts.name ?? 'jsonl',
    write(event: PipelineEvent) {
      if (closing || failed) {
        counts.dropped++;
        return;
      }
      let line: string;
      try {
        line = JSON.stringify(event) + '\n';
      } catch {
        counts.dropped++;
        return;
      }
      if (waiting) {
        if (queuedBytes + line.length > maxBufferedBytes) {
          counts.dropped++;
          return;
        }
        queue.push(line);
        queuedBytes += line.length;
        counts.written++;
        return;
      }
      counts.written++;
      if (!out.write(line)) waitForDrain();
    },
    close() {
      closing ??= (async () => {
        while (waiting && !failed) await drainOrError(out);
        if (toStdout) {
          // Flushed once the last write's callback runs; stdout itself stays open for others.
          await new Promise<void>((resolve) => out.write('', () => resolve()));
        } else {
          await new Promise<void>((resolve) => {
            out.end(() => resolve());
            out.once('error', () => resolve());
          });
        }
        out.off('error', onError);
        if (failed) throw new JsonlSinkError(`jsonl sink: writing ${toStdout ? 'stdout' : target} failed: ${failed.message}`);
      })();
      return closing;
    },
    stats(): SinkStats {
      return { ...counts, queuedBytes };
    },
  };
}

/** Resolves after the next 'drain' (and the queued lines it released were handed over) or 'error'. */
function drainOrError(out: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      setImmediate(resolve);
    };
    out.once('drain', done);
    out.once('error', done);
  });
}
