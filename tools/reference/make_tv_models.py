#!/usr/bin/env python3
"""Seeded random-weight torchvision RetinaNets (v1, v2) and their detections, for parity tests.

Usage:
  /usr/bin/python3 tools/reference/make_tv_models.py --out DIR [--min-size 800 --max-size 1333]
      [--depth 50] [--seed 0] [--threads 2] [--versions v1,v2] [--no-batched] [--no-f64]

Writes to DIR: tv_v1.pth, tv_v2.pth (state_dict), the test images (PNG),
tv_{v}_detections.json, tv_{v}_detections_f64.json and tv_{v}_head_outputs.json.
See tools/reference/README.md.

Random weights give degenerate outputs (all scores ~0.01), so the weights are calibrated
on the test images at the model's own --min-size/--max-size (a random network is not
scale-invariant, so the weights depend on them): affine BN/GN parameters and conv biases
are randomized (so a loader that drops them fails parity), BN running stats are set from
the data (train mode, momentum=None), head convs get Kaiming scale, v1's FPN levels are
balanced, and the last class / box convs are rescaled so scores spread over (0.05, ~0.9)
and box deltas are ~0.1-0.5.
"""

import argparse
import copy
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repo for the local modules below

import torch
from PIL import Image
from torch import nn
from torchvision.transforms.functional import to_tensor

from synthetic_images import make_image
from tv_models import build_retinanet, freeze_batchnorm

# (file name, width, height): VGA, landscape, portrait, and a wide one limited by --max-size.
TEST_IMAGES = [
    ("img_640x480.png", 640, 480),
    ("img_500x375.png", 500, 375),
    ("img_375x500.png", 375, 500),
    ("img_700x250.png", 700, 250),  # wide: --max-size binds, float scale lands off-integer
]
# Small enough to dump every intermediate tensor; run with min/max size = its own size
# (no resize) and padded to 64x96. Cut from the first test image at the model's scale, so
# its content looks like what the weights were calibrated on.
TINY_IMAGE = ("tiny_90x60.png", 90, 60)


def tiny_crop(image, min_size: int, max_size: int):
    scale = min(min_size / min(image.size), max_size / max(image.size))
    w, h = round(image.width * scale), round(image.height * scale)
    big = image.resize((w, h), Image.BILINEAR)
    _, tw, th = TINY_IMAGE
    left, top = (w - tw) // 2, (h - th) // 2
    return big.crop((left, top, left + tw, top + th))
