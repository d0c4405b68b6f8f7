#!/usr/bin/python3
"""Fixtures for retinastream's training numerics, computed with real torchvision / torch.

Writes small seeded JSON files to test/fixtures/train/ (or --out):
  focal_loss.json      torchvision.ops.sigmoid_focal_loss values + d(sum)/d(logits)
  box_losses.json      F.l1_loss / F.smooth_l1_loss / torchvision.ops.generalized_box_iou_loss (+ grads)
  box_ops.json         torchvision.ops.box_iou matrix; det_utils.BoxCoder((1,1,1,1)) encode/decode
  matcher.json         det_utils.Matcher(0.5, 0.4, allow_low_quality_matches) on IoU matrices (with ties)
  retinanet_loss.json  torchvision RetinaNet.compute_loss (v1 'l1' and v2 'giou' box loss) on a tiny
                       problem: anchors, per-image gt, head outputs, matched idxs, losses, and gradients
                       of the total loss w.r.t. the head outputs
  sgd.json             torch.optim.SGD(momentum 0.9, weight_decay 1e-4) over a few steps with changing lr

Run: /usr/bin/python3 tools/reference/train_fixtures.py [--out test/fixtures/train]
(torchvision 0.14 / torch 1.13 from Debian's python3-torchvision). Floats are float32 values written at
full double precision. Tensors are {"shape": [...], "data": [flat row-major values]}.
"""
import argparse
import json
import math
import os
import types

import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.retinanet import RetinaNet, RetinaNetHead
from torchvision.ops import box_iou, generalized_box_iou_loss, sigmoid_focal_loss


def t(x):
    x = x.detach().to(torch.float64) if x.is_floating_point() else x.detach()
    # NaN (torch's own gradient of (1 - p_t) ** gamma at p_t = 1 for gamma < 1) is written as null.
    return {"shape": list(x.shape), "data": [None if isinstance(v, float) and v != v else v for v in x.reshape(-1).tolist()]}


def rand_boxes(g, n, lo=0.0, hi=100.0, min_size=2.0, max_size=40.0):
    xy = torch.rand(n, 2, generator=g) * (hi - lo) + lo
    wh = torch.rand(n, 2, generator=g) * (max_size - min_size) + min_size
    return torch.cat([xy, xy + wh], dim=1)


def focal_fixture(g):
    cases = []
    logits = torch.randn(6, 7, generator=g) * 3
    logits[0, :4] = torch.tensor([30.0, -30.0, 90.0, -90.0])  # saturated sigmoid
    targets = (torch.rand(6, 7, generator=g) < 0.3).float()
    soft = torch.rand(6, 7, generator=g)
    for alpha, gamma in [(0.25, 2.0), (-1.0, 0.0), (0.25, 0.5), (0.25, 1.0), (0.25, 5.0), (0.75, 0.0), (0.5, 2.0)]:
        for tname, tgt in [("binary", targets), ("soft", soft)]:
            for reduction in ["none", "sum", "mean"]:
                x = logits.clone().requires_grad_(True)
                out = sigmoid_focal_loss(x, tgt, alpha=alpha, gamma=gamma, reduction=reduction)
                out.sum().backward()
                cases.append({"alpha": alpha, "gamma": gamma, "targets": tname, "reduction": reduction,
                              "loss": t(out), "grad_logits": t(x.grad)})
    return {"logits": t(logits), "targets": {"binary": t(targets), "soft": t(soft)}, "cases": cases}


