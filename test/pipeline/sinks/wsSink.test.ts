import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { createWsSink, type WsSink, type WsSinkOptions } from '../../../src/pipeline/sinks/wsSink.ts';
import type { Detection, DetectionEvent, StreamStatusEvent } from '../../../src/pipeline/types.ts';

// ---- helpers: a real server on 127.0.0.1:0, real ws clients ----

async function withSink(opts: Omit<WsSinkOptions, 'server'>, body: (ctx: { sink: WsSink; url: string }) => Promise<void>): Promise<void> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sink = createWsSink({ server, ...opts });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await body({ sink, url });
  } finally {
    await sink.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

type Msg = Record<string, any>;

class Client {
  readonly messages: Msg[] = [];
  closeCode: number | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data))));
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('error', () => {});
  }

  /** Connects and waits for the hello frame. */
  static async open(url: string, headers?: Record<string, string>): Promise<Client> {
    const c = new Client(new WebSocket(url, { headers }));
    await waitUntil(() => c.messages.length > 0, `hello from ${url}`);
    assert.equal(c.messages[0].type, 'hello');
    return c;
  }

  events(): Msg[] {
    return this.messages.filter((m) => m.type === 'detections' || m.type === 'status');
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Sends a ping and waits for the pong: everything the server sent before it has arrived. */
  async sync(): Promise<void> {
    const before = this.messages.filter((m) => m.type === 'pong').length;
    this.send({ op: 'ping' });
    await waitUntil(() => this.messages.filter((m) => m.type === 'pong').length > before, 'pong');
  }
}

/** Resolves with the HTTP status of a refused upgrade (fails if the upgrade succeeds). */
function refusedStatus(url: string, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`upgrade to ${url} was accepted`));
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => {});
  });
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function det(label: string, classId: number, score: number): Detection {
  return { box: [1, 2, 30, 40], score, classId, label };
}

function detections(streamId: string, frameNumber: number, dets: Detection[]): DetectionEvent {
  const t = new Date(1_700_000_000_000 + frameNumber * 40).toISOString();
  return {
    schemaVersion: 1, type: 'detections', streamId, frameNumber, pts: frameNumber / 25, captureTime: t, emitTime: t, latencyMs: 50,
    source: { width: 1280, height: 720 }, model: { name: 'retinanet_resnet50_fpn', weightsHash: 'abc' }, detections: dets, droppedFrames: 0,
  };
}

function status(streamId: string): StreamStatusEvent {
  return { schemaVersion: 1, type: 'status', streamId, state: 'live', previousState: 'connecting', time: new Date().toISOString() };
}

// ---- tests ----

test('query subscriptions: hello echoes the filter; events are filtered per client; an event with every detection filtered out still arrives empty', async () => {
  await withSink({}, async ({ sink, url }) => {
    const a = await Client.open(`${url}/ws?streams=cam1`);
    const b = await Client.open(`${url}/ws`);
    const c = await Client.open(`${url}/ws?streams=cam2&classes=person&minScore=0.5`);
    assert.deepEqual(a.messages[0], { type: 'hello', streams: ['cam1'], classes: '*', minScore: 0, schemaVersion: 1 });
    assert.deepEqual(c.messages[0], { type: 'hello', streams: ['cam2'], classes: ['person'], minScore: 0.5, schemaVersion: 1 });
    assert.equal(sink.clientCount(), 3);

    sink.write(detections('cam1', 0, [det('person', 0, 0.9), det('car', 2, 0.3)]));
    sink.write(detections('cam2', 0, [det('person', 0, 0.4), det('person', 0, 0.8)]));
    sink.write(status('cam2'));
    sink.write(detections('cam2', 1, [det('car', 2, 0.9)]));
    await Promise.all([a.sync(), b.sync(), c.sync()]);

    assert.deepEqual(a.events().map((e) => [e.streamId, e.frameNumber, e.detections?.length]), [['cam1', 0, 2]]);
    assert.deepEqual(b.events().map((e) => [e.streamId, e.type, e.frameNumber]), [
      ['cam1', 'detections', 0], ['cam2', 'detections', 0], ['cam2', 'status', undefined], ['cam2', 'detections', 1],
    ]);
    const [c0, cStatus, c1] = c.events();
    assert.deepEqual(c0.detections, [det('person', 0, 0.8)]);
    assert.equal(cStatus.type, 'status');
    assert.deepEqual(c1.detections, [], 'filtered-out event still sent with an empty list');
    assert.equal(c.events().length, 3);
    // Serializations: cam1#0 once (a and b see it whole, c is not subscribed), cam2#0 whole for b + filtered
    // for c, status once, cam2#1 whole for b + filtered for c = 6; deliveries 1 + 4 + 3 = 8.
    assert.equal(sink.stats().serializations, 6);
    assert.equal(sink.stats().written, 8);
  });
});

