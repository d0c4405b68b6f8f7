#!/usr/bin/env python3
"""Scores tracker outputs against ground truth with TrackEval (pip trackeval: HOTA, CLEAR MOTA, Identity IDF1),
the implementation behind the MOTChallenge and KITTI leaderboards. Used by `retinastream bench tracking`.

stdin: {"frames": N, "gt": [[frame, id, x1, y1, x2, y2], ...], "runs": {"name": [[frame, id, x1, y1, x2, y2], ...], ...}}
stdout: one JSON line {"trackeval": version, "runs": {"name": {"HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDSW", "IDTP", "IDFN",
        "IDFP", "gtIds", "ids"}}}
Frames are 0..N-1; ids any integers. Similarity is box IoU, as MOTChallenge 2D box tracking.
"""
import json
import sys
from importlib.metadata import version

import numpy as np
from trackeval.metrics import CLEAR, HOTA, Identity


def iou(a, b):
    """IoU matrix of boxes a (n x 4) and b (m x 4), x1 y1 x2 y2."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0)


def by_frame(rows, frames):
    """Rows per frame with ids renumbered 0..K-1 (TrackEval wants contiguous ids)."""
    ids = {}
    out = [([], []) for _ in range(frames)]
    for f, i, x1, y1, x2, y2 in rows:
        k = ids.setdefault(i, len(ids))
        out[int(f)][0].append(k)
        out[int(f)][1].append([x1, y1, x2, y2])
    return [(np.array(i, dtype=int), np.array(b, dtype=float).reshape(-1, 4)) for i, b in out], len(ids)


def score(gt_rows, rows, frames):
    gt, n_gt = by_frame(gt_rows, frames)
    tr, n_tr = by_frame(rows, frames)
    data = {
        "num_timesteps": frames,
        "num_gt_ids": n_gt,
        "num_tracker_ids": n_tr,
        "num_gt_dets": sum(len(i) for i, _ in gt),
        "num_tracker_dets": sum(len(i) for i, _ in tr),
        "gt_ids": [i for i, _ in gt],
        "tracker_ids": [i for i, _ in tr],
        "similarity_scores": [iou(g[1], t[1]) for g, t in zip(gt, tr)],
    }
    quiet = {"PRINT_CONFIG": False}
    hota = HOTA(quiet).eval_sequence(data)
    clear = CLEAR(quiet).eval_sequence(data)
    ident = Identity(quiet).eval_sequence(data)
    return {
        "HOTA": float(np.mean(hota["HOTA"])),
        "DetA": float(np.mean(hota["DetA"])),
        "AssA": float(np.mean(hota["AssA"])),
        "MOTA": float(clear["MOTA"]),
        "IDF1": float(ident["IDF1"]),
        "IDSW": int(clear["IDSW"]),
        "IDTP": int(ident["IDTP"]),
        "IDFN": int(ident["IDFN"]),
        "IDFP": int(ident["IDFP"]),
        "gtIds": n_gt,
        "ids": n_tr,
    }


def main():
    req = json.load(sys.stdin)
    runs = {name: score(req["gt"], rows, req["frames"]) for name, rows in req["runs"].items()}
    print(json.dumps({"trackeval": version("trackeval"), "runs": runs}))


if __name__ == "__main__":
    main()
