// Box coding between anchors and regression deltas (dx, dy, dw, dh), weights (1, 1, 1, 1),
// width = x2 - x1 (no +1), centre = x1 + w/2: torchvision BoxCoder and detectron2 Box2BoxTransform.
import * as tf from '@tensorflow/tfjs-core';

/** log(1000/16): keeps exp() from overflowing on wild dw/dh (torchvision, detectron2). */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);

/** Decode deltas [M, 4] relative to anchors [M, 4] into boxes [M, 4] (x1, y1, x2, y2). */
export function decodeBoxes(deltas: tf.Tensor2D, anchors: tf.Tensor2D, clip: number | null = BBOX_XFORM_CLIP): tf.Tensor2D {
  return tf.tidy(() => {
    const [ax1, ay1, ax2, ay2] = tf.split(anchors, 4, 1);
    const [dx, dy, dwRaw, dhRaw] = tf.split(deltas, 4, 1);
    const w = tf.sub(ax2, ax1);
    const h = tf.sub(ay2, ay1);
    const cx = tf.add(ax1, tf.mul(0.5, w));
    const cy = tf.add(ay1, tf.mul(0.5, h));
    const dw = clip === null ? dwRaw : tf.minimum(dwRaw, clip);
    const dh = clip === null ? dhRaw : tf.minimum(dhRaw, clip);
    const pcx = tf.add(tf.mul(dx, w), cx);
    const pcy = tf.add(tf.mul(dy, h), cy);
    const halfW = tf.mul(0.5, tf.mul(tf.exp(dw), w));
    const halfH = tf.mul(0.5, tf.mul(tf.exp(dh), h));
    return tf.concat([tf.sub(pcx, halfW), tf.sub(pcy, halfH), tf.add(pcx, halfW), tf.add(pcy, halfH)], 1) as tf.Tensor2D;
  });
}

/** Encode ground-truth boxes [M, 4] against anchors [M, 4] into regression targets [M, 4]. */
export function encodeBoxes(boxes: tf.Tensor2D, anchors: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [ax1, ay1, ax2, ay2] = tf.split(anchors, 4, 1);
    const [gx1, gy1, gx2, gy2] = tf.split(boxes, 4, 1);
    const aw = tf.sub(ax2, ax1);
    const ah = tf.sub(ay2, ay1);
    const acx = tf.add(ax1, tf.mul(0.5, aw));
    const acy = tf.add(ay1, tf.mul(0.5, ah));
    const gw = tf.sub(gx2, gx1);
    const gh = tf.sub(gy2, gy1);
    const gcx = tf.add(gx1, tf.mul(0.5, gw));
    const gcy = tf.add(gy1, tf.mul(0.5, gh));
    return tf.concat([tf.div(tf.sub(gcx, acx), aw), tf.div(tf.sub(gcy, acy), ah), tf.log(tf.div(gw, aw)), tf.log(tf.div(gh, ah))], 1) as tf.Tensor2D;
  });
}
