// The score/class filter applied once before fan-out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { filterDetections, filterEvents, resolveClasses } from '../../src/pipeline/detectionFilter.ts';
import type { Detection, PipelineEvent } from '../../src/pipeline/types.ts';

const det = (box: Detection['box'], score: number, classId: number, label = `c${classId}`): Detection => ({ box, score, classId, label });

describe('detection filter', () => {
  it('keeps score >= minScore and only the wanted classes', () => {
    const d = [det([0, 0, 1, 1], 0.9, 1), det([0, 0, 1, 1], 0.3, 2), det([0, 0, 1, 1], 0.29, 1), det([0, 0, 1, 1], 0.5, 3)];
    assert.deepEqual(filterDetections(d, { minScore: 0.3 }).map((x) => x.score), [0.9, 0.3, 0.5]);
    assert.deepEqual(filterDetections(d, { minScore: 0.3, classIds: new Set([1, 3]) }).map((x) => x.classId), [1, 3]);
  });

  it('filterEvents filters detection events and passes status events through', async () => {
    const events: PipelineEvent[] = [
      { schemaVersion: 1, type: 'status', streamId: 's', state: 'live', previousState: 'connecting', time: 't' },
      {
        schemaVersion: 1, type: 'detections', streamId: 's', frameNumber: 0, pts: 0, captureTime: 't', emitTime: 't', latencyMs: 1,
        source: { width: 10, height: 10 }, model: { name: 'm', weightsHash: 'h' }, detections: [det([0, 0, 1, 1], 0.2, 1), det([0, 0, 1, 1], 0.8, 1)], droppedFrames: 0,
      },
    ];
    const out = await lastValueFrom(from(events).pipe(filterEvents({ minScore: 0.5 }), toArray()));
    assert.equal(out[0], events[0]);
    assert.deepEqual(out[1].type === 'detections' && out[1].detections.map((d) => d.score), [0.8]);
  });

  it('resolveClasses: names (any case) and ids to ids; an unknown one is named with the known classes', () => {
    const names = ['__background__', 'person', 'car', 'N/A', 'dog'];
    assert.deepEqual([...resolveClasses(['Person', 'dog', '2', 3], names, 5)!].sort(), [1, 2, 3, 4]);
    assert.equal(resolveClasses(null, names, 5), null);
    assert.throws(() => resolveClasses(['persn'], names, 5), /^DetectionFilterError: --classes: "persn" is not a class of this model \(known: person, car, dog\)$/);
    assert.throws(() => resolveClasses([7], names, 5, 'postprocess.classes'), /postprocess\.classes: class id 7 is out of range \(the model has 5 classes, 0-4\)/);
  });
});
