import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertTorchvision, renameOldLayout } from '../../src/convert/torchvision.ts';
import { TORCHVISION_COCO_NAMES } from '../../src/convert/cocoNames.ts';
import { defaultModelConfig, validateModelConfig } from '../../src/model/config.ts';
import { assertSameTensors, readReference } from './assertTensors.ts';
import { fixture } from './fixtures.ts';

function convertError(code: string, pattern: RegExp) {
  return (e: Error & { code?: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/); // one line
    return true;
  };
}

describe('convertTorchvision', () => {
  it('v1 (zip format, bare state_dict): every tensor equals torch, config says torchvision v1', async () => {
    const c = await convertTorchvision(fixture('tv_v1.pth'));
    assertSameTensors(c.tensors, readReference(fixture('ref_v1.safetensors')));
    assert.deepEqual(c.config.backbone, { depth: 50, strideIn: '3x3', bnEps: 0, width: 64 });
    assert.deepEqual(c.config.fpn, { channels: 256, p6From: 'P5' });
    assert.deepEqual(c.config.head, { numConvs: 4, groupNorm: false });
    assert.equal(c.config.name, 'retinanet_resnet50_fpn');
    assert.equal(c.config.source, 'torchvision-v1');
    assert.equal(c.config.numClasses, 91);
    assert.deepEqual(c.config.classNames, [...TORCHVISION_COCO_NAMES]);
    assert.deepEqual(c.config.anchors, { convention: 'torchvision' });
    assert.deepEqual(c.config.input, {
      channelOrder: 'RGB',
      pixelRange: 'unit',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      minSize: 800,
      maxSize: 1333,
      sizeRounding: 'floor',
    });
    assert.deepEqual(c.config.postprocess, { detectionsPerImage: 300, clip: 'beforeNms' });
    validateModelConfig(defaultModelConfig(c.config)); // a complete, valid config once merged
    assert.ok(c.report.some((l) => /dropped 53 num_batches_tracked/.test(l)));
  });

  it('v1 in the old key layout, wrapped in a state_dict entry: renamed like torchvision does on load', async () => {
    const c = await convertTorchvision(fixture('tv_v1_old.pth'));
    assertSameTensors(c.tensors, readReference(fixture('ref_v1.safetensors')));
    assert.equal(c.config.source, 'torchvision-v1');
    // 2 heads x 4 convs x (weight, bias) + 2 FPN block lists x 3 x (weight, bias)
    assert.ok(c.report.some((l) => l === 'renamed 28 keys from the old torchvision layout'), c.report.join('\n'));
  });

  it('v2 (GroupNorm heads, P6 from C5): every tensor equals torch, config says torchvision v2', async () => {
    const c = await convertTorchvision(fixture('tv_v2.pth'));
    assertSameTensors(c.tensors, readReference(fixture('ref_v2.safetensors')));
    assert.equal(c.config.name, 'retinanet_resnet50_fpn_v2');
    assert.equal(c.config.source, 'torchvision-v2');
    assert.deepEqual(c.config.backbone, { depth: 50, strideIn: '3x3', bnEps: 1e-5, width: 64 });
    assert.deepEqual(c.config.fpn, { channels: 256, p6From: 'C5' });
    assert.deepEqual(c.config.head, { numConvs: 4, groupNorm: true });
    validateModelConfig(defaultModelConfig(c.config));
  });

  it('v2 saved in the legacy (non-zip) format inside a model entry', async () => {
    const c = await convertTorchvision(fixture('tv_v2_legacy.pth'));
    assertSameTensors(c.tensors, readReference(fixture('ref_v2.safetensors')));
    assert.equal(c.config.source, 'torchvision-v2');
  });

  it('names missing, unexpected and mis-shaped tensors in one error', async () => {
    await assert.rejects(
      convertTorchvision(fixture('tv_v1_badkeys.pth')),
      convertError(
        'RS_ERR_CHECKPOINT_KEYS',
        /tv_v1_badkeys\.pth: .*1 missing: backbone\.body\.layer2\.1\.bn2\.running_var; 1 unexpected: backbone\.fpn\.extra_blocks\.p8\.weight; 1 mis-shaped: head\.regression_head\.bbox_reg\.bias \[35\] expected \[36\]$/,
      ),
    );
  });

  it('says a ResNet classifier is not a RetinaNet', async () => {
    await assert.rejects(
      convertTorchvision(fixture('resnet18_classifier.pth')),
      convertError('RS_ERR_CHECKPOINT_ARCH', /resnet18_classifier\.pth: looks like a ResNet image classifier .*expected a torchvision RetinaNet state_dict/),
    );
  });

  it('points a detectron2 pickle at --from detectron2', async () => {
    await assert.rejects(convertTorchvision(fixture('d2_r50.pkl')), convertError('RS_ERR_CHECKPOINT_FORMAT', /d2_r50\.pkl: a plain pickle.*--from detectron2/));
  });

  it('renames exactly the old-layout keys', () => {
    assert.equal(renameOldLayout('head.classification_head.conv.6.bias'), 'head.classification_head.conv.3.0.bias');
    assert.equal(renameOldLayout('head.regression_head.conv.0.weight'), 'head.regression_head.conv.0.0.weight');
    assert.equal(renameOldLayout('backbone.fpn.inner_blocks.2.weight'), 'backbone.fpn.inner_blocks.2.0.weight');
    assert.equal(renameOldLayout('backbone.fpn.layer_blocks.0.bias'), 'backbone.fpn.layer_blocks.0.0.bias');
    for (const k of ['head.regression_head.conv.1.0.weight', 'head.classification_head.conv.0.1.bias', 'backbone.fpn.inner_blocks.2.0.weight', 'backbone.body.layer1.0.conv1.weight']) {
      assert.equal(renameOldLayout(k), k);
    }
  });
});
