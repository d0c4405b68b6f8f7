import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COCO_80_NAMES } from '../../src/convert/cocoNames.ts';
import { convertDetectron2, detectron2ToCanonical } from '../../src/convert/detectron2.ts';
import { defaultModelConfig, validateModelConfig } from '../../src/model/config.ts';
import { assertSameTensors, readReference } from './assertTensors.ts';
import { fixture } from './fixtures.ts';

describe('convertDetectron2', () => {
  it('maps every detectron2 R-50 array to its torchvision name with the same values', async () => {
    const c = await convertDetectron2(fixture('d2_r50.pkl'));
    // ref_d2 holds the torchvision-named tensors the .pkl was written from (fixtures/make_checkpoints.py).
    assertSameTensors(c.tensors, readReference(fixture('ref_d2.safetensors')));
    assert.equal(c.config.source, 'detectron2');
    assert.equal(c.config.numClasses, 80);
    assert.deepEqual(c.config.classNames, [...COCO_80_NAMES]);
    assert.deepEqual(c.config.backbone, { depth: 50, strideIn: '1x1', bnEps: 1e-5, width: 64 });
    assert.deepEqual(c.config.fpn, { channels: 256, p6From: 'C5' });
    assert.deepEqual(c.config.head, { numConvs: 4, groupNorm: false });
    assert.deepEqual(c.config.anchors, { convention: 'detectron2' });
    // pixel_mean / pixel_std come from the file (its std is the torchvision-style 57.375, 57.12, 58.395).
    assert.deepEqual(c.config.input, {
      channelOrder: 'BGR',
      pixelRange: 'byte',
      mean: [103.53, 116.28, 123.675],
      std: [57.375, 57.12, 58.395],
      minSize: 800,
      maxSize: 1333,
      sizeRounding: 'round',
    });
    assert.deepEqual(c.config.postprocess, { detectionsPerImage: 100, clip: 'afterNms' });
    validateModelConfig(defaultModelConfig(c.config));
    assert.ok(c.report.some((l) => l.includes('anchor_generator.cell_anchors.0')), 'anchor buffers are reported as not copied');
  });

  it('has the 80 contiguous COCO class names', () => {
    assert.equal(COCO_80_NAMES.length, 80);
    assert.equal(COCO_80_NAMES[0], 'person');
    assert.equal(COCO_80_NAMES[79], 'toothbrush');
  });

  it('maps names as documented', () => {
    const cases: [string, string][] = [
      ['backbone.bottom_up.stem.conv1.norm.running_var', 'backbone.body.bn1.running_var'],
      ['backbone.bottom_up.res4.22.conv3.weight', 'backbone.body.layer3.22.conv3.weight'],
      ['backbone.bottom_up.res2.0.shortcut.norm.bias', 'backbone.body.layer1.0.downsample.1.bias'],
      ['backbone.fpn_output5.bias', 'backbone.fpn.layer_blocks.2.0.bias'],
      ['head.bbox_subnet.6.weight', 'head.regression_head.conv.3.0.weight'],
      ['head.cls_score.bias', 'head.classification_head.cls_logits.bias'],
    ];
    for (const [d2, tv] of cases) assert.equal(detectron2ToCanonical(d2), tv);
  });

  it('says a torchvision checkpoint belongs to --from torchvision', async () => {
    await assert.rejects(convertDetectron2(fixture('tv_v1.pth')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'RS_ERR_CHECKPOINT_ARCH');
      assert.match(e.message, /tv_v1\.pth: looks like a torchvision RetinaNet: convert it with --from torchvision/);
      return true;
    });
  });

  it('refuses a pickle that would run code, naming the global', async () => {
    await assert.rejects(convertDetectron2(fixture('evil.pkl')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'RS_ERR_PICKLE');
      assert.match(e.message, /evil\.pkl: pickle refers to (posix|os)\.system, which is not an allowed global/);
      return true;
    });
  });

  it('says a pickle of other arrays is not a detectron2 RetinaNet', async () => {
    await assert.rejects(convertDetectron2(fixture('numpy_p4.pkl')), { code: 'RS_ERR_CHECKPOINT_ARCH', message: /numpy_p4\.pkl: looks like a pickle without detectron2 RetinaNet keys/ });
  });
});
