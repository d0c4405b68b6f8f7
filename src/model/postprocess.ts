// Post-processing, as the paper and torchvision describe it, one image at a time:
//   per level: (score > threshold) -> top-k candidates of what is left -> sigmoid -> anchor = idx div K,
//   class = idx mod K -> decode [-> clip to the resized image]; merge levels -> class-wise NMS -> keep the
//   top N by score; map boxes back to source pixels [-> clip to the source image and drop empty boxes
//   (detectron2)].
// The threshold is taken on the logits (sigmoid is monotonic), a hair below logit(threshold) so that no
// score that sigmoid rounds above the threshold is lost; what that lets through is dropped again by NMS's
// score filter, which keeps exactly torchvision's strict `score > threshold`. Thresholding first, as
// torchvision does, means top-k sorts the few logits above it instead of all of them (3.4M on P3 of a
// 512x512 image with 91 classes, where a top-k over everything took 14.5 ms).
// Only the final detections are read back from the device.
import * as tf from '@tensorflow/tfjs-core';
import { decodeBoxes } from './boxCoder.ts';
import type { PostprocessConfig } from './config.ts';
import type { HeadOutputs } from './retinanet.ts';

export interface RawDetections {
  /** [M * 4] x1, y1, x2, y2 in source pixels. */
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
}

export interface ImageGeometry {
  /** [height, width] of the image content inside the padded input (after resizing). */
  resized: [number, number];
  /** [height, width] of the source image the boxes are mapped back to. */
  source: [number, number];
}

interface Candidates {
  boxes: tf.Tensor2D;
  scores: tf.Tensor1D;
  labels: tf.Tensor1D;
}

/** The logit below which no score can pass `scoreThresh` (-Infinity for a threshold of 0). */
function logitFloor(scoreThresh: number): number {
  if (scoreThresh <= 0) return -Infinity;
  return Math.log(scoreThresh / (1 - scoreThresh)) - 1e-3;
}

/** Row `i` of a [N, M, C] tensor as [M, C] (a view when N is 1, else a copy). */
function imageRows(t: tf.Tensor3D, i: number): tf.Tensor2D {
  const [n, m, c] = t.shape;
  return tf.reshape(n === 1 ? t : tf.slice(t, [i, 0, 0], [1, -1, -1]), [m, c]);
}

/** Indices [S, 1] of the values above `floor` (and `values` disposed if `dispose`). */
async function whereAbove(values: tf.Tensor, floor: number, dispose: boolean): Promise<tf.Tensor2D> {
  const mask = tf.greater(values, floor);
  if (dispose) values.dispose();
  try {
    return await tf.whereAsync(mask);
  } finally {
    mask.dispose();
  }
}

/** Image `i`'s candidates on one level: above the threshold, then the top-k of those (boxes in resized pixels).
 * The anchors whose best class passes come first (a max over the classes reads the logits once and leaves M
 * values), then the classes of those anchors: no M x K mask is made. Candidates keep the flat M x K order. */
async function levelCandidates(out: HeadOutputs, l: number, anchors: tf.Tensor2D, i: number, floor: number, cfg: PostprocessConfig): Promise<Candidates | null> {
  const k = out.cls[l].shape[2];
  const logits = tf.tidy(() => imageRows(out.cls[l], i));
  const hits: tf.Tensor[] = [];
  try {
    const anchorHits = await whereAbove(tf.tidy(() => tf.max(logits, 1)), floor, true);
    hits.push(anchorHits);
    const a = anchorHits.shape[0];
    if (a === 0) return null;
    const rows = tf.tidy(() => tf.reshape(tf.gather(logits, tf.reshape(anchorHits, [a])), [a * k]) as tf.Tensor1D);
    hits.push(rows);
    const classHits = await whereAbove(rows, floor, false);
    hits.push(classHits);
    return tf.tidy(() => {
      const s = classHits.shape[0];
      let flat = tf.reshape(classHits, [s]) as tf.Tensor1D; // into rows: hit anchor * K + class
      let scores = tf.gather(rows, flat);
      if (s > cfg.topkCandidates) {
        const top = tf.topk(scores, cfg.topkCandidates, true);
        flat = tf.gather(flat, top.indices);
        scores = top.values;
      }
      const anchorIdx = tf.gather(tf.reshape(anchorHits, [a]), tf.cast(tf.floorDiv(flat, k), 'int32'));
      const deltas = tf.gather(imageRows(out.box[l], i), anchorIdx);
      return {
        boxes: decodeBoxes(deltas, tf.gather(anchors, anchorIdx), [1, 1, 1, 1], cfg.bboxXformClip) as tf.Tensor2D,
        scores: tf.sigmoid(scores) as tf.Tensor1D,
        labels: tf.mod(flat, k) as tf.Tensor1D,
      };
    });
  } finally {
    tf.dispose([logits, ...hits]);
  }
}

