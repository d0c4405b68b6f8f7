import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJsonlSink } from '../../../src/pipeline/sinks/jsonlSink.ts';
import type { DetectionEvent, PipelineEvent } from '../../../src/pipeline/types.ts';

function detections(frameNumber: number, n = 3): DetectionEvent {
  const t = new Date(1_700_000_000_000 + frameNumber * 40).toISOString();
  return {
    schemaVersion: 1, type: 'detections', streamId: 'cam1', frameNumber, pts: frameNumber / 25, captureTime: t, emitTime: t, latencyMs: 12.5,
    source: { width: 1920, height: 1080 }, model: { name: 'retinanet_resnet50_fpn', weightsHash: 'deadbeef' },
    detections: Array.from({ length: n }, (_, i) => ({ box: [i, i, i + 10, i + 20], score: 0.5 + i / (2 * n), classId: i, label: `c${i}` })),
    droppedFrames: 0,
  };
}

// Child mode: `node --import tsx jsonlSink.test.ts` with RS_JSONL_CHILD=N writes N events to stdout
// and reports its stats and slowest write() on stderr.
if (process.env.RS_JSONL_CHILD) {
  const sink = createJsonlSink('-');
  const n = Number(process.env.RS_JSONL_CHILD);
  let slowest = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    sink.write(detections(i, 20));
    slowest = Math.max(slowest, performance.now() - t0);
  }
  // All write() calls have returned; the parent reads stdout only after seeing this line.
  process.stderr.write(JSON.stringify({ phase: 'written', slowestWriteMs: slowest, queuedBytes: sink.stats().queuedBytes }) + '\n');
  await sink.close();
  process.stderr.write(JSON.stringify({ phase: 'closed', ...sink.stats() }) + '\n');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'rs-jsonl-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  test('file: one event per line, status events too, in order; close() flushes and ends the file', async () => {
    const path = join(dir, 'events.jsonl');
    const sink = createJsonlSink(path);
    const events: PipelineEvent[] = [];
    events.push({ schemaVersion: 1, type: 'status', streamId: 'cam1', state: 'live', previousState: 'connecting', time: new Date(0).toISOString() });
    for (let i = 0; i < 2000; i++) events.push(detections(i));
    for (const e of events) sink.write(e);
    await sink.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'file ends with a newline');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), events);
    assert.deepEqual(sink.stats(), { written: 2001, dropped: 0, errors: 0, queuedBytes: 0 });
    sink.write(detections(9));
    assert.equal(sink.stats().dropped, 1, 'writes after close are counted as dropped');
  });

  test('file: replaced by default, appended with append: true', async () => {
    const path = join(dir, 'append.jsonl');
    writeFileSync(path, 'old\n');
    let sink = createJsonlSink(path);
    sink.write(detections(0));
    await sink.close();
    sink = createJsonlSink(path, { append: true });
    sink.write(detections(1));
    await sink.close();
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).frameNumber), [0, 1]);
  });

  test('a bounded queue drops and counts only what overflows it; the file holds exactly what was counted as written', async () => {
    const path = join(dir, 'bounded.jsonl');
    const sink = createJsonlSink(path, { maxBufferedBytes: 20_000 });
    // All in one tick: the file stream cannot drain in between, so the queue must overflow.
    for (let i = 0; i < 3000; i++) sink.write(detections(i));
    const { written, dropped } = sink.stats();
    assert.ok(dropped > 0, 'some lines dropped');
    assert.equal(written + dropped, 3000);
    await sink.close();
    const frames = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).frameNumber);
    assert.equal(frames.length, written);
    assert.deepEqual(frames, [...frames].sort((a, b) => a - b), 'kept lines stay in order');
  });

  test('an unwritable path: write() does not throw, close() rejects naming the file', async () => {
    const path = join(dir, 'no-such-dir', 'x.jsonl');
    const sink = createJsonlSink(path);
    assert.doesNotThrow(() => sink.write(detections(0)));
    await assert.rejects(sink.close(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'RS_ERR_JSONL_SINK');
      assert.ok(err.message.includes(path) && err.message.includes('ENOENT'), err.message);
      return true;
    });
    assert.throws(() => createJsonlSink(''), { code: 'RS_ERR_JSONL_SINK', message: /target is empty/ });
  });

  test('stdout ("-"): while nobody reads, every write() returns at once; after reading resumes every line arrives and close() finishes', async () => {
    const n = 3000; // ~3 MB of JSON, far more than a pipe buffer holds
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, RS_JSONL_CHILD: String(n) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.pause();
    child.stderr.on('data', (d) => (err += d));
    const reports = () => err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    // Do not read stdout until the child says all its writes returned: a blocking write would never get there.
    const deadline = Date.now() + 20000;
    while (!reports().some((r) => r.phase === 'written')) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `child did not finish writing while stdout was unread: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const written = reports().find((r) => r.phase === 'written');
    assert.ok(written.queuedBytes > 1_000_000, `lines queued in the sink while the pipe was full (${written.queuedBytes} bytes)`);
    assert.ok(written.slowestWriteMs < 100, `slowest write ${written.slowestWriteMs} ms`);
    child.stdout.on('data', (d) => (out += d));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, err);
    const lines = out.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, n);
    lines.forEach((l, i) => assert.equal(JSON.parse(l).frameNumber, i));
    const closed = reports().find((r) => r.phase === 'closed');
    assert.deepEqual([closed.written, closed.dropped, closed.queuedBytes], [n, 0, 0]);
  });
}
