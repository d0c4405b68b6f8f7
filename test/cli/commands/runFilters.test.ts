// `retinastream run --min-score --classes --class-agnostic-nms`: one threshold and class filter for every sink, as
// a user runs it (real process, real ffmpeg, a tiny random-weight model whose scores sit around 0.06).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DetectionEvent, PipelineEvent } from '../../../src/pipeline/types.ts';
import { makeVideo, tempDir } from '../../helpers/media.ts';
import { makeTinyModel } from '../../helpers/tinyModel.ts';
import { runCli } from '../cliProcess.ts';

const detections = (stdout: string) =>
  stdout.trim().split('\n').map((l) => JSON.parse(l) as PipelineEvent).filter((e): e is DetectionEvent => e.type === 'detections');

describe('retinastream run: score threshold and class filter', () => {
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  let clip: string;
  before(async () => {
    tmp = tempDir('rs-cli-filters-');
    [model, clip] = await Promise.all([makeTinyModel().then((m) => m.dir), makeVideo(tmp.dir, 'clip', { width: 200, height: 120, fps: 10, frames: 6 })]);
  });
  after(() => {
    tmp?.cleanup();
    if (model) rmSync(model, { recursive: true, force: true });
  });

  const base = () => ['run', '--model', model, '--input', `cam=${clip}`, '--no-ws', '--jsonl', '-', '--workers', '0', '--status-interval-ms', '0'];

  it('--min-score and --classes (a name and an id) apply to the events; the default 0.3 keeps fewer', { timeout: 120_000 }, async () => {
    const all = await runCli([...base(), '--min-score', '0.05']);
    assert.equal(all.code, 0, all.stderr);
    const allDets = detections(all.stdout).flatMap((e) => e.detections);
    assert.ok(allDets.some((d) => d.classId === 2) && allDets.some((d) => d.classId !== 2), `classes at 0.05: ${[...new Set(allDets.map((d) => d.classId))]}`);
    const some = await runCli([...base(), '--min-score', '0.05', '--classes', 'Alpha,3']);
    assert.equal(some.code, 0, some.stderr);
    assert.match(some.stderr, /score >= 0\.05, classes alpha,gamma/);
    const kept = detections(some.stdout).flatMap((e) => e.detections);
    assert.ok(kept.length > 0 && kept.every((d) => d.classId === 1 || d.classId === 3), 'only alpha and gamma');
    assert.equal(kept.length, allDets.filter((d) => d.classId === 1 || d.classId === 3).length, 'and all of them');
    const dflt = await runCli(base());
    assert.equal(dflt.code, 0, dflt.stderr);
    const dEvents = detections(dflt.stdout);
    assert.equal(dEvents.length, 6, 'one event per frame still');
    assert.ok(dEvents.every((e) => e.detections.every((d) => d.score >= 0.3)));
    assert.ok(dEvents.flatMap((e) => e.detections).length < allDets.length);
  });

  it('--class-agnostic-nms leaves no two boxes overlapping by IoU > 0.5 (class-wise NMS alone does)', { timeout: 120_000 }, async () => {
    const { iou } = await import('../../../src/pipeline/tracking/iou.ts');
    const overlaps = (e: DetectionEvent) => e.detections.some((a) => e.detections.some((b) => a !== b && iou(a.box, b.box) > 0.5));
    const classWise = await runCli([...base(), '--min-score', '0.05']);
    assert.ok(detections(classWise.stdout).some(overlaps), 'without the flag, boxes of different classes overlap');
    const r = await runCli([...base(), '--min-score', '0.05', '--class-agnostic-nms']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /, NMS over all classes \(--class-agnostic-nms\);/, "the engine's NMS, said on the start-up line");
    assert.ok(detections(r.stdout).some((e) => e.detections.length > 0));
    for (const e of detections(r.stdout)) {
      for (const a of e.detections) for (const b of e.detections) if (a !== b) assert.ok(iou(a.box, b.box) <= 0.5, `frame ${e.frameNumber}: ${a.label} and ${b.label} overlap`);
    }
  });

  it('an unknown class, a bad --min-score or a bad env variable is one line naming it', { timeout: 120_000 }, async () => {
    const bad = await runCli([...base(), '--classes', 'person']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').at(-1), 'retinastream: --classes: "person" is not a class of this model (known: alpha, beta, gamma)');
    const score = await runCli([...base(), '--min-score', '2']);
    assert.equal(score.code, 2);
    assert.equal(score.stderr.trim(), 'retinastream: --min-score: "2" is not a number in [0, 0.999999]');
    const env = await runCli(['run', '--model', model, '--no-jsonl'], { env: { RETINASTREAM_WS_PORT: 'abc' } });
    assert.notEqual(env.code, 0);
    assert.equal(env.stderr.trim(), 'retinastream: RETINASTREAM_WS_PORT: "abc" is not an integer in [0, 65535]');
  });

  it('RETINASTREAM_INPUTS="ID=URL" names the stream', { timeout: 120_000 }, async () => {
    const r = await runCli(['run', '--model', model, '--no-ws', '--jsonl', '-', '--workers', '0', '--status-interval-ms', '0'], { env: { RETINASTREAM_INPUTS: `e=${clip}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...new Set(detections(r.stdout).map((e) => e.streamId))], ['e']);
  });
});
