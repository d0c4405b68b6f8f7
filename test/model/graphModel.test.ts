// The native backend's graph execution (src/model/graph) against the eager forward of the same weights, on the
// same backend: every architecture variant the graph writer handles (bottleneck and basic blocks, stride in the
// 1x1 or the 3x3, P6 from C5 or P5, GroupNorm or plain heads), at sizes whose pyramid levels are not exact
// halves (nearest upsampling with a non-2x ratio), alone and batched. Float32 throughout; the only difference is
// summation order inside oneDNN's fused kernels, so logits agree to ~1e-5 on these O(1) values.
// The graph's convolutions are written three ways (graphOps.ts ConvNodes): _FusedConv2D (float32, CPU), oneDNN's
// _MklNativeFusedConv2D (bfloat16, CPU) and separate Conv2D/BiasAdd/AddV2/Relu (the GPU graph, and the fallback):
// each is run here on the CPU. The GPU graph's placement itself has not run on a GPU.
// The bfloat16 graph (precision bf16) against the same float32 eager forward: bfloat16 keeps 8 significant bits
// (relative rounding 2^-9 = 0.2%), applied to the weights, the input and every activation, through ~50 layers.
// Measured here (AVX512_BF16) on these random He-scaled networks: rms |bf16 graph - fp32 eager| 1.1-2.2% of the
// class logits' std, max 6.5-11%; the test allows rms 3% and max 20%, and checks that the difference is above
// float32's (that bfloat16 ran at all). The trained models' distance is in the README (torchvision parity, bf16).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backend/select.ts';
import { defaultModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { initWeights } from '../../src/model/init.ts';
import { buildParams } from '../../src/model/params.ts';
import { RetinaNet } from '../../src/model/retinanet.ts';
import { GraphForward, retinanetSavedModel } from '../../src/model/graph/graphModel.ts';
import type { ConvNodes } from '../../src/model/graph/graphOps.ts';
import { toBfloat16 } from '../../src/model/graph/graphDef.ts';
import { nativeSkip, REPO_ROOT } from '../helpers/nativeBackend.ts';

const variants: { name: string; cfg: Parameters<typeof defaultModelConfig>[0] }[] = [
  { name: 'R-50, torchvision v1 (P6 from P5, plain heads)', cfg: { backbone: { depth: 50 }, fpn: { p6From: 'P5' } } },
  { name: 'R-50, v2 (P6 from C5, GroupNorm heads)', cfg: { backbone: { depth: 50 }, fpn: { p6From: 'C5' }, head: { groupNorm: true } } },
  { name: 'R-18 thin, stride in 1x1 (detectron2 style), 2 head convs', cfg: { backbone: { depth: 18, width: 16, strideIn: '1x1' }, fpn: { channels: 64 }, head: { numConvs: 2 } } },
];

/**
 * Random weights scaled so that every layer's output is O(1) (He init everywhere, not only in the body as
 * initWeights does: with the paper's N(0, 0.01) FPN and heads the outputs are nearly the constant biases, which
 * would make the comparison uninformative).
 */
function heWeights(config: ModelConfig, seed: number) {
  const w = initWeights(config, seed);
  let s = seed + 1;
  for (const [name, t] of w) {
    if (!name.endsWith('.weight') || t.shape.length !== 4) continue;
    const std = Math.sqrt(2 / (t.shape[1] * t.shape[2] * t.shape[3]));
    for (let i = 0; i < t.data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      (t.data as Float32Array)[i] = (s / 2 ** 32 - 0.5) * std * Math.sqrt(12);
    }
  }
  return w;
}

async function maxDiff(a: tf.Tensor[], b: tf.Tensor[]): Promise<number> {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual(a[i].shape, b[i].shape);
    m = Math.max(m, (await tf.max(tf.abs(tf.sub(a[i], b[i]))).data())[0]);
  }
  return m;
}