def box_losses_fixture(g):
    pred = torch.randn(20, 4, generator=g) * 0.5
    target = pred + torch.randn(20, 4, generator=g) * 0.3
    target[:5] = pred[:5] + torch.randn(5, 4, generator=g) * 0.02  # inside small betas
    out = {"pred": t(pred), "target": t(target), "smooth_l1": [], "l1": None}
    x = pred.clone().requires_grad_(True)
    l1 = F.l1_loss(x, target, reduction="none")
    l1.sum().backward()
    out["l1"] = {"loss": t(l1), "grad_pred": t(x.grad)}
    for beta in [0.0, 0.11, 1.0]:
        x = pred.clone().requires_grad_(True)
        sl = F.smooth_l1_loss(x, target, reduction="none", beta=beta)
        sl.sum().backward()
        out["smooth_l1"].append({"beta": beta, "loss": t(sl), "grad_pred": t(x.grad)})
    b1 = rand_boxes(g, 24)
    b2 = b1 + torch.randn(24, 4, generator=g) * 8
    b2[:, 2:] = torch.maximum(b2[:, 2:], b2[:, :2] + 1)
    b2[20:] = rand_boxes(g, 4, lo=200, hi=300)  # disjoint pairs: GIoU < 0
    x = b1.clone().requires_grad_(True)
    gl = generalized_box_iou_loss(x, b2, reduction="none")
    gl.sum().backward()
    out["giou"] = {"boxes1": t(b1), "boxes2": t(b2), "loss": t(gl), "grad_boxes1": t(x.grad),
                   "sum": float(generalized_box_iou_loss(b1, b2, reduction="sum")),
                   "mean": float(generalized_box_iou_loss(b1, b2, reduction="mean"))}
    return out


def box_ops_fixture(g):
    a = rand_boxes(g, 7)
    b = rand_boxes(g, 11)
    b[0] = a[0]  # identical box: IoU 1
    coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
    anchors = rand_boxes(g, 30, min_size=8, max_size=64)
    gt = anchors + torch.randn(30, 4, generator=g) * 6
    gt[:, 2:] = torch.maximum(gt[:, 2:], gt[:, :2] + 1)
    deltas = torch.randn(30, 4, generator=g) * 0.5
    deltas[:3, 2:] = torch.tensor([[6.0, 5.0], [-3.0, 9.0], [4.2, 4.1]])  # above the log(1000/16) clamp
    return {"boxes1": t(a), "boxes2": t(b), "iou": t(box_iou(a, b)),
            "anchors": t(anchors), "gt": t(gt), "encoded": t(coder.encode_single(gt, anchors)),
            "deltas": t(deltas), "decoded": t(coder.decode_single(deltas, anchors)),
            "bbox_xform_clip": coder.bbox_xform_clip}


def matcher_fixture(g):
    cases = []
    for name, (ng, na) in [("random", (5, 40)), ("wide", (3, 200)), ("one_gt", (1, 25))]:
        # quantized to 0.05 so that ties (within and across gts) and exact thresholds occur
        iou = torch.round(torch.rand(ng, na, generator=g) * 0.9 * 20) / 20
        if name == "random":
            iou[4] = 0.0  # a gt overlapping nothing: all anchors tie at its max (0)
            iou[3] = torch.clamp(iou[3], max=0.3)
        cases.append({"name": name, "iou": t(iou)})
    gtb = rand_boxes(g, 4, max_size=30)
    anc = rand_boxes(g, 60, min_size=4, max_size=40)
    cases.append({"name": "boxes", "iou": t(box_iou(gtb, anc)), "gt_boxes": t(gtb), "anchors": t(anc)})
    for c in cases:
        iou = torch.tensor(c["iou"]["data"], dtype=torch.float32).reshape(c["iou"]["shape"])
        for allow in [True, False]:
            m = det_utils.Matcher(0.5, 0.4, allow_low_quality_matches=allow)
            c["allow_low_quality" if allow else "strict"] = m(iou).tolist()
    return {"high": 0.5, "low": 0.4, "cases": cases}


def anchor_grid(size, stride, sizes=(8.0, 12.0), ratios=(0.5, 1.0, 2.0)):
    cells = []
    for r in ratios:
        for s in sizes:
            h = s * math.sqrt(r)
            w = s / math.sqrt(r)
            cells.append([-w / 2, -h / 2, w / 2, h / 2])
    cells = torch.tensor(cells)
    ys, xs = torch.meshgrid(torch.arange(size) * stride + stride / 2, torch.arange(size) * stride + stride / 2, indexing="ij")
    shifts = torch.stack([xs.reshape(-1), ys.reshape(-1), xs.reshape(-1), ys.reshape(-1)], dim=1)
    return (shifts[:, None, :] + cells[None]).reshape(-1, 4)


