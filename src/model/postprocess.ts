// Post-processing, as the paper and torchvision describe it, batched over the N images:
//   per level: sigmoid -> top-k candidates -> (score > threshold) -> anchor = idx div K, class = idx mod K -> decode
//   [-> clip to the resized image]; merge levels -> class-wise NMS -> keep the top N by score;
//   map boxes back to source pixels [-> clip to the source image and drop empty boxes (detectron2)].
// Top-k before the threshold keeps the same set as threshold-then-top-k and lets top-k run batched;
// the threshold is applied by NMS's score filter (strictly greater, as torchvision).
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

/** Per image: candidates of all levels on the device (boxes in resized-image pixels). */
function candidates(out: HeadOutputs, anchors: tf.Tensor2D[], geo: ImageGeometry[], cfg: PostprocessConfig) {
  return tf.tidy(() => {
    const n = geo.length;
    const perLevel = out.cls.map((logits, l) => {
      const [, m, k] = logits.shape;
      const flat = tf.reshape(logits, [n, m * k]);
      const topk = tf.topk(flat, Math.min(cfg.topkCandidates, m * k), true);
      const scores = tf.sigmoid(topk.values);
      const anchorIdx = tf.cast(tf.floorDiv(topk.indices, k), 'int32');
      const labels = tf.mod(topk.indices, k);
      // per-image rows of the [N*M, 4] deltas (a flat gather: tf.gather with batchDims misbehaves on wasm)
      const rows = tf.add(anchorIdx, tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(m, 'int32')), [n, 1]));
      const deltas = tf.gather(tf.reshape(out.box[l], [n * m, 4]), tf.reshape(rows, [-1])); // [N*k, 4]
      const anc = tf.gather(anchors[l], tf.reshape(anchorIdx, [-1])); // [N*k, 4]
      const boxes = tf.reshape(decodeBoxes(deltas, anc, [1, 1, 1, 1], cfg.bboxXformClip), [n, -1, 4]);
      return { scores, labels, boxes };
    });
    let boxes = tf.concat(perLevel.map((p) => p.boxes), 1) as tf.Tensor3D;
    if (cfg.clip === 'beforeNms') {
      const lim = tf.tensor3d(geo.flatMap((g) => [g.resized[1], g.resized[0], g.resized[1], g.resized[0]]), [n, 1, 4]);
      boxes = tf.clipByValue(tf.minimum(boxes, lim), 0, Infinity) as tf.Tensor3D;
    }
    return {
      boxes,
      scores: tf.concat(perLevel.map((p) => p.scores), 1) as tf.Tensor2D,
      labels: tf.concat(perLevel.map((p) => p.labels), 1) as tf.Tensor2D,
    };
  });
}

/** Final detections per image, in source pixels, sorted by decreasing score. */
export async function postprocess(out: HeadOutputs, anchors: tf.Tensor2D[], geo: ImageGeometry[], cfg: PostprocessConfig): Promise<RawDetections[]> {
  const c = candidates(out, anchors, geo, cfg);
  const results: RawDetections[] = [];
  try {
    for (let i = 0; i < geo.length; i++) {
      const [boxes, scores, labels] = tf.tidy(() => [
        tf.squeeze(tf.slice(c.boxes, [i, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D,
        tf.squeeze(tf.slice(c.scores, [i, 0], [1, -1]), [0]) as tf.Tensor1D,
        tf.squeeze(tf.slice(c.labels, [i, 0], [1, -1]), [0]) as tf.Tensor1D,
      ]);
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
  } finally {
    tf.dispose([c.boxes, c.scores, c.labels]);
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
