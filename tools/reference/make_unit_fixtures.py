#!/usr/bin/env python3
"""Small seeded JSON fixtures from torchvision's detection building blocks.

Usage: /usr/bin/python3 tools/reference/make_unit_fixtures.py [--out test/fixtures/torchvision] [--seed 0]

Writes anchors.json, box_coder.json, batched_nms.json, focal_loss.json, matcher.json,
giou_loss.json. All tensors are float32 (as in the model); numbers are written at full
precision (each float32 as the exact double it equals). Layout: test/fixtures/torchvision/README.md.
"""

import argparse
import json
import math
import os
import sys

import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import batched_nms, box_iou, generalized_box_iou, generalized_box_iou_loss, sigmoid_focal_loss

MAX_BYTES = 1024 * 1024
LEVELS = ["P3", "P4", "P5", "P6", "P7"]
ANCHOR_SIZES = tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in [32, 64, 128, 256, 512])
ASPECT_RATIOS = ((0.5, 1.0, 2.0),) * len(ANCHOR_SIZES)


def header(seed: int, what: str) -> dict:
    return {
        "generator": "tools/reference/make_unit_fixtures.py",
        "seed": seed,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "what": what,
    }


def ceil_half(n: int) -> int:
    return (n + 1) // 2


def fpn_feature_sizes(h: int, w: int) -> list:
    """P3..P7 sizes of torchvision's ResNet-FPN: every stride-2 layer (conv1 k7 p3, maxpool k3 p1,
    3x3 p1 convs, P6/P7 3x3 s2 p1) maps n to ceil(n / 2)."""
    sizes = []
    for _ in range(3):  # conv1, maxpool, layer2 -> C3 (stride 8)
        h, w = ceil_half(h), ceil_half(w)
    sizes.append([h, w])
    for _ in range(4):  # C4, C5, P6, P7
        h, w = ceil_half(h), ceil_half(w)
        sizes.append([h, w])
    return sizes


def random_boxes(gen, n: int, span: float, min_wh: float, max_wh: float, quantum: float = 0.0) -> torch.Tensor:
    """Valid boxes x1 < x2, y1 < y2 inside [0, span]; optionally rounded to multiples of quantum."""
    wh = min_wh + (max_wh - min_wh) * torch.rand(n, 2, generator=gen)
    xy = (span - wh) * torch.rand(n, 2, generator=gen)
    b = torch.cat([xy, xy + wh], dim=1)
    if quantum:
        b = torch.round(b / quantum) * quantum
        b[:, 2:] = torch.maximum(b[:, 2:], b[:, :2] + quantum)
    return b.float()


