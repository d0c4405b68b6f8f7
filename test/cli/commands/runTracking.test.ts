// `retinastream run` with tracking, a zone and a line, as a user runs it: the demo model on the first 4 s of
// the demo video (real ffmpeg, real model). Every event is valid schema v1; ids are announced by track_started
// before they appear and ended by track_ended; zone and line events refer to tracked ids and keep count;
// --no-track gives plain detections; a zone on an unknown stream is a one-line config error.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import type { PipelineEvent } from '../../../src/pipeline/types.ts';
import { runFfmpeg, tempDir } from '../../helpers/media.ts';
import { REPO, runCli } from '../cliProcess.ts';

const schema = JSON.parse(readFileSync(join(REPO, 'schema', 'detection-event.v1.schema.json'), 'utf8'));
const validate = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, logger: false }).compile(schema);
const parse = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as PipelineEvent);

describe('retinastream run: tracking, zones and lines', () => {
  let tmp: { dir: string; cleanup: () => void };
  let clip: string;
  let config: string;
  before(async () => {
    tmp = tempDir('rs-cli-track-');
    clip = join(tmp.dir, 'clip.mp4');
    await runFfmpeg(['-i', join(REPO, 'assets', 'demo', 'demo.mp4'), '-t', '4', '-c', 'copy', clip]);
    config = join(tmp.dir, 'zones.json');
    writeFileSync(
      config,
      JSON.stringify({
        zones: [{ stream: 'demo', name: 'right half', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], units: 'fraction' }],
        lines: [{ stream: 'demo', name: 'middle', from: [320, 0], to: [320, 360] }],
      }),
    );
  });
  after(() => tmp?.cleanup());

  const base = () => ['run', '--input', `demo=${clip}`, '--no-ws', '--jsonl', '-', '--status-interval-ms', '0', '--min-score', '0.2'];

  it('ids, lifecycle, zones and lines, all valid schema v1', { timeout: 180_000 }, async () => {
    const r = await runCli([...base(), '--config', config], { timeoutMs: 170_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /tracking on \(1 zone\(s\), 1 line\(s\)\)/);
    const events = parse(r.stdout);
    for (const e of events) assert.ok(validate(e), `${JSON.stringify(e).slice(0, 200)}: ${JSON.stringify(validate.errors)}`);
    const started = new Set<number>();
    const ended = new Set<number>();
    const inZone = new Set<number>();
    let withId = 0;
    let lastCounts = { in: 0, out: 0 };
    for (const e of events) {
      if (e.type === 'track_started') {
        assert.ok(!started.has(e.trackId), `track ${e.trackId} started twice`);
        started.add(e.trackId);
      } else if (e.type === 'track_ended') {
        assert.ok(started.has(e.trackId) && !ended.has(e.trackId));
        assert.ok(e.framesSeen >= 2 && e.durationS >= 0 && e.lastFrame >= e.firstFrame);
        ended.add(e.trackId);
      } else if (e.type === 'detections') {
        for (const d of e.detections) {
          if (d.trackId === undefined) continue;
          withId++;
          assert.ok(started.has(d.trackId) && !ended.has(d.trackId), `frame ${e.frameNumber}: id ${d.trackId} not announced or already ended`);
        }
        assert.equal(new Set(e.detections.map((d) => d.trackId).filter((id) => id !== undefined)).size, e.detections.filter((d) => d.trackId !== undefined).length, 'one detection per id per frame');
      } else if (e.type === 'zone_enter') {
        assert.ok(started.has(e.trackId) && !inZone.has(e.trackId));
        inZone.add(e.trackId);
        assert.equal(e.occupancy, inZone.size);
      } else if (e.type === 'zone_exit') {
        assert.ok(inZone.delete(e.trackId), `track ${e.trackId} left a zone it was not in`);
        assert.equal(e.occupancy, inZone.size);
        assert.ok(e.dwellS >= 0);
      } else if (e.type === 'line_cross') {
        assert.equal(e.counts.in + e.counts.out, lastCounts.in + lastCounts.out + 1);
        lastCounts = e.counts;
      }
    }
    assert.ok(started.size >= 2, `tracks started: ${started.size}`);
    assert.deepEqual([...ended].sort(), [...started].sort(), 'every track ended by the end of the run');
    assert.equal(inZone.size, 0, 'every zone visitor left when its track ended');
    assert.ok(withId > 50, `detections with a track id: ${withId}`);
    assert.ok(events.some((e) => e.type === 'zone_enter'), 'something entered the right half');
  });

  it('--no-track: no ids, no track or zone events', { timeout: 180_000 }, async () => {
    const r = await runCli([...base(), '--no-track'], { timeoutMs: 170_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /tracking off/);
    const events = parse(r.stdout);
    assert.ok(events.some((e) => e.type === 'detections' && e.detections.length > 0));
    assert.ok(events.every((e) => e.type === 'detections' || e.type === 'status'));
    assert.ok(events.every((e) => e.type !== 'detections' || e.detections.every((d) => d.trackId === undefined)));
  });

  it('a zone on a stream that is not an input: one-line error naming the key, non-zero exit', { timeout: 60_000 }, async () => {
    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ zones: [{ stream: 'cam9', name: 'z', polygon: [[0, 0], [10, 0], [10, 10]] }] }));
    const r = await runCli([...base(), '--config', bad], { timeoutMs: 50_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /zones\[0\]\.stream: "cam9" is not an input of this run \(inputs: demo\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
