// The detector as a library: no tensor leaks over many calls, model directories that round-trip,
// and one-line errors for bad model directories.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createDetector } from '../../src/model/detector.ts';
import { loadModelDir, saveModelDir } from '../../src/model/modelDir.ts';
import { buildParams, exportParams } from '../../src/model/params.ts';
import { makeTinyModel } from '../helpers/tinyModel.ts';

describe('detector', () => {
  it('keeps the tensor count stable across hundreds of calls (batched and single)', { timeout: 300_000 }, async () => {
    const m = await makeTinyModel({ minSize: 64, maxSize: 96 });
    const d = await createDetector({ model: m.dir });
    const img = { data: new Uint8Array(80 * 60 * 3).map((_, i) => (i * 31) % 251), width: 80, height: 60 };
    await d.detect([img, img]); // anchor cache warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) await d.detect(i % 2 ? [img] : [img, img]);
    assert.equal(tf.memory().numTensors, before);
    d.dispose();
  });

  it('detects the same in a batch as one by one', { timeout: 120_000 }, async () => {
    const m = await makeTinyModel({ minSize: 64, maxSize: 96 });
    const d = await createDetector({ model: m.dir });
    const a = { data: new Uint8Array(80 * 60 * 3).map((_, i) => (i * 31) % 251), width: 80, height: 60 };
    const b = { data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) % 253), width: 64, height: 64 };
    const [single] = await d.detect([b]);
    const [, batched] = await d.detect([a, b]);
    assert.ok(single.length > 0);
    // b is padded on the right/bottom in the batch: compare detections away from the padding border
    const inner = (ds: typeof single) => ds.filter((x) => x.box[2] < 40 && x.box[3] < 40).slice(0, 5);
    inner(single).forEach((s, i) => {
      const o = inner(batched)[i];
      assert.equal(o.classId, s.classId);
      assert.ok(Math.abs(o.score - s.score) < 1e-3);
    });
    d.dispose();
  });

  it('round-trips weights: export(build(w)) loads to the same network', async () => {
    const m = await makeTinyModel();
    const loaded = await loadModelDir(m.dir);
    assert.equal(loaded.hash, m.hash);
    const p = buildParams(loaded.weights, loaded.config.backbone.bnEps);
    const exported = await exportParams(p, loaded.config.backbone.bnEps);
    const p2 = buildParams(exported, loaded.config.backbone.bnEps);
    for (const [name, t] of p.tensors) {
      const diff = tf.max(tf.abs(tf.sub(t, p2.get(name)))).dataSync()[0];
      assert.ok(diff < 1e-5, `${name} differs by ${diff}`);
    }
    const dir2 = mkdtempSync(join(tmpdir(), 'rs-rt-'));
    await saveModelDir(dir2, loaded.config, exported);
    assert.equal((await loadModelDir(dir2)).config.name, loaded.config.name);
  });

  it('names the file and the problem for bad model directories', async () => {
    await assert.rejects(loadModelDir('/nonexistent/model'), /\/nonexistent\/model: model directory not found/);
    const m = await makeTinyModel();
    const w = join(m.dir, 'weights.safetensors');
    writeFileSync(w, readFileSync(w).subarray(0, 5000));
    await assert.rejects(loadModelDir(m.dir), (e: Error) => e.message.includes('weights.safetensors') && /truncated|exceeds/.test(e.message));
    writeFileSync(join(m.dir, 'model.json'), '{"format": "retinastream/model@1", "backbone": {"depth": 42}}');
    await assert.rejects(loadModelDir(m.dir), /model\.json: backbone\.depth is 42, expected 18, 34, 50 or 101/);
    writeFileSync(join(m.dir, 'model.json'), '{not json');
    await assert.rejects(loadModelDir(m.dir), /model\.json: not valid JSON/);
  });
});