describe('graph execution on the tensorflow backend', { skip: nativeSkip() }, () => {
  for (const v of variants) {
    it(`equals the eager forward: ${v.name}`, async (t) => {
      await selectBackend('tensorflow');
      const config: ModelConfig = defaultModelConfig({ name: 'graph_test', numClasses: 5, ...v.cfg });
      const weights = heWeights(config, 3);
      const eager = new RetinaNet(config, buildParams(weights, config.backbone.bnEps));
      const graph = new RetinaNet(config, buildParams(weights, config.backbone.bnEps));
      graph.useGraph();
      assert.equal(graph.execution, 'graph');
      assert.equal(graph.graphConvNodes, 'fused');
      const separateParams = buildParams(weights, config.backbone.bnEps);
      const separate = GraphForward.create(config, separateParams, { convNodes: 'separate' }); // the GPU graph's ops
      separateParams.dispose();
      try {
        // 100x140: levels 13x18, 7x9, 4x5, ...: every top-down step is a non-2x nearest resize
        for (const shape of [[1, 100, 140, 3], [2, 96, 128, 3]] as [number, number, number, number][]) {
          const x = tf.randomUniform(shape, -2, 2, 'float32', 11) as tf.Tensor4D;
          const a = graph.forward(x);
          const b = eager.forward(x);
          assert.deepEqual(a.featureSizes, b.featureSizes);
          const d = Math.max(await maxDiff(a.cls, b.cls), await maxDiff(a.box, b.box));
          const spread = Math.sqrt((await tf.moments(b.cls[0]).variance.data())[0]); // the outputs must vary
          t.diagnostic(`${shape}: max |graph - eager| ${d.toExponential(2)}, std of the class logits ${spread.toFixed(2)}`);
          assert.ok(spread > 0.1, `${shape}: outputs nearly constant (std ${spread}): the comparison would not be informative`);
          assert.ok(d < 1e-4 * Math.max(1, spread), `${shape}: graph and eager differ by ${d}`);
          const c = separate.forward(x);
          const ds = Math.max(await maxDiff(c.cls, b.cls), await maxDiff(c.box, b.box));
          t.diagnostic(`${shape}: max |separate-op graph - eager| ${ds.toExponential(2)}`);
          assert.ok(ds < 1e-4 * Math.max(1, spread), `${shape}: the separate-op graph and eager differ by ${ds}`);
          tf.dispose([x, ...a.cls, ...a.box, ...b.cls, ...b.box, ...c.cls, ...c.box]);
        }
      } finally {
        eager.dispose();
        graph.dispose();
        separate.dispose();
      }
    });
  }

  for (const v of variants) for (const convNodes of ['onednn', 'separate'] as ConvNodes[]) {
    it(`bf16 graph (${convNodes} convs) stays within bfloat16 rounding of the float32 eager forward: ${v.name}`, async (t) => {
      await selectBackend('tensorflow');
      const config: ModelConfig = defaultModelConfig({ name: 'graph_bf16_test', numClasses: 5, ...v.cfg });
      const weights = heWeights(config, 3);
      const eager = new RetinaNet(config, buildParams(weights, config.backbone.bnEps));
      const graphParams = buildParams(weights, config.backbone.bnEps);
      const graph = GraphForward.create(config, graphParams, { precision: 'bf16', convNodes });
      graphParams.dispose();
      assert.equal(graph.convNodes, convNodes, 'no fallback: this TensorFlow has oneDNN');
      try {
        const x = tf.randomUniform([2, 96, 128, 3], -2, 2, 'float32', 11) as tf.Tensor4D;
        const a = graph.forward(x);
        const b = eager.forward(x);
        assert.deepEqual(a.featureSizes, b.featureSizes);
        assert.ok(a.cls.every((c) => c.dtype === 'float32'), 'outputs are float32');
        const d = Math.max(await maxDiff(a.cls, b.cls), await maxDiff(a.box, b.box));
        const spread = Math.sqrt((await tf.moments(b.cls[0]).variance.data())[0]);
        const rms = Math.sqrt((await tf.moments(tf.sub(a.cls[0], b.cls[0])).variance.data())[0]);
        t.diagnostic(`|bf16 graph - fp32 eager|: max ${d.toExponential(2)}, rms ${rms.toExponential(2)}; std of the class logits ${spread.toFixed(2)}`);
        assert.ok(d > 1e-4 * Math.max(1, spread), `bf16 graph equals fp32 to ${d}: it did not compute in bfloat16`);
        assert.ok(rms < 0.03 * spread, `bf16 graph and fp32 eager differ by rms ${rms} (${((100 * rms) / spread).toFixed(1)}% of the spread)`);
        assert.ok(d < 0.2 * spread, `bf16 graph and fp32 eager differ by up to ${d}`);
        tf.dispose([x, ...a.cls, ...a.box, ...b.cls, ...b.box]);
      } finally {
        eager.dispose();
        graph.dispose();
      }
    });
  }

  it('toBfloat16 rounds to nearest even, as TensorFlow does, and keeps NaN and infinities', () => {
    const f = new Float32Array(new Uint32Array([0x3f800000, 0x3f808000, 0x3f818000, 0x3f808001, 0xbf80ffff, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001]).buffer);
    // 1; 1 + 2^-8 (a tie: to even, 1); 1 + 3*2^-8 (a tie: to even, up); just above a tie: up; -(just under 1 + 2^-7): up in
    // magnitude; the largest float rounds to infinity; +-inf kept; quiet NaN kept; a signalling NaN stays a NaN
    assert.deepEqual([...toBfloat16(f)], [0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xbf81, 0x7f80, 0x7f80, 0xff80, 0x7fc0, 0x7fc0]);
  });

  it('writes a SavedModel whose size is the weights plus a small graph', async () => {
    await selectBackend('tensorflow');
    const config = defaultModelConfig({ name: 'graph_size', numClasses: 5, backbone: { depth: 18, width: 16 }, fpn: { channels: 64 }, head: { numConvs: 1 } });
    const params = buildParams(initWeights(config, 1), config.backbone.bnEps);
    const bytes = retinanetSavedModel(config, params).length;
    const weightBytes = params.count() * 4;
    const bf16Bytes = retinanetSavedModel(config, params, { precision: 'bf16' }).length; // weights stored as bfloat16
    const text = (o: Parameters<typeof retinanetSavedModel>[2]) => Buffer.from(retinanetSavedModel(config, params, o)).toString('latin1');
    const cpuFp32 = text({}), cpuBf16 = text({ precision: 'bf16' }), gpu = text({ device: 'gpu', precision: 'bf16' });
    params.dispose();
    assert.ok(cpuFp32.includes('_FusedConv2D') && cpuFp32.includes('/device:CPU:0') && !cpuFp32.includes('/device:GPU:0'));
    assert.ok(cpuBf16.includes('_MklNativeFusedConv2D'), "bf16 on the CPU: oneDNN's fused convolution");
    assert.ok(gpu.includes('/device:GPU:0') && !gpu.includes('/device:CPU:0'), 'the GPU graph is placed on the GPU');
    assert.ok(!gpu.includes('_FusedConv2D') && !gpu.includes('_Mkl') && gpu.includes('BiasAdd'), 'the GPU graph has separate ops');
    assert.ok(bytes > weightBytes && bytes < weightBytes + 200_000, `${bytes} bytes for ${weightBytes} bytes of weights`);
    assert.ok(bf16Bytes > weightBytes / 2 && bf16Bytes < weightBytes / 2 + 200_000, `bf16: ${bf16Bytes} bytes for ${weightBytes / 2} bytes of weights`);
  });
});