test('clients with the same filter share one serialization per event', async () => {
  await withSink({}, async ({ sink, url }) => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => Client.open(`${url}/ws?minScore=0.5`)));
    for (let i = 0; i < 3; i++) sink.write(detections('cam1', i, [det('person', 0, 0.9), det('car', 2, 0.2)]));
    await Promise.all(clients.map((c) => c.sync()));
    assert.equal(sink.stats().serializations, 3);
    for (const c of clients) assert.deepEqual(c.events().map((e) => [e.frameNumber, e.detections.length]), [[0, 1], [1, 1], [2, 1]]);
  });
});

test('subscribe and unsubscribe by message change what the client receives', async () => {
  await withSink({}, async ({ sink, url }) => {
    const c = await Client.open(`${url}/ws`);
    c.send({ op: 'subscribe', streams: ['cam2'], classes: [2] });
    await waitUntil(() => c.messages.some((m) => m.type === 'subscribed'), 'subscribed');
    assert.deepEqual(c.messages.find((m) => m.type === 'subscribed'), { type: 'subscribed', streams: ['cam2'], classes: ['2'], minScore: 0 });
    sink.write(detections('cam1', 0, [det('car', 2, 0.9)]));
    sink.write(detections('cam2', 0, [det('car', 2, 0.9), det('person', 0, 0.9)]));
    await c.sync();
    assert.deepEqual(c.events().map((e) => [e.streamId, e.detections.map((d: Detection) => d.label)]), [['cam2', ['car']]]);

    c.send({ op: 'unsubscribe', streams: ['cam2'] });
    await c.sync();
    sink.write(detections('cam2', 1, [det('car', 2, 0.9)]));
    await c.sync();
    assert.equal(c.events().length, 1, 'nothing after unsubscribing');
  });
});

test('malformed messages get an error frame naming the problem and the connection keeps working', async () => {
  await withSink({}, async ({ sink, url }) => {
    const c = await Client.open(`${url}/ws`);
    c.send('not json');
    c.send({ op: 'subscribe', minScore: 2 });
    c.send({ op: 'teleport' });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.sync();
    const errors = c.messages.filter((m) => m.type === 'error');
    assert.deepEqual(errors.map((e) => e.code), ['RS_WS_BAD_MESSAGE', 'RS_WS_BAD_MESSAGE', 'RS_WS_BAD_MESSAGE', 'RS_WS_BAD_MESSAGE']);
    assert.match(errors[0].message, /not valid JSON/);
    assert.match(errors[1].message, /^minScore: 2 is not a number between 0 and 1$/);
    assert.match(errors[2].message, /^op: "teleport" is not known/);
    assert.match(errors[3].message, /binary/);
    for (const e of errors) assert.doesNotMatch(e.message, /\n/);
    sink.write(detections('cam1', 0, []));
    await c.sync();
    assert.equal(c.events().length, 1, 'still subscribed to everything');
    assert.equal(sink.stats().badMessages, 4);
  });
});

test('token auth: missing or wrong token is refused with 401; query token and Bearer header are accepted', async () => {
  await withSink({ token: 's3cret' }, async ({ sink, url }) => {
    assert.equal((await refusedStatus(`${url}/ws`)).status, 401);
    assert.equal((await refusedStatus(`${url}/ws?token=nope`)).status, 401);
    assert.equal((await refusedStatus(`${url}/ws`, { Authorization: 'Bearer s3cre' })).status, 401);
    await Client.open(`${url}/ws?token=s3cret&streams=cam1`);
    await Client.open(`${url}/ws`, { Authorization: 'Bearer s3cret' });
    assert.equal(sink.clientCount(), 2);
  });
});

test('bad query gets 400 naming the parameter; other paths get 404', async () => {
  await withSink({}, async ({ url }) => {
    const bad = await refusedStatus(`${url}/ws?minScore=high`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^minScore: high is not a number between 0 and 1/);
    assert.equal((await refusedStatus(`${url}/elsewhere`)).status, 404);
  });
});

test('maxClients: the next client gets 503 until one leaves', async () => {
  await withSink({ maxClients: 2 }, async ({ sink, url }) => {
    const a = await Client.open(`${url}/ws`);
    await Client.open(`${url}/ws`);
    const full = await refusedStatus(`${url}/ws`);
    assert.equal(full.status, 503);
    assert.match(full.body, /too many clients \(limit 2\)/);
    a.ws.close();
    await waitUntil(() => sink.clientCount() === 1, 'server to see the close');
    await Client.open(`${url}/ws`);
    assert.equal(sink.clientCount(), 2);
  });
});

