import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkShapes, expectedShapes, inferArch } from '../../src/convert/retinanetSpec.ts';
import { fixture } from './fixtures.ts';

describe('RetinaNet tensor table', () => {
  // Real torchvision RetinaNets (7 classes) built on ResNet-18/34/101, v1 (P6 on P5) and v2 (P6 on C5 + GroupNorm heads).
  const models: Record<string, Record<string, number[]>> = JSON.parse(readFileSync(fixture('arch_shapes.json'), 'utf8'));

  for (const [name, shapesObj] of Object.entries(models)) {
    it(`${name}: inferred architecture predicts exactly torchvision's keys and shapes`, () => {
      const shapes = new Map(Object.entries(shapesObj));
      const arch = inferArch(shapes, name);
      const depth = Number(/resnet(\d+)/.exec(name)![1]);
      const v2 = name.endsWith('_v2');
      assert.equal(arch.depth, depth);
      assert.equal(arch.groupNorm, v2);
      assert.equal(arch.p6From, v2 ? 'C5' : 'P5');
      assert.equal(arch.numClasses, 7);
      assert.equal(arch.numConvs, 4);
      const expected = expectedShapes(arch);
      assert.deepEqual(new Map([...expected].sort()), new Map([...shapes].sort()));
      checkShapes(shapes, expected, name);
    });
  }

  it('rejects a stage layout that is no supported ResNet, naming the counts', () => {
    const shapes = new Map(Object.entries(models.resnet101_v1).filter(([k]) => !k.startsWith('backbone.body.layer3.22.')));
    assert.throws(() => inferArch(shapes, 'x.pth'), { code: 'RS_ERR_CHECKPOINT_ARCH', message: /^x\.pth: ResNet bottleneck stages have \[3,4,22,3\] blocks/ });
  });

  it('lists at most 10 names per problem, then how many more', () => {
    const shapes = new Map(Object.entries(models.resnet18_v1).filter(([k]) => !k.startsWith('backbone.body.layer4.')));
    const expected = expectedShapes(inferArch(new Map(Object.entries(models.resnet18_v1)), 'x'));
    const missing = [...expected.keys()].filter((k) => k.startsWith('backbone.body.layer4.'));
    assert.throws(() => checkShapes(shapes, expected, 'x.pth'), {
      code: 'RS_ERR_CHECKPOINT_KEYS',
      message: new RegExp(`; ${missing.length} missing: ${missing.slice(0, 10).join(', ').replace(/\./g, '\\.')} and ${missing.length - 10} more$`),
    });
  });
});
