// Training batches from a COCO dataset: per epoch a seeded shuffle, per image decode + resize
// (short side minSize, long side at most maxSize) + random horizontal flip, per batch padding to a
// multiple of 32. The random choices of image i in epoch e depend only on (seed, e, i), so batches are
// the same whatever the prefetch depth. While the caller works on batch k, batches k+1..k+prefetch load.

import { collate, type Sample, type TrainBatch } from './collate.ts';
import type { CocoDataset } from './coco.ts';
import { decodeResizedRgb } from './decode.ts';
import { flipBoxesHorizontal, flipImageHorizontal } from './flip.ts';
import { Rng, deriveSeed } from './random.ts';
import { resizeBoxes, resizeShape } from './resize.ts';
import { batchIndices, epochOrder } from './sampler.ts';
import { RetinaStreamError } from '../../errors.ts';

export interface LoaderOptions {
  batchSize: number;
  /** Short side after resizing; a list picks one per image at random (multi-scale training). */
  minSize: number | number[];
  /** Upper bound of the long side after resizing. */
  maxSize: number;
  /** torchvision floors the resized size, detectron2 rounds (default 'floor'). */
  sizeRounding?: 'floor' | 'round';
  /** Batch height and width are padded up to a multiple of this (default 32). */
  sizeDivisible?: number;
  /** Probability of a horizontal flip (default 0.5; 0 for evaluation). */
  flipProb?: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  /** Batches loaded ahead of the one being consumed (default 1; 0 = load on demand). */
  prefetch?: number;
  dtype?: 'uint8' | 'float32';
}

export class LoaderOptionsError extends RetinaStreamError<'RS_ERR_LOADER_OPTIONS'> {
  constructor(message: string) {
    super('RS_ERR_LOADER_OPTIONS', message);
  }
}

function check(o: LoaderOptions): void {
  const bad = (k: string, v: unknown, want: string): never => {
    throw new LoaderOptionsError(`loader option ${k}: ${JSON.stringify(v)} is not ${want}`);
  };
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) bad('batchSize', o.batchSize, 'a positive integer');
  const mins = Array.isArray(o.minSize) ? o.minSize : [o.minSize];
  if (mins.length === 0 || !mins.every((m) => Number.isInteger(m) && m > 0)) bad('minSize', o.minSize, 'a positive integer or a non-empty list of them');
  if (!Number.isInteger(o.maxSize) || o.maxSize < Math.max(...mins)) bad('maxSize', o.maxSize, 'an integer >= minSize');
  if (o.sizeDivisible !== undefined && (!Number.isInteger(o.sizeDivisible) || o.sizeDivisible < 1)) bad('sizeDivisible', o.sizeDivisible, 'a positive integer');
  if (o.flipProb !== undefined && !(o.flipProb >= 0 && o.flipProb <= 1)) bad('flipProb', o.flipProb, 'in [0, 1]');
  if (o.prefetch !== undefined && (!Number.isInteger(o.prefetch) || o.prefetch < 0)) bad('prefetch', o.prefetch, 'a non-negative integer');
  if (o.dtype !== undefined && o.dtype !== 'uint8' && o.dtype !== 'float32') bad('dtype', o.dtype, "'uint8' or 'float32'");
}

export class CocoLoader {
  private readonly opts: Required<LoaderOptions>;

  constructor(
    readonly dataset: CocoDataset,
    options: LoaderOptions,
  ) {
    check(options);
    this.opts = {
      sizeRounding: 'floor',
      sizeDivisible: 32,
      flipProb: 0.5,
      shuffle: true,
      seed: 0,
      dropLast: false,
      prefetch: 1,
      dtype: 'uint8',
      ...options,
    };
  }

  get batchesPerEpoch(): number {
    const n = this.dataset.images.length;
    return this.opts.dropLast ? Math.floor(n / this.opts.batchSize) : Math.ceil(n / this.opts.batchSize);
  }

  /** Image `index` of the dataset as it appears in `epoch`: resized, maybe flipped, boxes to match. */
  async loadSample(index: number, epoch: number): Promise<Sample> {
    const im = this.dataset.images[index];
    const rng = new Rng(deriveSeed(this.opts.seed, epoch, index));
    const minSize = Array.isArray(this.opts.minSize) ? rng.pick(this.opts.minSize) : this.opts.minSize;
    const flip = rng.next() < this.opts.flipProb;
    const { scale, height, width } = resizeShape(im.height, im.width, minSize, this.opts.maxSize, this.opts.sizeRounding);
    let rgb = await decodeResizedRgb(im.path, im, width, height);
    let boxes = resizeBoxes(im.boxes, im.height, im.width, height, width);
    if (flip) {
      rgb = flipImageHorizontal(rgb, width, height);
      boxes = flipBoxesHorizontal(boxes, width);
    }
    return { imageId: im.id, rgb, height, width, scale, flipped: flip, boxes, labels: [...im.labels] };
  }

  async loadBatch(indices: number[], epoch: number): Promise<TrainBatch> {
    const samples = await Promise.all(indices.map((i) => this.loadSample(i, epoch)));
    return collate(samples, this.opts.sizeDivisible, this.opts.dtype);
  }

  /** The batches of one epoch, in the seeded order for (seed, epoch). */
  async *epoch(epoch: number): AsyncGenerator<TrainBatch> {
    const order = epochOrder(this.dataset.images.length, this.opts.seed, epoch, this.opts.shuffle);
    const batches = batchIndices(order, this.opts.batchSize, this.opts.dropLast);
    const pending: Promise<TrainBatch>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < batches.length && pending.length <= this.opts.prefetch) {
        const p = this.loadBatch(batches[next++], epoch);
        p.catch(() => undefined); // surfaced when awaited below; avoids an unhandled rejection if the caller stops early
        pending.push(p);
      }
    };
    // Before awaiting batch k, batches k..k+prefetch are requested; the consumer works on k while the rest load.
    for (fill(); pending.length > 0; fill()) yield await pending.shift()!;
  }
}
