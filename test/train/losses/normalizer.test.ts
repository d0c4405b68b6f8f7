import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmaNormalizer, perImageNormalizer } from '../../../src/train/losses/normalizer.ts';
import { assertClose, useBackend } from './tfTestUtil.ts';

test('perImageNormalizer is max(1, numFg) per image (torchvision)', async () => {
  await useBackend('wasm');
  assertClose(perImageNormalizer([0, 1, 7]), [1, 1, 7]);
});

test('EmaNormalizer follows detectron2: starts at 100, momentum 0.9, max(1, batch total)', () => {
  const n = new EmaNormalizer();
  assert.equal(n.value, 100);
  // 0.9 * 100 + 0.1 * 20 = 92; then 0.9 * 92 + 0.1 * max(1, 0) = 82.9
  assert.ok(Math.abs(n.update(20) - 92) < 1e-12);
  assert.ok(Math.abs(n.update(0) - 82.9) < 1e-12);
  // after many steps at a constant count it converges to that count
  for (let i = 0; i < 300; i++) n.update(37);
  assert.ok(Math.abs(n.value - 37) < 1e-6, `converged to ${n.value}`);
  const resumed = EmaNormalizer.fromState(n.state());
  assert.equal(resumed.update(5), n.update(5));
  assert.throws(() => new EmaNormalizer({ momentum: 1 }), { code: 'RS_ERR_LOSS_INPUT', message: /momentum 1/ });
  assert.throws(() => n.update(-1), { code: 'RS_ERR_LOSS_INPUT' });
});
