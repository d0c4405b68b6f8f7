// Pairwise IoU of two box sets as one tensor op, equal to torchvision.ops.box_iou:
// [G, 4] x [A, 4] (x1, y1, x2, y2; width = x2 - x1) -> [G, A].
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../losses/trainError.ts';

export function checkBoxes(where: string, name: string, boxes: tf.Tensor): void {
  if (boxes.rank !== 2 || boxes.shape[1] !== 4) {
    throw new TrainError('RS_ERR_TARGETS_INPUT', `${where}: ${name} must be [n, 4] boxes (x1,y1,x2,y2), got shape [${boxes.shape}]`);
  }
}

export function boxArea(boxes: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = tf.unstack(boxes, 1);
    return tf.mul(tf.sub(x2, x1), tf.sub(y2, y1)) as tf.Tensor1D;
  });
}

export function boxIou(boxes1: tf.Tensor2D, boxes2: tf.Tensor2D): tf.Tensor2D {
  checkBoxes('boxIou', 'boxes1', boxes1);
  checkBoxes('boxIou', 'boxes2', boxes2);
  return tf.tidy(() => {
    const a = tf.expandDims(boxes1, 1); // [G, 1, 4]
    const b = tf.expandDims(boxes2, 0); // [1, A, 4]
    const lt = tf.maximum(tf.slice(a, [0, 0, 0], [-1, -1, 2]), tf.slice(b, [0, 0, 0], [-1, -1, 2]));
    const rb = tf.minimum(tf.slice(a, [0, 0, 2], [-1, -1, 2]), tf.slice(b, [0, 0, 2], [-1, -1, 2]));
    const wh = tf.relu(tf.sub(rb, lt)); // [G, A, 2]
    const [w, h] = tf.unstack(wh, 2);
    const inter = tf.mul(w, h);
    const union = tf.sub(tf.add(tf.expandDims(boxArea(boxes1), 1), tf.expandDims(boxArea(boxes2), 0)), inter);
    return tf.div(inter, union) as tf.Tensor2D;
  });
}