def anchors_fixture(seed: int) -> dict:
    gen = AnchorGenerator(ANCHOR_SIZES, ASPECT_RATIOS)
    rng = torch.Generator().manual_seed(seed)
    images = []
    for h, w in [(64, 96), (320, 544), (800, 1088)]:
        feat_sizes = fpn_feature_sizes(h, w)
        image_list = ImageList(torch.zeros(1, 3, h, w), [(h, w)])
        feature_maps = [torch.zeros(1, 1, fh, fw) for fh, fw in feat_sizes]
        per_image = gen(image_list, feature_maps)[0]
        counts = [fh * fw * gen.num_anchors_per_location()[i] for i, (fh, fw) in enumerate(feat_sizes)]
        assert sum(counts) == per_image.shape[0]
        levels, offset = [], 0
        for i, (fh, fw) in enumerate(feat_sizes):
            a = per_image[offset:offset + counts[i]]
            offset += counts[i]
            entry = {
                "level": LEVELS[i],
                "feature_size": [fh, fw],
                "stride": [h // fh, w // fw],
                "num_anchors": counts[i],
                "sum": a.double().sum(dim=0).tolist(),
            }
            if a.numel() <= 8000:
                entry["anchors"] = a.tolist()
            else:
                n = a.shape[0]
                middle = torch.randperm(n - 40, generator=rng)[:40] + 20
                idx = sorted(set(range(20)) | set(range(n - 20, n)) | set(middle.tolist()))
                entry["sample_indices"] = idx
                entry["sample_anchors"] = a[idx].tolist()
            levels.append(entry)
        images.append({"padded_size": [h, w], "levels": levels})
    return {
        **header(seed, "AnchorGenerator(sizes, aspect_ratios) anchors per level for one padded image"),
        "sizes": [list(s) for s in ANCHOR_SIZES],
        "aspect_ratios": [list(r) for r in ASPECT_RATIOS],
        "cell_anchors": [c.tolist() for c in gen.cell_anchors],
        "images": images,
    }


def box_coder_fixture(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
    n = 200
    anchors = random_boxes(g, n, 1000.0, 4.0, 600.0)
    # Ground truth near the anchors: shifted and scaled by up to ~2x.
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    cx = anchors[:, 0] + 0.5 * aw + aw * 0.5 * torch.randn(n, generator=g)
    cy = anchors[:, 1] + 0.5 * ah + ah * 0.5 * torch.randn(n, generator=g)
    gw = aw * torch.exp(0.5 * torch.randn(n, generator=g))
    gh = ah * torch.exp(0.5 * torch.randn(n, generator=g))
    gt = torch.stack([cx - gw / 2, cy - gh / 2, cx + gw / 2, cy + gh / 2], dim=1).float()
    encoded = coder.encode_single(gt, anchors)

    dec_anchors = random_boxes(g, n, 1000.0, 4.0, 600.0)
    deltas = 0.5 * torch.randn(n, 4, generator=g)
    clip = coder.bbox_xform_clip
    # Large dw/dh around and beyond the clamp log(1000/16) = 4.1352, and very negative ones.
    deltas[:24, 2:] = torch.tensor([clip - 0.1, clip, clip + 1e-3, 5.0, 8.0, 20.0, -4.0, -9.0]).repeat(6).view(24, 2)
    deltas = deltas.float()
    decoded = coder.decode_single(deltas, dec_anchors)
    return {
        **header(seed, "det_utils.BoxCoder(weights=(1,1,1,1)): encode_single(gt, anchors), decode_single(deltas, anchors)"),
        "weights": [1.0, 1.0, 1.0, 1.0],
        "bbox_xform_clip": clip,
        "encode": {"gt": gt.tolist(), "anchors": anchors.tolist(), "deltas": encoded.tolist()},
        "decode": {"deltas": deltas.tolist(), "anchors": dec_anchors.tolist(), "boxes": decoded.tolist()},
    }


def clustered_boxes(g, n: int, clusters: int, span: float) -> torch.Tensor:
    """Boxes jittered around a few centres so NMS has real overlaps; multiples of 1/8 (exact float32)."""
    centres = span * torch.rand(clusters, 2, generator=g)
    sizes = 20 + 180 * torch.rand(clusters, 2, generator=g)
    pick = torch.randint(0, clusters, (n,), generator=g)
    c = centres[pick] + sizes[pick] * 0.3 * torch.randn(n, 2, generator=g)
    wh = sizes[pick] * torch.exp(0.3 * torch.randn(n, 2, generator=g))
    b = torch.cat([c - wh / 2, c + wh / 2], dim=1)
    b = torch.round(b * 8) / 8
    b[:, 2:] = torch.maximum(b[:, 2:], b[:, :2] + 0.125)
    return b.float()


def batched_nms_fixture(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    cases = []
    for n, num_classes, iou in [(50, 3, 0.5), (50, 3, 0.3), (500, 10, 0.5), (500, 5, 0.3), (5000, 8, 0.5)]:
        boxes = clustered_boxes(g, n, max(3, n // 60), 1000.0)
        scores = torch.rand(n, generator=g).float()
        assert torch.unique(scores).numel() == n, "scores must be distinct (NMS order is by score)"
        idxs = torch.randint(0, num_classes, (n,), generator=g)
        keep = batched_nms(boxes, scores, idxs, iou)
        cases.append({
            "iou_threshold": iou,
            "num_classes": num_classes,
            "boxes": boxes.tolist(),
            "scores": scores.tolist(),
            "idxs": idxs.tolist(),
            "keep": keep.tolist(),
        })
    b1 = clustered_boxes(g, 8, 2, 200.0)
    b2 = clustered_boxes(g, 10, 2, 200.0)
    b2[0] = b1[0]  # one identical pair: IoU exactly 1
    b2[1] = torch.tensor([500.0, 500.0, 510.0, 520.0])  # disjoint from everything: IoU 0
    return {
        **header(seed, "torchvision.ops.batched_nms(boxes, scores, idxs, iou_threshold) -> keep; box_iou(boxes1, boxes2)"),
        "cases": cases,
        "box_iou": {"boxes1": b1.tolist(), "boxes2": b2.tolist(), "iou": box_iou(b1, b2).tolist()},
    }


def focal_loss_fixture(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    shape = (40, 7)
    logits = 3.0 * torch.randn(shape, generator=g)
    logits[0] = torch.tensor([-50.0, -20.0, -5.0, 0.0, 5.0, 20.0, 50.0])  # saturated sigmoid both ways
    logits = logits.float()
    targets = (torch.rand(shape, generator=g) < 0.2).float()
    targets[0] = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    cases = []
    for alpha, gamma in [(0.25, 2.0), (-1.0, 0.0), (0.25, 0.5), (0.25, 1.0), (0.25, 5.0), (0.75, 2.0)]:
        case = {"alpha": alpha, "gamma": gamma}
        for reduction in ["none", "sum", "mean"]:
            out = sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma, reduction=reduction)
            case[reduction] = out.tolist()
        cases.append(case)
    return {
        **header(seed, "torchvision.ops.sigmoid_focal_loss(logits, targets, alpha, gamma, reduction); alpha < 0 = no alpha weighting"),
        "shape": list(shape),
        "logits": logits.tolist(),
        "targets": targets.tolist(),
        "cases": cases,
    }


def matcher_case(name: str, iou: torch.Tensor, extra: dict) -> dict:
    case = {"name": name, "shape": list(iou.shape), **extra}
    for low_quality in [False, True]:
        m = det_utils.Matcher(0.5, 0.4, allow_low_quality_matches=low_quality)
        case["matches_low_quality" if low_quality else "matches"] = m(iou.clone()).tolist()
    return case


def matcher_fixture(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    cases = []
    iou = (0.6 * torch.rand(5, 40, generator=g)).float()
    cases.append(matcher_case("random_uniform", iou, {"iou": iou.tolist()}))
    iou = (0.55 * torch.rand(6, 60, generator=g) ** 2).float()  # mostly < 0.4: low-quality matches matter
    cases.append(matcher_case("random_low", iou, {"iou": iou.tolist()}))
    iou = torch.tensor([
        [0.30, 0.30, 0.10, 0.00, 0.45, 0.20],  # gt 0: best 0.45 (between thresholds)
        [0.35, 0.10, 0.35, 0.35, 0.00, 0.05],  # gt 1: best 0.35 tied on 3 anchors (all restored)
        [0.50, 0.40, 0.39, 0.60, 0.60, 0.00],  # gt 2: exact thresholds 0.5 / 0.4, tied best 0.6
    ]).float()
    cases.append(matcher_case("ties_and_thresholds", iou, {"iou": iou.tolist()}))

    gen = AnchorGenerator(ANCHOR_SIZES, ASPECT_RATIOS)
    h, w = 64, 96
    anchors = gen(ImageList(torch.zeros(1, 3, h, w), [(h, w)]),
                  [torch.zeros(1, 1, fh, fw) for fh, fw in fpn_feature_sizes(h, w)])[0]
    gt = torch.tensor([
        [10.0, 12.0, 40.0, 50.0], [50.0, 5.0, 90.0, 30.0], [0.0, 0.0, 96.0, 64.0],
        [70.0, 40.0, 74.0, 44.0], [20.25, 30.5, 60.75, 62.0],
    ]).float()
    cases.append(matcher_case("real_boxes_64x96", box_iou(gt, anchors), {
        "gt_boxes": gt.tolist(), "anchors": anchors.tolist(),
    }))
    return {
        **header(seed, "det_utils.Matcher(0.5, 0.4, allow_low_quality_matches) on IoU [gt, anchors] -> matched gt per anchor"),
        "high_threshold": 0.5,
        "low_threshold": 0.4,
        "below_low_threshold": det_utils.Matcher.BELOW_LOW_THRESHOLD,
        "between_thresholds": det_utils.Matcher.BETWEEN_THRESHOLDS,
        "cases": cases,
    }


def giou_fixture(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    n = 100
    b1 = random_boxes(g, n, 300.0, 1.0, 150.0)
    b2 = random_boxes(g, n, 300.0, 1.0, 150.0)
    b2[:5] = b1[:5]  # identical: loss 0
    b2[5] = b1[5] + torch.tensor([-5.0, -5.0, 5.0, 5.0])  # encloses boxes1[5]
    b2[6] = torch.tensor([1000.0, 1000.0, 1010.0, 1020.0])  # far away: loss near 2
    b2[7] = torch.tensor([b1[7, 2], b1[7, 1], b1[7, 2] + 10, b1[7, 3]])  # touching edge
    m1, m2 = b1[:12], b2[:15]
    return {
        **header(seed, "torchvision.ops.generalized_box_iou_loss(boxes1, boxes2, reduction, eps=1e-7); generalized_box_iou matrix"),
        "eps": 1e-7,
        "boxes1": b1.tolist(),
        "boxes2": b2.tolist(),
        "loss_none": generalized_box_iou_loss(b1, b2, reduction="none").tolist(),
        "loss_sum": generalized_box_iou_loss(b1, b2, reduction="sum").item(),
        "loss_mean": generalized_box_iou_loss(b1, b2, reduction="mean").item(),
        "giou_matrix": {"boxes1": m1.tolist(), "boxes2": m2.tolist(), "giou": generalized_box_iou(m1, m2).tolist()},
    }


FIXTURES = {
    "anchors.json": anchors_fixture,
    "box_coder.json": box_coder_fixture,
    "batched_nms.json": batched_nms_fixture,
    "focal_loss.json": focal_loss_fixture,
    "matcher.json": matcher_fixture,
    "giou_loss.json": giou_fixture,
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="test/fixtures/torchvision")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    for name, make in FIXTURES.items():
        text = json.dumps(make(a.seed), separators=(",", ":")) + "\n"
        if len(text) > MAX_BYTES:
            print(f"{name}: {len(text)} bytes exceeds {MAX_BYTES}", file=sys.stderr)
            return 1
        path = os.path.join(a.out, name)
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
