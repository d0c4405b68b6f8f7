// retinastream detect --model DIR [--json] [--out annotated.jpg] IMAGE...
import { extname } from 'node:path';
import { parsePrecision } from '../../backend/precision.ts';
import { describeBackend } from '../../backend/select.ts';
import { drawDetections, readRgbImage } from '../../io/image.ts';
import { createDetector } from '../../model/detector.ts';
import { intFlag, numFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { resolveModel } from '../../zoo/resolve.ts';

/** Boxes below this score are listed but not drawn by --out (the live default of `run`). */
export const DRAW_MIN_SCORE = 0.3;

export const usage = 'retinastream detect --model DIR [--json] [--out annotated.jpg] [--draw-min-score S] [--score-thresh S] [--max-detections N] [--backend B] [--precision fp32|bf16] IMAGE...';

export async function detectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('detect', argv, {
    model: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    'draw-min-score': { type: 'string' },
    'score-thresh': { type: 'string' },
    'max-detections': { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
  });
  if (!values.model) throw new UsageError(`retinastream detect: --model DIR is required (${usage})`);
  if (positionals.length === 0) throw new UsageError(`retinastream detect: no IMAGE given (${usage})`);
  if (values.out && positionals.length > 1) throw new UsageError('--out: takes one annotated image, but several IMAGEs were given');
  if (values.out && !['.jpg', '.jpeg', '.png', '.webp'].includes(extname(values.out).toLowerCase())) {
    throw new UsageError(`--out: "${values.out}" must end in .jpg, .png or .webp`);
  }
  const drawMin = numFlag('draw-min-score', values['draw-min-score'], DRAW_MIN_SCORE, 0, 1);
  const images = await Promise.all(positionals.map(readRgbImage)); // fail on a bad image before loading the model
  const post: Record<string, number> = {};
  if (values['score-thresh'] !== undefined) post.scoreThresh = numFlag('score-thresh', values['score-thresh'], 0.05, 0, 1);
  if (values['max-detections'] !== undefined) post.detectionsPerImage = intFlag('max-detections', values['max-detections'], 100);
  const precision = values.precision === undefined ? undefined : parsePrecision(values.precision); // else RETINASTREAM_PRECISION or fp32
  const detector = await createDetector({ model: await resolveModel(values.model), backend: values.backend, precision, postprocess: post });
  if (!values.json) process.stderr.write(`model ${detector.model.name} (${detector.model.hash}) on ${describeBackend(detector.backend)}\n`);
  for (let i = 0; i < images.length; i++) {
    const [dets] = await detector.detect([images[i]]);
    const { width, height } = images[i];
    if (values.json) {
      process.stdout.write(JSON.stringify({ image: positionals[i], width, height, detections: dets }) + '\n');
    } else {
      process.stdout.write(`${positionals[i]} (${width}x${height}): ${dets.length} detections\n`);
      for (const d of dets) process.stdout.write(`  ${d.label.padEnd(16)} ${d.score.toFixed(3)}  [${d.box.map((v) => v.toFixed(1)).join(', ')}]\n`);
    }
    if (values.out) await drawDetections(positionals[i], values.out, dets.filter((d) => d.score >= drawMin), width, height);
  }
  detector.dispose();
  return 0;
}
