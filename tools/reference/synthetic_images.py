"""Seeded synthetic test images: gradient background, filled shapes, outlines, noise.

Structured enough that a random-weight detector gives spatially varied outputs;
deterministic for a given (width, height, seed).
"""

import numpy as np
from PIL import Image, ImageDraw


def make_image(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.RandomState(seed)
    # Linear gradient between two random colours along a random direction.
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    t = (xs * np.cos(angle) + ys * np.sin(angle))
    t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    base = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")

    draw = ImageDraw.Draw(img)
    scale = min(width, height)
    for _ in range(int(rng.randint(8, 16))):
        kind = rng.randint(0, 4)
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        w, h = rng.uniform(0.05, 0.45) * scale, rng.uniform(0.05, 0.45) * scale
        box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
        color = tuple(int(c) for c in rng.randint(0, 256, 3))
        if kind == 0:
            draw.rectangle(box, fill=color)
        elif kind == 1:
            draw.ellipse(box, fill=color, outline=(0, 0, 0), width=2)
        elif kind == 2:
            pts = [(cx + rng.uniform(-w, w), cy + rng.uniform(-h, h)) for _ in range(int(rng.randint(3, 7)))]
            draw.polygon(pts, fill=color)
        else:
            draw.rectangle(box, outline=color, width=int(rng.randint(1, 6)))
    for _ in range(int(rng.randint(2, 6))):
        pts = [(rng.uniform(0, width), rng.uniform(0, height)) for _ in range(2)]
        draw.line(pts, fill=tuple(int(c) for c in rng.randint(0, 256, 3)), width=int(rng.randint(1, 5)))

    arr = np.asarray(img).astype(np.float64)
    arr += rng.normal(0, 6.0, arr.shape)  # sensor-like noise
    # A checkerboard patch for high-frequency texture.
    px, py = rng.randint(0, max(width - 40, 1)), rng.randint(0, max(height - 40, 1))
    cb = ((np.indices((40, 40)).sum(axis=0) // 5) % 2) * 255.0
    region = arr[py:py + 40, px:px + 40]
    region[...] = cb[: region.shape[0], : region.shape[1], None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
