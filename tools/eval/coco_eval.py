#!/usr/bin/env python3
"""Reference COCO bbox evaluation with pycocotools, for retinastream's parity tests and benchmark.

usage: coco_eval.py DATASET.json RESULTS.json [--no-cats] [--max-dets 1,10,100] [--iou-thrs .5,.75]

Prints one JSON object: {"stats": [12 numbers], "summary": "<the 12 printed lines>", "seconds": wall,
"cpu_seconds": cpu} where the times cover loadRes + evaluate + accumulate + summarize (not loading
the dataset).
"""
import argparse
import contextlib
import io
import json
import sys
import time

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def evaluate(gt, results, use_cats=True, max_dets=None, iou_thrs=None):
    """Returns (stats list, summary text, wall seconds, cpu seconds) for a COCO gt object and results."""
    quiet = io.StringIO()
    t0 = time.perf_counter()
    c0 = time.process_time()
    with contextlib.redirect_stdout(quiet):
        dt = gt.loadRes(results) if results else None
        ev = COCOeval(gt, dt if dt is not None else COCO(), 'bbox')
        ev.params.useCats = 1 if use_cats else 0
        if max_dets is not None:
            ev.params.maxDets = list(max_dets)
        if iou_thrs is not None:
            ev.params.iouThrs = np.array(iou_thrs, dtype=np.float64)
        ev.evaluate()
        ev.accumulate()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ev.summarize()
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    return [float(x) for x in ev.stats], out.getvalue().rstrip('\n'), seconds, cpu_seconds, per_category_ap(ev)


def per_category_ap(ev):
    """detectron2's per-category AP (COCOEvaluator._derive_coco_results): the mean of precision[:, :, k, 0, -1]
    (IoU .50:.95, every recall threshold, area 'all', the largest maxDets) over its entries > -1; None (NaN
    there) for a category without ground truth. Only with useCats (a category axis)."""
    precision = ev.eval['precision']
    out = []
    for k in range(precision.shape[2]):
        p = precision[:, :, k, 0, -1]
        p = p[p > -1]
        out.append(float(np.mean(p)) if p.size else None)
    return out


def load_gt(path):
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dataset')
    ap.add_argument('results')
    ap.add_argument('--no-cats', action='store_true')
    ap.add_argument('--max-dets')
    ap.add_argument('--iou-thrs')
    a = ap.parse_args()
    gt = load_gt(a.dataset)
    with open(a.results) as f:
        results = json.load(f)
    max_dets = [int(x) for x in a.max_dets.split(',')] if a.max_dets else None
    iou_thrs = [float(x) for x in a.iou_thrs.split(',')] if a.iou_thrs else None
    stats, summary, seconds, cpu_seconds, _ = evaluate(gt, results, not a.no_cats, max_dets, iou_thrs)
    json.dump({'stats': stats, 'summary': summary, 'seconds': seconds, 'cpu_seconds': cpu_seconds}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
