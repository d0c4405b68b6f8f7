// The viewer's server side with a real HTTP server on port 0 and real ws clients: the page is served, the token is
// required, nothing is encoded while no viewer is connected, and a viewer gets each frame together with its own
// event, at no more than the rate it asked for.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { createViewer, type Viewer } from '../../src/viewer/viewerServer.ts';
import type { Batch, DetectionEvent, Frame } from '../../src/pipeline/types.ts';
import { waitFor } from '../helpers/waitFor.ts';

function frame(frameNumber: number): Frame {
  // a 64x48 canvas holding a 60x40 image (red left half, blue right half) and grey padding
  const width = 64;
  const height = 48;
  const data = new Uint8Array(width * height * 3).fill(128);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 60; x++) data.set(x < 30 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  return { streamId: 'cam', frameNumber, pts: frameNumber / 10, captureTime: Date.now(), sourceWidth: 120, sourceHeight: 80, data, width, height, contentWidth: 60, contentHeight: 40, droppedBefore: 0, lossless: false };
}

function event(f: Frame): DetectionEvent {
  return {
    schemaVersion: 1, type: 'detections', streamId: f.streamId, frameNumber: f.frameNumber, pts: f.pts, captureTime: '', emitTime: '', latencyMs: 12,
    source: { width: 120, height: 80 }, model: { name: 'm', weightsHash: 'h' }, detections: [{ box: [10, 10, 50, 40], score: 0.9, classId: 1, label: 'person' }], droppedFrames: 0,
  };
}

/** Feeds frame n as the pipeline does: the inference result first, then its (filtered) event. */
function feed(viewer: Viewer, n: number): void {
  const f = frame(n);
  const batch: Batch = { frames: [f], formedAt: Date.now() };
  viewer.onResult({ batch });
  viewer.onEvent(event(f));
}

describe('viewer server', () => {
  let server: http.Server;
  let viewer: Viewer;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (!viewer.handleRequest(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    viewer = createViewer({ server, token: 'tok', streams: ['cam'], maxFps: 5, info: () => ({ model: 'm', minScore: 0.3 }) });
  });
  after(async () => {
    await viewer.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('serves the page, its script and style without a build step', async () => {
    const page = await fetch(`http://${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    const html = await page.text();
    assert.match(html, /<script src="\/viewer\/viewer\.js"><\/script>/);
    for (const p of ['/viewer/viewer.js', '/viewer/viewer.css']) assert.equal((await fetch(`http://${base}${p}`)).status, 200, p);
    assert.equal((await fetch(`http://${base}/viewer/nope.js`)).status, 404);
  });

  it('rejects a viewer socket without the token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://${base}/viewer/ws`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('open', () => reject(new Error('opened without a token')));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 401);
  });

  it('encodes nothing without viewers; a viewer gets frame + its event at its rate', { timeout: 30_000 }, async () => {
    for (let n = 0; n < 20; n++) feed(viewer, n);
    assert.deepEqual(viewer.stats(), { viewers: 0, framesEncoded: 0, framesSent: 0, framesSkipped: 0 });

    const ws = new WebSocket(`ws://${base}/viewer/ws?token=tok`);
    const text: Array<Record<string, unknown>> = [];
    const frames: Array<{ header: { image: { width: number; height: number }; event: DetectionEvent }; jpeg: Buffer }> = [];
    ws.on('message', (data: Buffer, binary) => {
      if (!binary) return void text.push(JSON.parse(data.toString()));
      const n = data.readUInt32LE(0);
      frames.push({ header: JSON.parse(data.subarray(4, 4 + n).toString()), jpeg: data.subarray(4 + n) });
    });
    await new Promise((r) => ws.once('open', r));
    await waitFor('hello', () => text.length > 0, 5000);
    assert.deepEqual(text[0], { type: 'hello', model: 'm', minScore: 0.3, maxFps: 5, streams: [{ id: 'cam', state: 'unknown', fps: 0, latencyMs: null, detections: 0, source: null }] });
    ws.send(JSON.stringify({ op: 'view', streams: ['cam'], fps: 2, maxWidth: 640 }));
    await waitFor('view applied', () => viewer.stats().viewers === 1, 5000);
    await new Promise((r) => setTimeout(r, 100));
    // 30 frames over ~1.5 s at 20 fps: at 2 fps this viewer is due 3 or 4 of them
    const t0 = Date.now();
    for (let n = 100; n < 130; n++) {
      feed(viewer, n);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - t0) / 1000;
    await waitFor('frames sent', () => frames.length === viewer.stats().framesSent && viewer.stats().framesEncoded > 0, 5000);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(frames.length >= 2 && frames.length <= Math.ceil(seconds * 2) + 1, `${frames.length} frames in ${seconds.toFixed(1)} s at 2 fps`);
    for (const f of frames) {
      assert.equal(f.header.event.streamId, 'cam');
      assert.deepEqual(f.header.event.detections, event(frame(0)).detections, 'the event travels with its frame');
      assert.deepEqual(f.header.image, { width: 60, height: 40 }, 'the image is the content, without padding');
      const { data, info } = await sharp(f.jpeg).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [60, 40]);
      const px = (x: number, y: number) => [...data.subarray((y * 60 + x) * 3, (y * 60 + x) * 3 + 3)];
      assert.ok(px(10, 20)[0] > 200 && px(50, 20)[2] > 200, 'red left, blue right: the frame itself');
    }
    const numbers = frames.map((f) => f.header.event.frameNumber);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    ws.close();
    await waitFor('viewer gone', () => viewer.stats().viewers === 0, 5000);
    const encoded = viewer.stats().framesEncoded;
    for (let n = 200; n < 220; n++) feed(viewer, n);
    assert.equal(viewer.stats().framesEncoded, encoded, 'nothing encoded after the last viewer left');
  });
});

describe('viewer server: zones and lines', () => {
  it('hello carries the run\'s zones and lines for the page to draw', { timeout: 20_000 }, async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const zones = [{ stream: 'cam', name: 'door', polygon: [[0, 0], [1, 0], [1, 1]] as Array<[number, number]>, units: 'fraction' as const }];
    const lines = [{ stream: 'cam', name: 'gate', from: [0, 40] as [number, number], to: [120, 40] as [number, number] }];
    const viewer = createViewer({ server, streams: ['cam'], info: () => ({ model: 'm', minScore: 0.3, zones, lines }) });
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/viewer/ws`);
    const hello = await new Promise<Record<string, unknown>>((r) => ws.once('message', (d: Buffer) => r(JSON.parse(d.toString()))));
    assert.deepEqual({ zones: hello.zones, lines: hello.lines }, JSON.parse(JSON.stringify({ zones, lines })));
    ws.close();
    await viewer.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