describe('bf16 graph weight layouts (ONEDNN_VERBOSE)', { skip: nativeSkip() }, () => {
  // oneDNN's convolution reorders a constant filter into its blocked layout once and keeps it, for the layout its
  // first input's size chose. A graph whose first run was a small probe input reordered the weights of ~40 of
  // R-50-FPN's convolutions again on every later call at the real size (~2% of bf16's speed).
  it('reorders the weights in the first forward only', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'helpers', 'graphTwoForwards.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, ONEDNN_VERBOSE: '1' },
      maxBuffer: 64 << 20,
    });
    assert.equal(r.status, 0, `graphTwoForwards.ts failed: ${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /conv nodes: onednn/);
    const section = (n: number) => out.slice(out.indexOf(`=== forward ${n}`), out.indexOf(n === 1 ? '=== forward 2' : '=== done'));
    const count = (text: string, kind: string) => text.split('\n').filter((l) => l.includes('primitive,exec') && l.split(',')[5] === kind).length;
    const [first, second] = [section(1), section(2)];
    assert.ok(count(second, 'convolution') >= 100, `the second forward ran ${count(second, 'convolution')} oneDNN convolutions`);
    assert.ok(count(first, 'reorder') > 0, 'the first forward reorders the weights');
    assert.equal(count(second, 'reorder'), 0, 'the second forward reorders no weights');
  });
});
