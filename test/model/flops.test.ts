// forwardMacs counts the convolutions' multiply-accumulates by running the architecture over shapes. Pinned to
// figures worked out independently: RetinaNet R-50-FPN (torchvision, 91 classes) at 512x512 = 62.3 GMACs (the
// figure the native-engine issue quotes, ~61); at 800x1344 = 255.6, which is mmdetection's 239.3 G for its
// 80-class head at 800x1333 plus the 11 extra classes (9 anchors x 256 x 99 channels x 22,400 positions =
// 5.1 G) and the 1344-px padding (+0.8%). The stem alone is checked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultModelConfig, type Depth } from '../../src/model/config.ts';
import { forwardMacs } from '../../src/model/flops.ts';

function macs(depth: Depth, h: number, w: number): number {
  return forwardMacs(defaultModelConfig({ backbone: { depth } }), h, w) / 1e9;
}

test('R-50-FPN RetinaNet: 62.3 GMACs at 512x512, 255.6 at 800x1344; R-101 adds 79.5 (17 more bottlenecks in conv4)', () => {
  assert.equal(macs(50, 512, 512).toFixed(1), '62.3');
  assert.equal(macs(50, 800, 1344).toFixed(1), '255.6');
  // each extra conv4 bottleneck at 50x84: 1x1 1024->256, 3x3 256->256, 1x1 256->1024 = 4200 * (262144 + 589824 + 262144)
  const perBlock = (4200 * (262144 + 589824 + 262144)) / 1e9;
  assert.ok(Math.abs(macs(101, 800, 1344) - macs(50, 800, 1344) - 17 * perBlock) < 1e-6);
});
