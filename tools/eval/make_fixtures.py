#!/usr/bin/env python3
"""Generates seeded COCO datasets + detection results and records what pycocotools says about them.

usage:
  make_fixtures.py                       # rewrite the committed fixtures in test/fixtures/coco/
  make_fixtures.py --out DIR --seed N    # one fresh 'mixed' case in DIR (used by the live test)
  make_fixtures.py --bench DIR [--images 5000 --classes 80 --dets 100]   # large files, no eval

Each case NAME writes NAME.dataset.json, NAME.results.json and NAME.expected.json; the latter is
{"cases": [{"options": {...}, "stats": [12 numbers], "summary": "<12 lines>", "perCategoryAP": [...]}]} with one entry per
evaluation setting (options use the names of retinastream's EvalOptions).

The generated data covers what COCOeval treats specially: crowd regions (with detections inside),
images without ground truth and without detections, images with detections only, categories with
no ground truth, more than 100 detections in one image, objects in all three area ranges (and on
their borders, and with 'area' smaller than the box as for segments), tied scores, duplicate
detections and non-contiguous category ids.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coco_eval import evaluate, load_gt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'coco')


def r4(x):
    """Boxes as JSON floats with 2 decimals (as detectors usually write them), sometimes integers."""
    return float(round(float(x), 2))


def make_mixed(seed, n_images=60, n_cats=12, first_ann_id=1):
    rng = np.random.default_rng(seed)
    # Non-contiguous category ids; the last two get no ground truth (the very last no detections either).
    cat_ids = sorted(rng.choice(np.arange(1, 91), size=n_cats, replace=False).tolist())
    no_gt_cats = set(cat_ids[-2:])
    no_dt_cats = {cat_ids[-1]}
    gt_cats = [c for c in cat_ids if c not in no_gt_cats]
    categories = [{'id': c, 'name': f'class{c}', 'supercategory': 'thing'} for c in cat_ids]
    images, anns, results = [], [], []
    ann_id = first_ann_id
    # Image roles: a few empty ones, a few with detections only, one crowded with >100 dets.
    roles = ['normal'] * n_images
    roles[1] = 'empty'
    roles[2] = 'empty'
    roles[3] = 'dets_only'
    roles[4] = 'dets_only'
    roles[5] = 'crowded'
    roles[6] = 'many_classes'
    image_ids = sorted(rng.choice(np.arange(1, 100000), size=n_images, replace=False).tolist())
    rng.shuffle(image_ids)  # file order differs from id order
    for idx, (img_id, role) in enumerate(zip(image_ids, roles)):
        W = int(rng.integers(200, 641))
        H = int(rng.integers(200, 481))
        images.append({'id': img_id, 'width': W, 'height': H, 'file_name': f'{img_id:012d}.jpg'})
        gts = []
        if role in ('normal', 'crowded', 'many_classes'):
            n_gt = int(rng.integers(0, 9)) if role == 'normal' else 12
            if idx == 0:
                n_gt = max(n_gt, 3)
            for _ in range(n_gt):
                kind = rng.choice(['small', 'medium', 'large', 'border'], p=[0.35, 0.35, 0.2, 0.1])
                if kind == 'small':
                    side = rng.uniform(4, 32, size=2)
                elif kind == 'medium':
                    side = rng.uniform(32, 96, size=2)
                elif kind == 'large':
                    side = rng.uniform(96, 200, size=2)
                else:
                    side = np.array([32.0, 32.0]) if rng.random() < 0.5 else np.array([96.0, 96.0])
                w = min(float(side[0]), W - 1.0)
                h = min(float(side[1]), H - 1.0)
                x = float(rng.uniform(0, W - w))
                y = float(rng.uniform(0, H - h))
                if rng.random() < 0.3:  # integer boxes, as in some converted datasets
                    x, y, w, h = float(int(x)), float(int(y)), float(max(1, int(w))), float(max(1, int(h)))
                else:
                    x, y, w, h = r4(x), r4(y), r4(w), r4(h)
                    w = min(w, W - x)
                    h = min(h, H - y)
                if kind == 'border':
                    area = w * h  # exactly on the small/medium or medium/large border
                else:
                    area = round(w * h * float(rng.uniform(0.55, 1.0)), 2)  # segment area < box area
                crowd = 1 if rng.random() < 0.07 and ann_id != first_ann_id else 0
                if crowd:
                    # crowd regions are big
                    w = r4(min(W - x, w * 2.5 + 40))
                    h = r4(min(H - y, h * 2.5 + 40))
                    area = round(w * h * 0.7, 2)
                cat = int(rng.choice(gt_cats)) if role != 'many_classes' else gt_cats[len(gts) % len(gt_cats)]
                gts.append({'id': ann_id, 'image_id': img_id, 'category_id': cat, 'bbox': [x, y, w, h],
                            'area': area, 'iscrowd': crowd})
                ann_id += 1
        anns.extend(gts)
        if role == 'empty':
            continue
        dets = []

        def det(cat, box, score):
            x, y, w, h = box
            x = min(max(x, 0.0), W - 1.0)
            y = min(max(y, 0.0), H - 1.0)
            w = max(0.5, min(w, W - x))
            h = max(0.5, min(h, H - y))
            dets.append({'image_id': img_id, 'category_id': int(cat), 'bbox': [r4(x), r4(y), r4(w), r4(h)],
                         'score': score})

        for g in gts:
            x, y, w, h = g['bbox']
            n_hits = int(rng.choice([0, 1, 1, 2, 3])) if not g['iscrowd'] else int(rng.integers(2, 6))
            if g['id'] == first_ann_id:
                n_hits = 2  # the first annotation (id 0 in 'ids-from-zero') must be matched
            for _ in range(n_hits):
                jit = rng.normal(0, 0.12, size=4)
                box = [x + jit[0] * w, y + jit[1] * h, w * (1 + jit[2]), h * (1 + jit[3])]
                if g['iscrowd']:  # detections inside the crowd region
                    cw, ch = w * rng.uniform(0.1, 0.4), h * rng.uniform(0.1, 0.4)
                    box = [x + rng.uniform(0, w - cw), y + rng.uniform(0, h - ch), cw, ch]
                cat = g['category_id'] if rng.random() < 0.85 else int(rng.choice(cat_ids[:-1]))
                score = round(float(rng.uniform(0.05, 1.0)), 2)  # 2 decimals: many ties
                det(cat, box, score)
                if rng.random() < 0.1:  # an exact duplicate (same box, same score)
                    dets.append(dict(dets[-1], bbox=list(dets[-1]['bbox'])))
        if role == 'normal' and rng.random() < 0.3:
            # An exact IoU tie: det1 overlaps gt1 and gt2 equally (pycocotools matches the later one),
            # det2 (lower score) sits almost on gt2 and is only a true positive if det1 took gt1.
            cat = int(rng.choice(gt_cats))
            w = int(rng.integers(20, 41))
            sft = w // 4
            x0 = int(rng.integers(0, W - w - 2 * sft - 2))
            y0 = int(rng.integers(0, H - w))
            for gx in (x0, x0 + 2 * sft):
                anns.append({'id': ann_id, 'image_id': img_id, 'category_id': cat, 'bbox': [float(gx), float(y0), float(w), float(w)],
                             'area': float(w * w), 'iscrowd': 0})
                ann_id += 1
            score = round(float(rng.uniform(0.5, 1.0)), 2)
            det(cat, [float(x0 + sft), float(y0), float(w), float(w)], score)
            det(cat, [float(x0 + 2 * sft + 1), float(y0), float(w), float(w)], round(score - 0.2, 2))
        n_fp = {'normal': int(rng.integers(0, 6)), 'dets_only': 8, 'crowded': 140, 'many_classes': 20}[role]
        for _ in range(n_fp):
            w = float(rng.uniform(5, min(200, W - 1)))
            h = float(rng.uniform(5, min(200, H - 1)))
            box = [float(rng.uniform(0, W - w)), float(rng.uniform(0, H - h)), w, h]
            if role == 'crowded':
                cat = gts[0]['category_id'] if rng.random() < 0.8 else int(rng.choice(cat_ids[:-1]))
            else:
                cat = int(rng.choice([c for c in cat_ids if c not in no_dt_cats]))
            det(cat, box, round(float(rng.uniform(0.01, 0.9)), 2))
        results.extend(dets)
    order = rng.permutation(len(results))  # results file order is not score order
    results = [results[i] for i in order]
    dataset = {'info': {'description': f'retinastream eval fixture, seed {seed}'}, 'images': images,
               'annotations': anns, 'categories': categories}
    return dataset, results


SETTINGS = [
    {},
    {'useCats': False},
    {'maxDets': [1, 5, 20], 'iouThrs': [0.5, 0.6, 0.75, 0.9]},
]


def write_case(out_dir, name, dataset, results, settings):
    os.makedirs(out_dir, exist_ok=True)
    ds_path = os.path.join(out_dir, f'{name}.dataset.json')
    res_path = os.path.join(out_dir, f'{name}.results.json')
    with open(ds_path, 'w') as f:
        json.dump(dataset, f, separators=(',', ':'))
    with open(res_path, 'w') as f:
        json.dump(results, f, separators=(',', ':'))
    gt = load_gt(ds_path)
    cases = []
    for opts in settings:
        with open(res_path) as f:
            res = json.load(f)  # loadRes modifies the list; start fresh every time
        stats, summary, _, _, per_cat = evaluate(gt, res, opts.get('useCats', True), opts.get('maxDets'), opts.get('iouThrs'))
        case = {'options': opts, 'stats': stats, 'summary': summary}
        if opts.get('useCats', True):
            case['perCategoryAP'] = per_cat
        cases.append(case)
    with open(os.path.join(out_dir, f'{name}.expected.json'), 'w') as f:
        json.dump({'generator': f'tools/eval/make_fixtures.py ({name})', 'cases': cases}, f, indent=1)
    return cases


def make_bench(out_dir, n_images, n_classes, n_dets, seed=7):
    """A COCO-val-sized problem: n_images, n_classes, ~7 gts and exactly n_dets detections per image."""
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    images, anns, results = [], [], []
    ann_id = 1
    for img_id in range(1, n_images + 1):
        W, H = 640, 480
        images.append({'id': img_id, 'width': W, 'height': H})
        n_gt = int(rng.poisson(7))
        wh = np.exp(rng.uniform(np.log(6), np.log(300), size=(n_gt, 2)))
        xy = rng.uniform(0, 1, size=(n_gt, 2)) * (np.array([W, H]) - wh)
        cats = rng.integers(1, n_classes + 1, size=n_gt)
        crowd = rng.random(n_gt) < 0.01
        for j in range(n_gt):
            x, y, w, h = (round(float(v), 2) for v in (*xy[j], *wh[j]))
            anns.append({'id': ann_id, 'image_id': img_id, 'category_id': int(cats[j]), 'bbox': [x, y, w, h],
                         'area': round(w * h * 0.8, 2), 'iscrowd': int(crowd[j])})
            ann_id += 1
        # detections: noisy copies of gts, the rest random boxes of random classes
        k = 0
        for j in range(n_gt):
            for _ in range(3):
                if k >= n_dets:
                    break
                jit = rng.normal(0, 0.1, size=4)
                x, y = xy[j] + jit[:2] * wh[j]
                w, h = wh[j] * (1 + jit[2:])
                c = int(cats[j]) if rng.random() < 0.9 else int(rng.integers(1, n_classes + 1))
                results.append({'image_id': img_id, 'category_id': c, 'bbox': [round(float(v), 2) for v in (x, y, w, h)],
                                'score': round(float(rng.uniform(0.3, 1)), 3)})
                k += 1
        m = n_dets - k
        wh2 = np.exp(rng.uniform(np.log(6), np.log(300), size=(m, 2)))
        xy2 = rng.uniform(0, 1, size=(m, 2)) * (np.array([W, H]) - wh2)
        sc = rng.uniform(0.05, 0.6, size=m)
        cs = rng.integers(1, n_classes + 1, size=m)
        for j in range(m):
            results.append({'image_id': img_id, 'category_id': int(cs[j]),
                            'bbox': [round(float(v), 2) for v in (*xy2[j], *wh2[j])], 'score': round(float(sc[j]), 3)})
    dataset = {'images': images, 'annotations': anns,
               'categories': [{'id': c, 'name': f'class{c}'} for c in range(1, n_classes + 1)]}
    with open(os.path.join(out_dir, 'bench.dataset.json'), 'w') as f:
        json.dump(dataset, f, separators=(',', ':'))
    with open(os.path.join(out_dir, 'bench.results.json'), 'w') as f:
        json.dump(results, f, separators=(',', ':'))
    print(f'{out_dir}: {n_images} images, {len(anns)} gts, {len(results)} detections')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', help='write one fresh case here instead of the committed fixtures')
    ap.add_argument('--seed', type=int, default=101)
    ap.add_argument('--name', default='live')
    ap.add_argument('--bench', help='write a large benchmark dataset + results here')
    ap.add_argument('--images', type=int, default=5000)
    ap.add_argument('--classes', type=int, default=80)
    ap.add_argument('--dets', type=int, default=100)
    a = ap.parse_args()
    if a.bench:
        make_bench(a.bench, a.images, a.classes, a.dets)
        return
    if a.out:
        ds, res = make_mixed(a.seed, n_images=40, n_cats=10)
        write_case(a.out, a.name, ds, res, SETTINGS)
        return
    ds, res = make_mixed(1)
    write_case(FIXTURES, 'mixed', ds, res, SETTINGS)
    # Annotation ids from 0: pycocotools reads a match to gt id 0 as "unmatched" (kept on purpose).
    ds, res = make_mixed(2, n_images=30, n_cats=5, first_ann_id=0)
    write_case(FIXTURES, 'ids-from-zero', ds, res, SETTINGS[:2])
    for name in os.listdir(FIXTURES):
        print(f'{name}: {os.path.getsize(os.path.join(FIXTURES, name))} bytes')


if __name__ == '__main__':
    main()