/** Image `i`'s candidates of all levels, merged (boxes in resized-image pixels, clipped there if asked). */
async function imageCandidates(out: HeadOutputs, anchors: tf.Tensor2D[], geo: ImageGeometry, i: number, cfg: PostprocessConfig): Promise<Candidates | null> {
  const floor = logitFloor(cfg.scoreThresh);
  const levels: Candidates[] = [];
  try {
    for (let l = 0; l < out.cls.length; l++) {
      const c = await levelCandidates(out, l, anchors[l], i, floor, cfg);
      if (c) levels.push(c);
    }
    if (!levels.length) return null;
    return tf.tidy(() => {
      let boxes = tf.concat(levels.map((c) => c.boxes)) as tf.Tensor2D;
      if (cfg.clip === 'beforeNms') boxes = tf.clipByValue(tf.minimum(boxes, tf.tensor1d([geo.resized[1], geo.resized[0], geo.resized[1], geo.resized[0]])), 0, Infinity) as tf.Tensor2D;
      return { boxes, scores: tf.concat(levels.map((c) => c.scores)) as tf.Tensor1D, labels: tf.concat(levels.map((c) => c.labels)) as tf.Tensor1D };
    });
  } finally {
    for (const c of levels) tf.dispose([c.boxes, c.scores, c.labels]);
  }
}

const NONE: RawDetections = { boxes: new Float32Array(0), scores: new Float32Array(0), classIds: new Int32Array(0) };

/** Final detections per image, in source pixels, sorted by decreasing score. */
export async function postprocess(out: HeadOutputs, anchors: tf.Tensor2D[], geo: ImageGeometry[], cfg: PostprocessConfig): Promise<RawDetections[]> {
  const results: RawDetections[] = [];
  for (let i = 0; i < geo.length; i++) {
    const c = await imageCandidates(out, anchors, geo[i], i, cfg);
    if (!c) {
      results.push({ ...NONE });
      continue;
    }
    const { boxes, scores, labels } = c;
    // class-wise NMS in one call: shift each class's boxes so that no two classes overlap
    // (torchvision's batched_nms coordinate trick); a class-agnostic model's boxes are not shifted
    // (then shifted is boxes: disposing it twice below is a no-op)
    const shifted = cfg.classAgnostic
      ? boxes
      : tf.tidy(() => tf.add(boxes, tf.expandDims(tf.mul(tf.cast(labels, 'float32'), tf.add(tf.max(boxes), 1)), 1)) as tf.Tensor2D);
    const keep = await tf.image.nonMaxSuppressionAsync(shifted, scores, cfg.detectionsPerImage, cfg.nmsThresh, cfg.scoreThresh);
    const [kb, ks, kl] = tf.tidy(() => {
      const [sh, sw] = geo[i].source;
      const [rh, rw] = geo[i].resized;
      const ratio = tf.tensor1d([Math.fround(sw) / Math.fround(rw), Math.fround(sh) / Math.fround(rh), Math.fround(sw) / Math.fround(rw), Math.fround(sh) / Math.fround(rh)]);
      let b = tf.mul(tf.gather(boxes, keep), ratio);
      if (cfg.clip === 'afterNms') b = tf.clipByValue(tf.minimum(b, tf.tensor1d([sw, sh, sw, sh])), 0, Infinity);
      return [b, tf.gather(scores, keep), tf.gather(labels, keep)];
    });
    const [bd, sd, ld] = await Promise.all([kb.data(), ks.data(), kl.data()]);
    tf.dispose([boxes, scores, labels, shifted, keep, kb, ks, kl]);
    results.push(dropEmpty({ boxes: bd as Float32Array, scores: sd as Float32Array, classIds: Int32Array.from(ld) }, cfg.clip === 'afterNms'));
  }
  return results;
}

/** detectron2 drops boxes that clipping made empty (width or height 0). */
function dropEmpty(d: RawDetections, enabled: boolean): RawDetections {
  if (!enabled) return d;
  const keep: number[] = [];
  for (let i = 0; i < d.scores.length; i++) if (d.boxes[i * 4 + 2] > d.boxes[i * 4] && d.boxes[i * 4 + 3] > d.boxes[i * 4 + 1]) keep.push(i);
  if (keep.length === d.scores.length) return d;
  return {
    boxes: Float32Array.from(keep.flatMap((i) => Array.from(d.boxes.subarray(i * 4, i * 4 + 4)))),
    scores: Float32Array.from(keep.map((i) => d.scores[i])),
    classIds: Int32Array.from(keep.map((i) => d.classIds[i])),
  };
}
