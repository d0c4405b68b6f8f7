// Weights on disk: float16 safetensors (the shipped demo model is stored so) and thin backbones
// (backbone.width), checked against IEEE 754 binary16 by exhaustion and against the float32 model.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDetector } from '../../src/model/detector.ts';
import { defaultModelConfig, validateModelConfig } from '../../src/model/config.ts';
import { benchWeights, initWeights } from '../../src/model/init.ts';
import { parameterShapes } from '../../src/model/shapes.ts';
import { loadModelDir, saveModelDir } from '../../src/model/modelDir.ts';
import { floatToHalf, halfToFloat, readSafetensors, writeSafetensors } from '../../src/model/weights/safetensors.ts';

describe('float16 weights', () => {
  it('decodes every finite half exactly and encodes it back to the same bits', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const finite = all.filter((h) => (h & 0x7c00) !== 0x7c00);
    const back = floatToHalf(halfToFloat(finite));
    for (let i = 0; i < finite.length; i++) assert.equal(back[i], finite[i], `half 0x${finite[i].toString(16)}`);
  });

  it('decodes known values and rounds float32 to nearest even', () => {
    const f = halfToFloat(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3555, 0x8000, 0x7c00]));
    assert.deepEqual([...f], [1, -2, 65504, 2 ** -24, 2 ** -14, 0.333251953125, -0, Infinity]);
    const h = floatToHalf(Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1, 2 ** -25, 2 ** -25 * 1.5, 65519, 1e-9, -0]));
    // ties: 1 + 2^-11 -> 1 (even), 1 + 3*2^-11 -> 1 + 2^-9 (even); 2^-25 ties to 0, 1.5 * 2^-25 up to 2^-24;
    // 65519 is below the 65520 tie, so it rounds to 65504; 1e-9 underflows to 0
    assert.deepEqual([...h], [0x3c00, 0x3c02, 0x2e66, 0x0000, 0x0001, 0x7bff, 0x0000, 0x8000]);
  });

  it('names the tensor when a value does not fit float16', () => {
    const t = new Map([['head.bias', { shape: [2], data: Float32Array.from([1, 70000]) }]]);
    assert.throws(() => writeSafetensors(t, {}, 'F16'), /head\.bias: value 70000 at index 1 is beyond the float16 range/);
  });

  it('writes F16 files half the size that read back within float16 rounding', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const t = new Map([['w', { shape: [10, 100], data }]]);
    const f32 = writeSafetensors(t);
    const f16 = writeSafetensors(t, {}, 'F16');
    assert.ok(f16.byteLength < f32.byteLength * 0.55);
    const r = readSafetensors(f16).tensors.get('w')!;
    assert.deepEqual(r.shape, [10, 100]);
    for (let i = 0; i < data.length; i++) assert.ok(Math.abs(r.data[i] - data[i]) <= Math.abs(data[i]) * 2 ** -11 + 2 ** -25);
  });
});

describe('thin backbones (backbone.width)', () => {
  it('scales every backbone stage and rejects widths that cannot work', () => {
    const cfg = defaultModelConfig({ backbone: { depth: 18, width: 16 }, fpn: { channels: 32 }, numClasses: 3 });
    const s = parameterShapes(cfg);
    assert.deepEqual(s.get('backbone.body.conv1.weight'), [16, 3, 7, 7]);
    assert.deepEqual(s.get('backbone.body.layer4.1.conv2.weight'), [128, 128, 3, 3]);
    assert.deepEqual(s.get('backbone.fpn.inner_blocks.2.0.weight'), [32, 128, 1, 1]);
    assert.throws(() => validateModelConfig(defaultModelConfig({ backbone: { width: 4 } })), /backbone\.width is 4, expected an integer >= 8/);
    assert.throws(() => validateModelConfig(defaultModelConfig({ fpn: { channels: 48 }, head: { groupNorm: true } })), /fpn\.channels is 48; GroupNorm\(32\) heads need a multiple of 32/);
  });

  it('runs a thin model saved as F16 like its float32 original', { timeout: 120_000 }, async () => {
    const config = defaultModelConfig({
      name: 'thin_f16_test', numClasses: 4, backbone: { depth: 18, width: 16 }, fpn: { channels: 32 },
      head: { numConvs: 2, groupNorm: true, priorProb: 0.1 }, input: { minSize: 96, maxSize: 128 },
    });
    const weights = initWeights(config, 3);
    const d32 = mkdtempSync(join(tmpdir(), 'rs-thin32-'));
    const d16 = mkdtempSync(join(tmpdir(), 'rs-thin16-'));
    await saveModelDir(d32, config, weights);
    await saveModelDir(d16, config, weights, { dtype: 'F16' });
    const size = (d: string) => statSync(join(d, 'weights.safetensors')).size;
    assert.ok(size(d16) < size(d32) * 0.55, `${size(d16)} vs ${size(d32)}`);
    assert.equal((await loadModelDir(d16)).config.backbone.width, 16);
    const img = { data: new Uint8Array(128 * 96 * 3).map((_, i) => (i * 37) % 251), width: 128, height: 96 };
    const [a32, a16] = [await createDetector({ model: d32 }), await createDetector({ model: d16 })];
    const [r32] = await a32.detect([img]);
    const [r16] = await a16.detect([img]);
    a32.dispose();
    a16.dispose();
    assert.ok(r32.length > 5);
    // the strongest detections survive the weight rounding with nearly the same scores and boxes
    for (const x of r32.slice(0, 5)) {
      const y = r16.find((o) => o.classId === x.classId && o.box.every((v, k) => Math.abs(v - x.box[k]) < 0.5));
      assert.ok(y, `float32 detection ${JSON.stringify(x)} missing from the F16 model`);
      assert.ok(Math.abs(y.score - x.score) < 2e-3, `score ${y.score} vs ${x.score}`);
    }
  });
});

describe('benchmark weights', () => {
  it('are the training init with every bias and batch-norm shift non-zero (a graph optimizer cannot drop them)', () => {
    const config = defaultModelConfig({ name: 'bench_w', numClasses: 5, backbone: { depth: 18, width: 16 }, fpn: { channels: 32 } });
    const init = initWeights(config, 2);
    const bench = benchWeights(config, 2);
    assert.deepEqual([...bench.keys()], [...init.keys()]);
    for (const [name, t] of bench) {
      const data = t.data as Float32Array;
      if (name.endsWith('.bias') || name.endsWith('running_mean')) {
        assert.ok(data.every((v) => v !== 0), `${name} has a zero`);
        if (name === 'head.classification_head.cls_logits.bias') assert.deepEqual(data, init.get(name)!.data, 'the prior bias is kept');
      } else {
        assert.deepEqual(data, init.get(name)!.data, `${name} differs from initWeights`);
      }
    }
  });
});
