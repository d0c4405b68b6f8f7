// Registry values: what `streams add` writes is what a worker reads back; bad values are refused naming the key;
// events stamped with a worker stay schema-v1-valid (the field is optional and non-empty).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { firstValueFrom, of, toArray } from 'rxjs';
import { stampWorker } from '../../src/cluster/member.ts';
import { checkStreamSpec, decodeStreamSpec, encodeStreamSpec } from '../../src/cluster/streamSpec.ts';
import type { PipelineEvent } from '../../src/pipeline/types.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'detection-event.v1.schema.json'), 'utf8'));
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false });
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);

describe('stream specs', () => {
  it('round-trips through the registry value (the id is the key)', () => {
    const spec = checkStreamSpec('cam1', { url: 'rtsp://10.0.0.1/live', live: true, rtspTransport: 'tcp' }, 'stream cam1');
    const value = encodeStreamSpec(spec);
    assert.equal(value, '{"url":"rtsp://10.0.0.1/live","live":true,"rtspTransport":"tcp"}');
    assert.deepEqual(decodeStreamSpec('cam1', value), spec);
    assert.equal(decodeStreamSpec('cam1', null), null, 'a tombstone');
  });

  it('refuses bad values with the key named', () => {
    assert.throws(() => decodeStreamSpec('cam1', '{'), { code: 'RS_ERR_CONFIG', message: 'registry stream "cam1": value is not JSON' });
    assert.throws(() => decodeStreamSpec('cam1', '{"url":"rtsp://h/x","fps":5}'), { message: /^registry stream cam1: unknown key "fps"/ });
    assert.throws(() => decodeStreamSpec('cam1', '{"url":"ftp://h/x"}'), { message: /^registry stream cam1\.url: "ftp:" is not a supported input scheme/ });
    assert.throws(() => decodeStreamSpec('cam1', '{"url":"/a.mp4","loop":"yes"}'), { message: 'registry stream cam1.loop: expected true or false' });
    assert.throws(() => checkStreamSpec('a b', { url: '/a.mp4' }, 'x'), { message: /stream id "a b" must be 1-64 of/ });
  });

  it('stampWorker adds the worker to every event; stamped events are schema-valid, an empty worker is not', async () => {
    const events: PipelineEvent[] = [
      { schemaVersion: 1, type: 'status', streamId: 'cam1', state: 'connecting', previousState: null, time: '2026-11-29T10:00:00.000Z', reason: 'starting ffmpeg' },
      { schemaVersion: 1, type: 'error', streamId: 'cam1', code: 'RS_ERR_WORKER_DIED', message: 'x', frameNumbers: [3], time: '2026-11-29T10:00:00.000Z' },
      {
        schemaVersion: 1, type: 'detections', streamId: 'cam1', frameNumber: 0, pts: 0, captureTime: '2026-11-29T10:00:00.000Z', emitTime: '2026-11-29T10:00:00.040Z',
        latencyMs: 40, source: { width: 640, height: 360 }, model: { name: 'm', weightsHash: 'sha256:0' }, detections: [], droppedFrames: 0,
      },
    ];
    const stamped = await firstValueFrom(of(...events).pipe(stampWorker('host-1'), toArray()));
    for (const e of stamped) {
      assert.equal(e.worker, 'host-1');
      assert.ok(validate(e), JSON.stringify(validate.errors));
    }
    assert.equal(events[0]!.worker, undefined, 'the originals are untouched');
    assert.equal(validate({ ...events[2], worker: '' }), false);
  });
});
