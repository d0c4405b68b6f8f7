#!/usr/bin/env python3
"""Throughput of a random-weight torchvision RetinaNet on CPU, as one JSON line.

Usage:
  /usr/bin/python3 tools/reference/bench_tv.py --depth 50|101 --min-size N --max-size N
      --batch B --iters K --threads T [--version v1|v2] [--seed 0]

The synthetic batch is already at the target size: images are h = min-size by
w = max-size and the model's transform gets the same bounds, so it does not resize
(scale factor 1) and only normalizes and pads to a multiple of 32, the same work our
engine does. Random weights: scores stay near 0.01, so post-processing sees few or no
candidates above 0.05; the time is the network's. Timing covers
model(images) end to end (transform, backbone, head, post-processing) under
torch.inference_mode(), after one warm-up iteration.
Output: {"engine":"torchvision","depth":..,"input":[h,w],"batch":..,"iters":..,
"images_per_s":..,"ms_per_batch":..,"threads":..,"version":..,"torch":..,"torchvision":..}
"""

import argparse
import json
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repo for the local modules below

import torch
import torchvision

from tv_models import build_retinanet


def positive(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected a positive integer, got {text!r}")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{name}: expected a positive integer, got {value}")
        return value
    return parse


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depth", type=int, choices=[50, 101], default=50)
    p.add_argument("--version", choices=["v1", "v2"], default="v1")
    p.add_argument("--min-size", type=positive("--min-size"), default=800)
    p.add_argument("--max-size", type=positive("--max-size"), default=1333)
    p.add_argument("--batch", type=positive("--batch"), default=1)
    p.add_argument("--iters", type=positive("--iters"), default=3)
    p.add_argument("--threads", type=positive("--threads"), default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.max_size < a.min_size:
        p.error(f"--max-size: must be >= --min-size ({a.min_size}), got {a.max_size}")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = build_retinanet(a.version, a.depth, a.min_size, a.max_size).eval()
    h, w = a.min_size, a.max_size
    images = [torch.rand(3, h, w) for _ in range(a.batch)]
    with torch.inference_mode():
        image_list, _ = model.transform(images)
        if list(image_list.image_sizes[0]) != [h, w]:
            print(f"bench_tv: transform resized {h}x{w} to {list(image_list.image_sizes[0])}", file=sys.stderr)
            return 1
        model(images)  # warm-up
        start = time.perf_counter()
        for _ in range(a.iters):
            model(images)
        elapsed = time.perf_counter() - start
    print(json.dumps({
        "engine": "torchvision",
        "depth": a.depth,
        "version": a.version,
        "input": [h, w],
        "padded": list(image_list.tensors.shape[-2:]),
        "batch": a.batch,
        "iters": a.iters,
        "images_per_s": a.batch * a.iters / elapsed,
        "ms_per_batch": 1000.0 * elapsed / a.iters,
        "threads": a.threads,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