SCORE_THRESH = 0.05
TARGET_PASS_PER_IMAGE = 300  # (anchor, class) pairs above 0.05 per test image, before NMS
TARGET_TOP_SCORE = 0.85  # mean per-image maximum score at calibration
TARGET_DELTA_STD = 0.25
HEAD_OUTPUTS_MAX_BYTES = 50 * 1024 * 1024


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def randomize_affine_and_biases(model: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial BN/GN affine parameters and conv biases, and Kaiming-scale head convs."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                m.weight.copy_(0.7 + 0.6 * torch.rand(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
            elif isinstance(m, nn.Conv2d):
                if name.startswith("head.") and m.out_channels == m.in_channels:
                    fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * math.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    m.bias.copy_(0.05 * (2 * torch.rand(m.bias.shape, generator=gen) - 1))


def calibrate_batchnorm(model, calib_tensors, version: str) -> dict:
    """Sets BN running stats from the data; v1 BNs become FrozenBatchNorm2d with eps 0."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration passes
    model.backbone.train()
    with torch.no_grad():
        for x in calib_tensors:
            model.backbone(x)
    model.eval()
    floored = 0
    with torch.no_grad():
        for m in bns:
            floor = 1e-3 * float(m.running_var.median())
            floored += int((m.running_var < floor).sum())
            m.running_var.clamp_(min=floor)  # eps 0 must never divide by ~0
            m.momentum = 0.1
    if version == "v1":
        freeze_batchnorm(model, eps=0.0)
    return {"batchnorms": len(bns), "running_var_floored": floored}


def raw_head_outputs(model, calib_tensors):
    """Bias-free outputs of the last class conv, per level and image, and of the last box conv
    for the first image (enough for a std), in eval mode."""
    cls_head, reg_head = model.head.classification_head, model.head.regression_head
    cls_bias = cls_head.cls_logits.bias.view(1, -1, 1, 1)
    reg_bias = reg_head.bbox_reg.bias.view(1, -1, 1, 1)
    logits, deltas = [[] for _ in range(5)], []
    with torch.no_grad():
        for i, x in enumerate(calib_tensors):
            for level, f in enumerate(model.backbone(x).values()):
                logits[level].append(cls_head.cls_logits(cls_head.conv(f)) - cls_bias)
                if i == 0:
                    deltas.append(reg_head.bbox_reg(reg_head.conv(f)) - reg_bias)
    return logits, deltas


def balance_levels(model, logits, deltas) -> list:
    """v1: scales P4..P7 so each level's class-logit tail matches P3's; returns the factors.

    With random weights P3 (most positions, sharpest features) holds nearly every detection.
    v1's head (convs + ReLU, small biases) is nearly scale-equivariant, so scaling P_l by a
    scales its head outputs by ~a; logits and deltas are updated with that approximation.
    v2's GroupNorm head undoes such scaling, so v2 keeps its natural P3/P4-heavy spread.
    """
    per_image = sum(z[0].numel() for z in logits)
    fraction = TARGET_PASS_PER_IMAGE / per_image  # the tail detections come from
    tails = []
    for per_level in logits:
        z = torch.cat([t.flatten() for t in per_level])
        tails.append(float(torch.topk(z, max(1, round(z.numel() * fraction))).values[-1]))
    alphas = [tails[0] / t for t in tails]
    fpn = model.backbone.fpn
    # P3..P5 are separate outputs; v1 computes P6 from P5 and P7 from relu(P6), so those
    # convs need only the ratio to the level they are computed from.
    convs = [fpn.layer_blocks[0][0], fpn.layer_blocks[1][0], fpn.layer_blocks[2][0],
             fpn.extra_blocks.p6, fpn.extra_blocks.p7]
    relative = alphas[:3] + [alphas[3] / alphas[2], alphas[4] / alphas[3]]
    with torch.no_grad():
        for conv, r in zip(convs, relative):
            conv.weight.mul_(r)
            conv.bias.mul_(r)
    for level, a in enumerate(alphas):
        logits[level] = [t * a for t in logits[level]]
        deltas[level] = deltas[level] * a
    return alphas


def calibrate_head(model, logits, deltas, gen: torch.Generator) -> dict:
    """Last class conv: scores over (0.05, ~0.85); last box conv: deltas with std 0.25."""
    cls_conv = model.head.classification_head.cls_logits
    reg_conv = model.head.regression_head.bbox_reg
    num_classes = model.head.classification_head.num_classes
    num_anchors = model.head.classification_head.num_anchors
    num_images = len(logits[0])
    with torch.no_grad():
        # Per-class offsets so some classes fire more than others; anchor-major layout a*K + k.
        class_offset = 0.5 * torch.randn(num_classes, generator=gen)
        bias = class_offset.repeat(num_anchors) + 0.05 * torch.randn(cls_conv.bias.shape, generator=gen)
        kth, tops = [], []
        for i in range(num_images):
            z = torch.cat([(per_level[i] + bias.view(1, -1, 1, 1)).flatten() for per_level in logits])
            kth.append(float(torch.topk(z, TARGET_PASS_PER_IMAGE).values[-1]))
            tops.append(float(z.max()))
        z_k, z_top = sum(kth) / num_images, sum(tops) / num_images
        # Affine map z -> s*z + b sending z_k to logit(0.05) and z_top to logit(TARGET_TOP_SCORE).
        s = (logit(TARGET_TOP_SCORE) - logit(SCORE_THRESH)) / (z_top - z_k)
        b = logit(SCORE_THRESH) - s * z_k
        cls_conv.weight.mul_(s)
        cls_conv.bias.copy_(bias * s + b)

        r = TARGET_DELTA_STD / float(torch.cat([d.flatten() for d in deltas]).std())
        reg_conv.weight.mul_(r)
        reg_conv.bias.copy_(0.1 * (2 * torch.rand(reg_conv.bias.shape, generator=gen) - 1))
    return {"cls_scale": s, "cls_shift": b, "reg_scale": r}


def prepare_model(version: str, depth: int, min_size: int, max_size: int, seed: int, calib_images) -> tuple:
    torch.manual_seed(seed)
    model = build_retinanet(version, depth, min_size, max_size)
    gen = torch.Generator().manual_seed(seed + 1)
    randomize_affine_and_biases(model, gen)
    with torch.no_grad():
        calib_tensors = [model.transform([to_tensor(im)])[0].tensors for im in calib_images]
    t0 = time.time()
    info = calibrate_batchnorm(model, calib_tensors, version)
    t1 = time.time()
    logits, deltas = raw_head_outputs(model, calib_tensors)
    if version == "v1":
        info["level_balance"] = balance_levels(model, logits, deltas)
    info.update(calibrate_head(model, logits, deltas, gen))
    print(f"  {version} calibration: batchnorm {t1 - t0:.1f} s, head {time.time() - t1:.1f} s")
    model.eval()
    return model, info


class CandidateCounter:
    """Wraps model.postprocess_detections to count (anchor, class) scores above the threshold per level."""

    def __init__(self, model):
        self.counts = []
        self._orig = model.postprocess_detections
        model.postprocess_detections = self

    def __call__(self, head_outputs, anchors, image_shapes):
        self.counts = [
            [int((torch.sigmoid(lvl[i]) > SCORE_THRESH).sum()) for lvl in head_outputs["cls_logits"]]
            for i in range(len(image_shapes))
        ]
        return self._orig(head_outputs, anchors, image_shapes)


def detection_entry(det, counts, width, height, transformed, padded) -> dict:
    return {
        "width": width,
        "height": height,
        "transformed_size": list(transformed),
        "padded_size": list(padded),
        "candidates_above_thresh_per_level": counts,
        "boxes": det["boxes"].tolist(),
        "scores": det["scores"].tolist(),
        "labels": det["labels"].tolist(),
    }


def run_images(model, counter, names, images, dtype=torch.float32) -> dict:
    """Each image alone: model([image]); torchvision's transform resizes, normalizes and pads."""
    out = {}
    for name, im in zip(names, images):
        t = to_tensor(im).to(dtype)
        with torch.inference_mode():
            image_list, _ = model.transform([t])
            det = model([t])[0]
        out[name] = detection_entry(
            det, counter.counts[0], im.width, im.height, image_list.image_sizes[0], image_list.tensors.shape[-2:]
        )
    return out


def run_batched(model, counter, names, images, dtype=torch.float32) -> dict:
    """All images in one call, padded to a common size (padding changes border outputs)."""
    tensors = [to_tensor(im).to(dtype) for im in images]
    with torch.inference_mode():
        image_list, _ = model.transform(tensors)
        dets = model(tensors)
    padded = list(image_list.tensors.shape[-2:])
    return {
        "padded_batch_size": padded,
        "images": {
            name: detection_entry(det, counter.counts[i], im.width, im.height, image_list.image_sizes[i], padded)
            for i, (name, im, det) in enumerate(zip(names, images, dets))
        },
    }


def tensor_entry(name: str, t: torch.Tensor) -> dict:
    return {"name": name, "shape": list(t.shape), "data": t.flatten().tolist()}


def head_outputs(model, counter, name: str, im, settings: dict) -> dict:
    """Every intermediate tensor for one tiny image, run without resizing (min/max size = its own)."""
    saved_min, saved_max = model.transform.min_size, model.transform.max_size
    model.transform.min_size, model.transform.max_size = (min(im.size),), max(im.size)
    captured = {"cls": [], "reg": []}
    hooks = [
        model.head.classification_head.cls_logits.register_forward_hook(lambda m, i, o: captured["cls"].append(o)),
        model.head.regression_head.bbox_reg.register_forward_hook(lambda m, i, o: captured["reg"].append(o)),
    ]
    try:
        t = to_tensor(im)
        with torch.inference_mode():
            image_list, _ = model.transform([t])
            x = image_list.tensors
            body = model.backbone.body(x)
            fpn = model.backbone(x)
            captured["cls"].clear()
            captured["reg"].clear()
            det = model([t])[0]
    finally:
        for h in hooks:
            h.remove()
        model.transform.min_size, model.transform.max_size = saved_min, saved_max
    level_names = ["P3", "P4", "P5", "P6", "P7"]
    return {
        "settings": {**settings, "min_size": min(im.size), "max_size": max(im.size)},
        "image": name,
        "layout": "NCHW, C-order flat; class channels a*K + k (K = 91), box channels a*4 + (dx, dy, dw, dh)",
        "input": tensor_entry("input", x),
        "body": [tensor_entry(n, v) for n, v in zip(["C3", "C4", "C5"], body.values())],
        "fpn": [tensor_entry(n, v) for n, v in zip(level_names, fpn.values())],
        "cls_logits": [tensor_entry(n, v) for n, v in zip(level_names, captured["cls"])],
        "bbox_regression": [tensor_entry(n, v) for n, v in zip(level_names, captured["reg"])],
        "detections": detection_entry(
            det, counter.counts[0], im.width, im.height, image_list.image_sizes[0], x.shape[-2:]
        ),
    }


def histogram(scores) -> str:
    edges = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    counts = [sum(1 for s in scores if lo <= s < hi) for lo, hi in zip(edges[:-1], edges[1:])]
    return " ".join(f"[{lo:.2f},{hi:.2f}):{c}" for lo, hi, c in zip(edges[:-1], edges[1:], counts))


def write_json(path: str, obj) -> int:
    text = json.dumps(obj, separators=(",", ":"))
    with open(path, "w") as f:
        f.write(text)
        f.write("\n")
    return len(text) + 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--min-size", type=int, default=800)
    p.add_argument("--max-size", type=int, default=1333)
    p.add_argument("--depth", type=int, default=50, choices=[50, 101])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--versions", default="v1,v2", help="comma-separated subset of v1,v2")
    p.add_argument("--no-batched", action="store_true", help="skip the all-images-in-one-batch run")
    p.add_argument("--no-f64", action="store_true", help="skip the float64 runs (tv_{v}_detections_f64.json; slow)")
    a = p.parse_args(argv)
    versions = [v for v in a.versions.split(",") if v]
    for v in versions:
        if v not in ("v1", "v2"):
            p.error(f"--versions: unknown version {v!r}, expected v1 and/or v2")
    if a.min_size <= 0 or a.max_size < a.min_size:
        p.error(f"--min-size/--max-size: need 0 < min ({a.min_size}) <= max ({a.max_size})")

    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    start = time.time()

    names = [n for n, _, _ in TEST_IMAGES]
    images = [make_image(w, h, a.seed + 100 + i) for i, (_, w, h) in enumerate(TEST_IMAGES)]
    tiny = tiny_crop(images[0], a.min_size, a.max_size)
    for n, im in zip(names + [TINY_IMAGE[0]], images + [tiny]):
        im.save(os.path.join(a.out, n))
        print(f"wrote {os.path.join(a.out, n)} ({im.width}x{im.height})")

    for version in versions:
        t0 = time.time()
        model, calib = prepare_model(version, a.depth, a.min_size, a.max_size, a.seed, images)
        pth = os.path.join(a.out, f"tv_{version}.pth")
        torch.save(model.state_dict(), pth)
        print(f"wrote {pth} ({os.path.getsize(pth)} bytes; calibration {json.dumps(calib)})")
        # The same float32 weights run by torchvision in float64: the exact result that any float32
        # implementation (torchvision's own included) approximates; parity tests compare against it.
        model64 = None if a.no_f64 else copy.deepcopy(model).double()

        counter = CandidateCounter(model)
        settings = {
            "model": f"retinanet_resnet{a.depth}_fpn" + ("_v2" if version == "v2" else ""),
            "version": version,
            "depth": a.depth,
            "seed": a.seed,
            "min_size": a.min_size,
            "max_size": a.max_size,
            "score_thresh": model.score_thresh,
            "nms_thresh": model.nms_thresh,
            "detections_per_img": model.detections_per_img,
            "topk_candidates": model.topk_candidates,
            "batchnorm": "FrozenBatchNorm2d eps=0" if version == "v1" else "BatchNorm2d eps=1e-5",
            "calibration": calib,
            "torch": torch.__version__,
            "torchvision": __import__("torchvision").__version__,
        }
        result = {"settings": settings, "images": run_images(model, counter, names, images)}
        if not a.no_batched:
            result["batched"] = run_batched(model, counter, names, images)
        path = os.path.join(a.out, f"tv_{version}_detections.json")
        size = write_json(path, result)
        print(f"wrote {path} ({size} bytes)")
        if not a.no_f64:
            t64 = time.time()
            counter64 = CandidateCounter(model64)
            result64 = {"settings": {**settings, "dtype": "float64"}, "images": run_images(model64, counter64, names, images, torch.float64)}
            if not a.no_batched:
                result64["batched"] = run_batched(model64, counter64, names, images, torch.float64)
            path = os.path.join(a.out, f"tv_{version}_detections_f64.json")
            size = write_json(path, result64)
            print(f"wrote {path} ({size} bytes; float64 runs {time.time() - t64:.1f} s)")
        for n in names:
            e = result["images"][n]
            print(
                f"  {version} {n}: {len(e['scores'])} detections, "
                f"{sum(e['candidates_above_thresh_per_level'])} candidates > {SCORE_THRESH} "
                f"{e['candidates_above_thresh_per_level']}, resized {e['transformed_size']} padded {e['padded_size']}"
            )
            print(f"    scores {histogram(e['scores'])}")

        ho = head_outputs(model, counter, TINY_IMAGE[0], tiny, settings)
        path = os.path.join(a.out, f"tv_{version}_head_outputs.json")
        text_len = len(json.dumps(ho, separators=(",", ":")))
        if text_len > HEAD_OUTPUTS_MAX_BYTES:
            print(f"skipped {path}: {text_len} bytes > {HEAD_OUTPUTS_MAX_BYTES}")
        else:
            size = write_json(path, ho)
            print(f"wrote {path} ({size} bytes; tiny image: {len(ho['detections']['scores'])} detections)")
        print(f"  {version} done in {time.time() - t0:.1f} s")
    print(f"total {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