def retinanet_loss_fixture(g):
    anchors = torch.cat([anchor_grid(6, 4.0), anchor_grid(3, 8.0, sizes=(16.0, 20.0))])  # 6*6*6 + 3*3*6 = 270
    num_classes = 5
    images = [
        {"boxes": torch.tensor([[2.0, 3.0, 12.0, 11.0], [10.0, 8.0, 22.0, 23.0], [5.0, 14.0, 9.0, 18.0]]), "labels": torch.tensor([1, 3, 4])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},  # no objects
        {"boxes": torch.tensor([[0.5, 0.5, 23.0, 23.5]]), "labels": torch.tensor([0])},
    ]
    n, a = len(images), anchors.shape[0]
    cls_logits = torch.randn(n, a, num_classes, generator=g) * 2 - 2
    bbox_regression = torch.randn(n, a, 4, generator=g) * 0.3
    matcher = det_utils.Matcher(0.5, 0.4, allow_low_quality_matches=True)
    out = {"num_classes": num_classes, "anchors": t(anchors),
           "images": [{"boxes": t(im["boxes"]), "labels": im["labels"].tolist()} for im in images],
           "cls_logits": t(cls_logits), "bbox_regression": t(bbox_regression), "variants": []}
    for loss_type in ["l1", "giou", "smooth_l1"]:
        head = RetinaNetHead(8, 6, num_classes)
        head.regression_head._loss_type = loss_type
        model = types.SimpleNamespace(proposal_matcher=matcher, head=head)
        cl = cls_logits.clone().requires_grad_(True)
        br = bbox_regression.clone().requires_grad_(True)
        losses = RetinaNet.compute_loss(model, images, {"cls_logits": cl, "bbox_regression": br}, [anchors] * n)
        total = losses["classification"] + losses["bbox_regression"]
        total.backward()
        matched = []
        for im in images:
            if im["boxes"].numel() == 0:
                matched.append([-1] * a)
            else:
                matched.append(matcher(box_iou(im["boxes"], anchors)).tolist())
        out["variants"].append({"box_loss": loss_type, "smooth_l1_beta": 1.0 if loss_type == "smooth_l1" else None,
                                "classification": float(losses["classification"]),
                                "bbox_regression": float(losses["bbox_regression"]), "total": float(total),
                                "grad_cls_logits": t(cl.grad), "grad_bbox_regression": t(br.grad), "matched_idxs": matched})
    return out


def sgd_fixture(g):
    w = torch.randn(3, 4, generator=g)
    b = torch.randn(4, generator=g)
    grads = [(torch.randn(3, 4, generator=g), torch.randn(4, generator=g)) for _ in range(5)]
    lrs = [0.001, 0.0055, 0.01, 0.01, 0.001]
    out = {"w0": t(w), "b0": t(b), "lrs": lrs, "grads": [{"w": t(gw), "b": t(gb)} for gw, gb in grads], "runs": []}
    for nesterov, decay_bias in [(False, True), (True, True), (False, False)]:
        pw = torch.nn.Parameter(w.clone())
        pb = torch.nn.Parameter(b.clone())
        groups = [{"params": [pw]}, {"params": [pb], "weight_decay": 1e-4 if decay_bias else 0.0}]
        opt = torch.optim.SGD(groups, lr=lrs[0], momentum=0.9, weight_decay=1e-4, nesterov=nesterov)
        steps = []
        for (gw, gb), lr in zip(grads, lrs):
            for grp in opt.param_groups:
                grp["lr"] = lr
            pw.grad = gw.clone()
            pb.grad = gb.clone()
            opt.step()
            steps.append({"w": t(pw), "b": t(pb)})
        out["runs"].append({"nesterov": nesterov, "decay_bias": decay_bias, "steps": steps})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "test", "fixtures", "train"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__, "generator": "tools/reference/train_fixtures.py"}
    makers = {"focal_loss": focal_fixture, "box_losses": box_losses_fixture, "box_ops": box_ops_fixture,
              "matcher": matcher_fixture, "retinanet_loss": retinanet_loss_fixture, "sgd": sgd_fixture}
    for i, (name, make) in enumerate(makers.items()):
        g = torch.Generator().manual_seed(1000 + i)
        torch.manual_seed(1000 + i)
        data = {"meta": meta, **make(g)}
        path = os.path.join(args.out, name + ".json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"), allow_nan=False)
        print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
