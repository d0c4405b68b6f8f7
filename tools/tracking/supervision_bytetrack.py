#!/usr/bin/env python3
"""The reference tracker: supervision's ByteTrack (pip supervision, 0.26; later releases moved trackers out),
fed detections frame by frame. Used by `retinastream bench tracking`.

stdin: {"params": {track_activation_threshold, lost_track_buffer, minimum_matching_threshold, frame_rate,
        minimum_consecutive_frames}, "frames": [[[x1, y1, x2, y2, score, classId], ...], ...]}  (one list per frame, in order)
stdout: one JSON line {"supervision": version, "rows": [[frame, trackId, x1, y1, x2, y2], ...], "usPerFrame": mean update time}
"""
import json
import sys
import time
import warnings
from importlib.metadata import version

import numpy as np

warnings.filterwarnings("ignore")
import supervision as sv  # noqa: E402


def main():
    req = json.load(sys.stdin)
    tracker = sv.ByteTrack(**req["params"])
    rows = []
    spent = 0.0
    for f, dets in enumerate(req["frames"]):
        a = np.array(dets, dtype=float).reshape(-1, 6)
        d = sv.Detections(xyxy=a[:, :4].astype(np.float32), confidence=a[:, 4].astype(np.float32), class_id=a[:, 5].astype(int))
        t = time.perf_counter()
        out = tracker.update_with_detections(d)
        spent += time.perf_counter() - t
        for box, tid in zip(out.xyxy, out.tracker_id):
            rows.append([f, int(tid), *[float(v) for v in box]])
    frames = max(1, len(req["frames"]))
    print(json.dumps({"supervision": version("supervision"), "rows": rows, "usPerFrame": spent / frames * 1e6}))


if __name__ == "__main__":
    main()
