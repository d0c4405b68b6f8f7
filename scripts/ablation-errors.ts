// What each focal-loss ablation run's confident detections are (docs/training.md): for every finished run in
// --out, its detections on the first --val held-out images, by score band, split into
//   tp          the right class on an object (IoU >= 0.5 with a box of that class),
//   wrong-class an object's box under another class (IoU >= 0.5 with a box of a different class only),
//   bad-box     overlapping an object but poorly (best IoU 0.1-0.5),
//   background  on nothing (best IoU < 0.1).
// A diagnostic beside the COCO AP (which scripts/ablation.ts reports), not a replacement: each detection is
// judged alone against the ground truth, without COCO's one-match-per-object rule.
//   node --import tsx scripts/ablation-errors.ts [--out .cache/ablation-sparse] [--val 200]
//        [--val-annotations F] [--val-images D]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { boxIou } from '../src/eval/boxIou.ts';
import { firstImages, loadCocoDataset } from '../src/eval/cocoDataset.ts';
import { detectDataset } from '../src/eval/detectDataset.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.cache/ablation-sparse' },
    val: { type: 'string', default: '200' },
    'val-annotations': { type: 'string', default: '.cache/ablation-data/val/annotations.json' },
    'val-images': { type: 'string', default: '.cache/ablation-data/val/images' },
  },
});
const gt = firstImages(loadCocoDataset(values['val-annotations']!), Number(values.val));
const objects = new Map<number, typeof gt.annotations>();
for (const a of gt.annotations) objects.set(a.image_id, [...(objects.get(a.image_id) ?? []), a]);

const BANDS = [0.3, 0.1, 0.05] as const;
const KINDS = ['tp', 'wrong-class', 'bad-box', 'background'] as const;

const overlap = new Float64Array(1);
console.log(`${gt.annotations.length} objects on ${gt.images.length} held-out images; detections by score band: ${KINDS.join(' / ')}`);
console.log(`run                    ${BANDS.map((b, i) => (i === 0 ? `>= ${b}` : `${b}-${BANDS[i - 1]}`).padEnd(26)).join('')}`);
for (const name of readdirSync(values.out!).sort()) {
  const model = join(values.out!, name, 'model');
  if (!existsSync(join(model, 'model.json'))) continue;
  const counts = BANDS.map(() => Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<(typeof KINDS)[number], number>);
  for (const d of await detectDataset(gt, model, values['val-images']!, { postprocess: { scoreThresh: 0.05 } })) {
    let any = 0;
    let same = 0;
    for (const a of objects.get(d.image_id) ?? []) {
      boxIou(d.bbox, 1, a.bbox, 1, [0], overlap);
      const o = overlap[0];
      any = Math.max(any, o);
      if (a.category_id === d.category_id) same = Math.max(same, o);
    }
    const kind = same >= 0.5 ? 'tp' : any >= 0.5 ? 'wrong-class' : any >= 0.1 ? 'bad-box' : 'background';
    counts[BANDS.findIndex((b) => d.score >= b)][kind]++;
  }
  console.log(`${name.padEnd(22)} ${counts.map((c) => KINDS.map((k) => c[k]).join(' / ').padEnd(26)).join('')}`);
}
