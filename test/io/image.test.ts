// detect --out's drawing: the highest score is painted on top, labels stay inside the picture and read well.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { detectionsSvg, drawDetections, labelColor } from '../../src/io/image.ts';
import { tempDir } from '../helpers/media.ts';

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

describe('drawDetections', () => {
  const tmp = tempDir('rs-draw-');
  after(() => tmp.cleanup());

  it('paints in rising score order: where two boxes share an edge, the higher score is on top', async () => {
    const src = join(tmp.dir, 'grey.png');
    const out = join(tmp.dir, 'out.png');
    await sharp({ create: { width: 200, height: 120, channels: 3, background: '#808080' } }).png().toFile(src);
    // same box, two labels: the higher score (ring 0.59) must be the colour seen on the shared edge
    const ring = { box: [40, 50, 160, 110] as [number, number, number, number], label: 'ring', score: 0.59 };
    const circle = { box: [40, 50, 160, 110] as [number, number, number, number], label: 'circle', score: 0.38 };
    assert.notEqual(labelColor('ring'), labelColor('circle'));
    await drawDetections(src, out, [ring, circle], 200, 120); // detector order: falling score
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    assert.deepEqual(px(100, 110), hex(labelColor('ring')), 'bottom edge shows the ring colour');
    assert.deepEqual(px(40, 80), hex(labelColor('ring')), 'left edge shows the ring colour');
  });

  it('keeps the label inside the picture for a box at the top edge', () => {
    const svg = detectionsSvg([{ box: [150, 0, 199, 40], label: 'triangle', score: 0.9 }], 200, 120);
    const [, x, y, w] = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="\d+" fill="#/.exec(svg)!.map(Number);
    assert.ok(y >= 0 && x >= 0 && x + w <= 200, `label rect at ${x},${y} width ${w} inside 200 px`);
  });
});
