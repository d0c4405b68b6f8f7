#!/usr/bin/env python3
"""torchvision's own bfloat16 run of a parity fixture: how far bfloat16 moves torchvision's float32 detections.

Usage:
  /usr/bin/python3 tools/reference/tv_bf16.py DIR VERSION

DIR is a make_tv_models.py output (tv_VERSION.pth, tv_VERSION_detections.json, the test images). The same
weights' backbone and head run under torch.autocast("cpu", torch.bfloat16) (convolutions in bfloat16, as
oneDNN's bf16 path in PyTorch; the outputs cast back to float32 for torchvision's float32 post-processing,
whose NMS has no bfloat16 kernel, as ours) on each test image alone; writes DIR/tv_VERSION_detections_bf16.json with the layout of
tv_VERSION_detections.json. The bf16 parity test compares our bf16 engine's distance to torchvision's float32
detections with this one's.
"""

import json
import os
import sys

sys.dont_write_bytecode = True

import torch
from PIL import Image
from torchvision.transforms.functional import to_tensor

from tv_models import build_retinanet, freeze_batchnorm


def main() -> int:
    out, version = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    ref = json.load(open(os.path.join(out, f"tv_{version}_detections.json")))
    s = ref["settings"]
    model = build_retinanet(version, s["depth"], s["min_size"], s["max_size"])
    if version == "v1":
        freeze_batchnorm(model, 0.0)
    model.load_state_dict(torch.load(os.path.join(out, f"tv_{version}.pth")))
    model.eval()
    backbone, head = model.backbone.forward, model.head.forward

    def in_bf16(f):
        def run(x):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return {k: (v.float() if torch.is_tensor(v) else v) for k, v in f(x).items()}
        return run

    def in_fp32(f):  # GroupNorm (v2's head) has no bfloat16 CPU kernel here: statistics in float32, as ours
        def run(x):
            with torch.autocast("cpu", enabled=False):
                return f(x.float())
        return run

    for m in model.modules():
        if isinstance(m, torch.nn.GroupNorm):
            m.forward = in_fp32(m.forward)
    model.backbone.forward = in_bf16(backbone)
    model.head.forward = in_bf16(head)
    images = {}
    for name, e in ref["images"].items():
        t = to_tensor(Image.open(os.path.join(out, name)).convert("RGB"))
        with torch.inference_mode():
            det = model([t])[0]
        images[name] = {
            "width": e["width"],
            "height": e["height"],
            "boxes": det["boxes"].float().tolist(),
            "scores": det["scores"].float().tolist(),
            "labels": det["labels"].tolist(),
        }
    path = os.path.join(out, f"tv_{version}_detections_bf16.json")
    with open(path, "w") as f:
        json.dump({"settings": {**s, "dtype": "bfloat16 (torch.autocast)"}, "images": images}, f)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
