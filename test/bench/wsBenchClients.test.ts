// The bench's WebSocket clients against the real WebSocket sink on loopback, both implementations: every
// client gets every detections event (stream id and frame number read back exactly, escapes included),
// arrival times on the clock the bench stamps writes with, the server's pings answered (no client dropped
// over several heartbeat intervals), a fragmented message noted once when its last fragment arrives, and a
// server that refuses the upgrade is one error line. The C clients must build here (CI has a compiler).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { monotonicMs, resolveClientsImpl, startBenchClients, type ClientsImpl } from '../../src/bench/wsBenchClients.ts';
import { createWsSink } from '../../src/pipeline/sinks/wsSink.ts';
import type { DetectionEvent } from '../../src/pipeline/types.ts';

function detections(streamId: string, frameNumber: number): DetectionEvent {
  const t = new Date(1_700_000_000_000 + frameNumber * 40).toISOString();
  return {
    schemaVersion: 1, type: 'detections', streamId, frameNumber, pts: frameNumber / 25, captureTime: t, emitTime: t, latencyMs: 50,
    source: { width: 1280, height: 720 }, model: { name: 'demo', weightsHash: 'abc' },
    detections: Array.from({ length: 40 }, (_, i) => ({ box: [i, 2, 30, 40] as [number, number, number, number], score: 0.5, classId: 1, label: 'person' })), droppedFrames: 0,
  };
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const IMPLS: ClientsImpl[] = ['c', 'node'];

test('the C clients build with the system compiler', () => {
  assert.equal(resolveClientsImpl('c').impl, 'c');
});

for (const name of IMPLS) {
  test(`${name} clients: every event to every client, exact ids, monotonic arrival times, pings answered`, async () => {
    const impl = resolveClientsImpl(name);
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    const url = await listen(server);
    const sink = createWsSink({ server, pingIntervalMs: 150 });
    const clients = await startBenchClients(url, 60, impl);
    try {
      assert.equal(clients.impl, name);
      const ids = ['cam1', 'cam "2" \\ é', 'cam\u00003'];
      const written = new Map<string, number>();
      for (let f = 0; f < 20; f++) {
        for (const id of ids) {
          written.set(`${id}|${f}`, monotonicMs());
          sink.write(detections(id, f));
        }
        sink.write({ schemaVersion: 1, type: 'status', streamId: 'cam1', state: 'live', previousState: 'connecting', time: new Date().toISOString() });
        // across several heartbeats: a client that did not answer a ping would be closed
        await sleep(50);
      }
      const deadline = Date.now() + 10_000;
      while ((await clients.receivedCount()) < 60 * 60 && Date.now() < deadline) await sleep(50);
      assert.equal(sink.stats().clients, 60, 'no client was dropped by the heartbeat');
      const report = await clients.close();
      assert.equal(report.received.length, 60 * 60);
      assert.equal(report.other, 60 * 20, 'the status events are counted as other messages');
      const perEvent = new Map<string, number>();
      for (const [id, frame, at] of report.received) {
        const k = `${id}|${frame}`;
        const t = written.get(k);
        assert.ok(t !== undefined, `an event the server did not write: ${JSON.stringify(k)}`);
        assert.ok(at >= t && at - t < 5000, `arrival ${at} vs write ${t}`);
        perEvent.set(k, (perEvent.get(k) ?? 0) + 1);
      }
      assert.equal(perEvent.size, 60);
      for (const n of perEvent.values()) assert.equal(n, 60);
      assert.ok(report.cpuMs >= 0);
    } finally {
      clients.kill();
      await sink.close();
      await closeServer(server);
    }
  });

  test(`${name} clients: a fragmented message is one event, noted when its last fragment arrives`, async () => {
    const impl = resolveClientsImpl(name);
    const server = http.createServer();
    const url = await listen(server);
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.send('{"type":"hello"}'));
    const clients = await startBenchClients(url, 2, impl);
    try {
      const json = JSON.stringify(detections('camX', 7));
      const cut = 100;
      const before = monotonicMs();
      for (const ws of wss.clients) ws.send(json.slice(0, cut), { fin: false });
      await sleep(300);
      const lastAt = monotonicMs();
      for (const ws of wss.clients) ws.send(json.slice(cut), { fin: true });
      const deadline = Date.now() + 5000;
      while ((await clients.receivedCount()) < 2 && Date.now() < deadline) await sleep(20);
      const report = await clients.close();
      assert.deepEqual(report.received.map(([id, f]) => [id, f]), [['camX', 7], ['camX', 7]]);
      for (const [, , at] of report.received) assert.ok(at >= lastAt && at > before + 250, 'noted at the last fragment');
      assert.equal(report.other, 0);
    } finally {
      clients.kill();
      wss.close();
      await closeServer(server);
    }
  });

  test(`${name} clients: a server that refuses the upgrade is one error line`, async () => {
    const impl = resolveClientsImpl(name);
    const server = http.createServer((_req, res) => res.writeHead(404).end('no'));
    const url = await listen(server);
    try {
      await assert.rejects(startBenchClients(url, 3, impl), (e: Error) => {
        assert.match(e.message, /^bench pipeline: WebSocket clients could not connect: .*404/);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
    } finally {
      await closeServer(server);
    }
  });

  test(`${name} clients: a clients' process that died is one error line, not a crash`, async () => {
    const impl = resolveClientsImpl(name);
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    const url = await listen(server);
    const sink = createWsSink({ server });
    try {
      const clients = await startBenchClients(url, 2, impl);
      clients.kill();
      await sleep(200);
      await assert.rejects(clients.receivedCount(), /bench pipeline: the WebSocket clients' process exited/);
      await assert.rejects(clients.close(), /the WebSocket clients' process exited/);
    } finally {
      await sink.close();
      await closeServer(server);
    }
  });
}
