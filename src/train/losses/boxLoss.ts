// Box regression losses as torchvision/detectron2 use them for RetinaNet:
// L1 on encoded deltas (TV v1, D2 with beta 0), smooth-L1 (ODTK beta 0.11), and GIoU on decoded boxes
// (TV v2), equal to torch.nn.functional.l1_loss / smooth_l1_loss and torchvision.ops.generalized_box_iou_loss.
import * as tf from '@tensorflow/tfjs-core';
import { reduceLoss } from './reduce.ts';
import { TrainError, checkReduction, sameShape, type Reduction } from './trainError.ts';

export function l1Loss(pred: tf.Tensor, target: tf.Tensor, reduction: Reduction = 'none'): tf.Tensor {
  checkReduction('l1Loss', reduction);
  sameShape('l1Loss', pred, target, ['pred', 'target']);
  return tf.tidy(() => reduceLoss(tf.abs(tf.sub(pred, target)), reduction));
}

/** 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; beta 0 is exactly L1 (as in PyTorch). */
export function smoothL1Loss(pred: tf.Tensor, target: tf.Tensor, beta = 1, reduction: Reduction = 'none'): tf.Tensor {
  checkReduction('smoothL1Loss', reduction);
  sameShape('smoothL1Loss', pred, target, ['pred', 'target']);
  if (!(beta >= 0)) throw new TrainError('RS_ERR_LOSS_INPUT', `smoothL1Loss: beta ${beta} must be >= 0`);
  if (beta === 0) return l1Loss(pred, target, reduction);
  return tf.tidy(() => {
    const d = tf.abs(tf.sub(pred, target));
    const loss = tf.where(tf.less(d, beta), tf.div(tf.mul(tf.square(d), 0.5), beta), tf.sub(d, 0.5 * beta));
    return reduceLoss(loss, reduction);
  });
}

/**
 * 1 - GIoU for matching rows of two [..., 4] box tensors (x1, y1, x2, y2), as
 * torchvision.ops.generalized_box_iou_loss: iou = inter / (union + eps),
 * giou = iou - (enclosing - union) / (enclosing + eps).
 */
export function giouLoss(boxes1: tf.Tensor, boxes2: tf.Tensor, reduction: Reduction = 'none', eps = 1e-7): tf.Tensor {
  checkReduction('giouLoss', reduction);
  sameShape('giouLoss', boxes1, boxes2, ['boxes1', 'boxes2']);
  if (boxes1.shape[boxes1.rank - 1] !== 4) throw new TrainError('RS_ERR_LOSS_INPUT', `giouLoss: boxes must have a last dimension of 4 (x1,y1,x2,y2), got [${boxes1.shape}]`);
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = tf.unstack(boxes1, boxes1.rank - 1);
    const [x1g, y1g, x2g, y2g] = tf.unstack(boxes2, boxes2.rank - 1);
    // Intersection is zero unless both overlaps are positive (relu of each side gives the same).
    const iw = tf.relu(tf.sub(tf.minimum(x2, x2g), tf.maximum(x1, x1g)));
    const ih = tf.relu(tf.sub(tf.minimum(y2, y2g), tf.maximum(y1, y1g)));
    const inter = tf.mul(iw, ih);
    const area1 = tf.mul(tf.sub(x2, x1), tf.sub(y2, y1));
    const area2 = tf.mul(tf.sub(x2g, x1g), tf.sub(y2g, y1g));
    const union = tf.sub(tf.add(area1, area2), inter);
    const iou = tf.div(inter, tf.add(union, eps));
    const cw = tf.sub(tf.maximum(x2, x2g), tf.minimum(x1, x1g));
    const ch = tf.sub(tf.maximum(y2, y2g), tf.minimum(y1, y1g));
    const areaC = tf.mul(cw, ch);
    const giou = tf.sub(iou, tf.div(tf.sub(areaC, union), tf.add(areaC, eps)));
    return reduceLoss(tf.sub(1, giou), reduction);
  });
}
