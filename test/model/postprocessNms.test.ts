// Post-processing's NMS: class-wise by default (torchvision's batched_nms: a box may come back under two
// classes), over all classes when the model says its classes are mutually exclusive (postprocess.classAgnostic).
// Hand-made head outputs: two nearly identical anchors (IoU 0.82), one scoring class 1, the other class 2.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backend/select.ts';
import { defaultModelConfig, validateModelConfig } from '../../src/model/config.ts';
import { postprocess } from '../../src/model/postprocess.ts';

const K = 3;

async function detect(classAgnostic: boolean | undefined) {
  const cfg = defaultModelConfig().postprocess;
  const post = classAgnostic === undefined ? (({ classAgnostic: _, ...rest }) => rest)(cfg) : { ...cfg, classAgnostic };
  const logits = [
    [-9, 2, -9], // anchor 0: class 1 at p 0.88
    [-9, -9, 1], // anchor 1: class 2 at p 0.73
    [-9, -9, -9],
  ];
  const out = {
    cls: [tf.tensor3d([logits], [1, 3, K])],
    box: [tf.zeros([1, 3, 4]) as tf.Tensor3D],
    featureSizes: [[1, 3]] as [number, number][],
  };
  const anchors = [tf.tensor2d([[10, 10, 50, 50], [12, 12, 52, 52], [60, 60, 90, 90]])];
  const before = tf.memory().numTensors;
  const [r] = await postprocess(out, anchors, [{ resized: [100, 100], source: [100, 100] }], post);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  tf.dispose([...out.cls, ...out.box, ...anchors]);
  return { classIds: [...r.classIds], scores: [...r.scores].map((s) => Math.round(s * 100) / 100) };
}

describe('post-processing NMS', () => {
  before(async () => {
    await selectBackend();
  });

  it('is class-wise by default: the same object comes back under both classes', async () => {
    assert.deepEqual(await detect(false), { classIds: [1, 2], scores: [0.88, 0.73] });
    assert.deepEqual(await detect(undefined), { classIds: [1, 2], scores: [0.88, 0.73] }, 'a model.json without the key');
  });

  it('runs over all classes for a class-agnostic model: the lower-scoring class is suppressed', async () => {
    assert.deepEqual(await detect(true), { classIds: [1], scores: [0.88] });
  });

  it('rejects a classAgnostic that is not a boolean', () => {
    const cfg = defaultModelConfig({ postprocess: { classAgnostic: 'yes' as unknown as boolean } });
    assert.throws(() => validateModelConfig(cfg, 'model.json'), /^Error: model.json: postprocess.classAgnostic is "yes", expected true or false$/);
  });
});