test('a message over maxMessageBytes closes that connection with 1009; other clients are unaffected', async () => {
  await withSink({ maxMessageBytes: 100 }, async ({ sink, url }) => {
    const big = await Client.open(`${url}/ws`);
    const other = await Client.open(`${url}/ws`);
    big.send({ op: 'subscribe', streams: ['x'.repeat(200)] });
    await waitUntil(() => big.closeCode !== null, 'close of the oversize client');
    assert.equal(big.closeCode, 1009);
    sink.write(detections('cam1', 0, []));
    await other.sync();
    assert.equal(other.events().length, 1);
    assert.equal(sink.clientCount(), 1);
  });
});

test('a client that stops reading loses messages and then gets one RS_WS_DROPPED notice; a fast client gets every message; write() never waits', async () => {
  await withSink({ maxBufferedBytes: 256 * 1024 }, async ({ sink, url }) => {
    const fast = await Client.open(`${url}/ws`);
    const slow = await Client.open(`${url}/ws`);
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const dets = Array.from({ length: 100 }, (_, i) => det('person', 0, 0.5 + i / 1000));
    let sent = 0;
    let slowestWriteMs = 0;
    // Bursts like a pipeline's, with the event loop free in between (the fast client reads in this process).
    while (sink.stats().dropped < 50 && sent < 5000) {
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        sink.write(detections('cam1', sent++, dets));
        slowestWriteMs = Math.max(slowestWriteMs, performance.now() - t0);
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(sink.stats().dropped >= 50, `slow client should lose messages (sent ${sent})`);
    await waitUntil(() => fast.events().length === sent, 'fast client to receive everything', 10000);
    assert.equal(fast.messages.filter((m) => m.type === 'notice').length, 0);

    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    await waitUntil(() => sink.stats().bufferedBytes === 0, 'slow client to drain', 10000);
    sink.write(detections('cam1', sent++, []));
    await waitUntil(() => slow.events().at(-1)?.frameNumber === sent - 1, 'last event at the slow client', 10000);
    const notices = slow.messages.filter((m) => m.type === 'notice');
    assert.equal(notices.length, 1);
    assert.equal(notices[0].code, 'RS_WS_DROPPED');
    assert.equal(notices[0].dropped, sink.stats().dropped);
    assert.equal(slow.events().length + notices[0].dropped, sent, 'every event either arrived or was counted as dropped');
    const frames = slow.events().map((e) => e.frameNumber);
    assert.deepEqual(frames, [...frames].sort((x, y) => x - y), 'in order');
    await waitUntil(() => fast.events().length === sent, 'fast client last event');
    // write() only serializes and queues; a generous bound that still fails if it ever waited for a client.
    assert.ok(slowestWriteMs < 100, `slowest write took ${slowestWriteMs.toFixed(1)} ms`);
  });
});

test('heartbeat: a client that stops answering pings is closed; a healthy one stays', async () => {
  await withSink({ pingIntervalMs: 100 }, async ({ sink, url }) => {
    const healthy = await Client.open(`${url}/ws`);
    const dead = await Client.open(`${url}/ws`);
    (dead.ws as unknown as { _socket: Socket })._socket.pause();
    await waitUntil(() => sink.clientCount() === 1, 'dead client to be closed', 2000);
    assert.equal(sink.stats().timedOut, 1);
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(sink.clientCount(), 1);
    assert.equal(healthy.ws.readyState, WebSocket.OPEN);
  });
});

test('close() closes clients with 1001 and later writes are ignored without throwing', async () => {
  await withSink({}, async ({ sink, url }) => {
    const c = await Client.open(`${url}/ws`);
    await sink.close();
    await waitUntil(() => c.closeCode !== null, 'client close');
    assert.equal(c.closeCode, 1001);
    assert.doesNotThrow(() => sink.write(detections('cam1', 0, [])));
    assert.equal(sink.clientCount(), 0);
  });
});

test('bad options fail with the option named', () => {
  const server = http.createServer();
  assert.throws(() => createWsSink({ server, maxClients: 0 }), { code: 'RS_ERR_WS_OPTIONS', message: /maxClients 0 must be an integer >= 1/ });
  assert.throws(() => createWsSink({ server, path: 'ws' }), { code: 'RS_ERR_WS_OPTIONS', message: /path "ws" must start with/ });
  assert.equal(server.listenerCount('upgrade'), 0);
});
