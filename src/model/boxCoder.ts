// Box coding between anchors and regression deltas (dx, dy, dw, dh), as torchvision det_utils.BoxCoder and
// detectron2 Box2BoxTransform: width = x2 - x1 (no +1), centre = x1 + 0.5 width, weights (1, 1, 1, 1) by default;
// dx = (gx - ax) / aw, dy = (gy - ay) / ah, dw = log(gw / aw), dh = log(gh / ah), each times its weight.
// Used by inference (decode) and training (encode targets, decode for GIoU); boxes are [..., 4] tensors.
import * as tf from '@tensorflow/tfjs-core';

/** log(1000/16): keeps exp() from overflowing on wild dw/dh (torchvision, detectron2). */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);
export type BoxWeights = [number, number, number, number];

function centerForm(boxes: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  const [x1, y1, x2, y2] = tf.unstack(boxes, boxes.rank - 1);
  const w = tf.sub(x2, x1);
  const h = tf.sub(y2, y1);
  return [tf.add(x1, tf.mul(w, 0.5)), tf.add(y1, tf.mul(h, 0.5)), w, h];
}

/** Deltas that take `anchors` to `gtBoxes`, both [..., 4] of equal shape. */
export function encodeBoxes(gtBoxes: tf.Tensor, anchors: tf.Tensor, weights: BoxWeights = [1, 1, 1, 1]): tf.Tensor {
  return tf.tidy(() => {
    const [ax, ay, aw, ah] = centerForm(anchors);
    const [gx, gy, gw, gh] = centerForm(gtBoxes);
    const [wx, wy, ww, wh] = weights;
    const dx = tf.mul(tf.div(tf.sub(gx, ax), aw), wx);
    const dy = tf.mul(tf.div(tf.sub(gy, ay), ah), wy);
    const dw = tf.mul(tf.log(tf.div(gw, aw)), ww);
    const dh = tf.mul(tf.log(tf.div(gh, ah)), wh);
    return tf.stack([dx, dy, dw, dh], anchors.rank - 1);
  });
}

/** Boxes from `deltas` applied to `anchors` (torchvision decode_single), differentiable in `deltas`. */
export function decodeBoxes(deltas: tf.Tensor, anchors: tf.Tensor, weights: BoxWeights = [1, 1, 1, 1], clip: number | null = BBOX_XFORM_CLIP): tf.Tensor {
  return tf.tidy(() => {
    const [ax, ay, aw, ah] = centerForm(anchors);
    const [ddx, ddy, ddw, ddh] = tf.unstack(deltas, deltas.rank - 1);
    const [wx, wy, ww, wh] = weights;
    let dw = tf.div(ddw, ww);
    let dh = tf.div(ddh, wh);
    if (clip !== null) {
      dw = tf.minimum(dw, clip);
      dh = tf.minimum(dh, clip);
    }
    const cx = tf.add(tf.mul(tf.div(ddx, wx), aw), ax);
    const cy = tf.add(tf.mul(tf.div(ddy, wy), ah), ay);
    const halfW = tf.mul(tf.mul(tf.exp(dw), aw), 0.5);
    const halfH = tf.mul(tf.mul(tf.exp(dh), ah), 0.5);
    return tf.stack([tf.sub(cx, halfW), tf.sub(cy, halfH), tf.add(cx, halfW), tf.add(cy, halfH)], deltas.rank - 1);
  });
}
