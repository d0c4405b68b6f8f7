// Anchor generation, in the two conventions whose trained weights we load.
// torchvision (anchor_utils.AnchorGenerator): integer sizes (x, int(x*2^(1/3)), int(x*2^(2/3))),
//   ratio-major order, base boxes computed in float32 and rounded half-to-even,
//   stride = padded image size // feature size (not always 2^l).
// detectron2 (DefaultAnchorGenerator): float sizes, size-major order, w = sqrt(area/ar), h = ar*w,
//   no rounding, fixed strides 8..128.
// Both: offset 0, anchors laid out (y, x, anchor) to match the head's output order.

import type { AnchorConfig } from './config.ts';

const f32 = Math.fround;

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Cell anchors [A, 4] (x1, y1, x2, y2) centred on 0 for pyramid level `level` (0 = P3). */
export function cellAnchors(cfg: AnchorConfig, level: number): Float32Array {
  const base = cfg.sizes[level];
  const A = cfg.scales.length * cfg.aspectRatios.length;
  const out = new Float32Array(A * 4);
  if (cfg.convention === 'torchvision') {
    // scales in float32, as torch.as_tensor(sizes) of Python ints
    const sizes = cfg.scales.map((s) => f32(Math.trunc(base * s)));
    let i = 0;
    for (const ar of cfg.aspectRatios) {
      const hRatio = f32(Math.sqrt(f32(ar)));
      const wRatio = f32(1 / hRatio);
      for (const s of sizes) {
        const ws = f32(wRatio * s);
        const hs = f32(hRatio * s);
        out[i++] = roundHalfEven(f32(-ws / 2));
        out[i++] = roundHalfEven(f32(-hs / 2));
        out[i++] = roundHalfEven(f32(ws / 2));
        out[i++] = roundHalfEven(f32(hs / 2));
      }
    }
  } else {
    let i = 0;
    for (const s of cfg.scales) {
      const size = base * s;
      const area = size * size;
      for (const ar of cfg.aspectRatios) {
        const w = Math.sqrt(area / ar);
        const h = ar * w;
        out[i++] = -w / 2;
        out[i++] = -h / 2;
        out[i++] = w / 2;
        out[i++] = h / 2;
      }
    }
  }
  return out;
}

/** Stride of each level: torchvision derives it from the padded image and feature sizes. */
export function levelStrides(cfg: AnchorConfig, imageSize: [number, number], featureSizes: [number, number][]): [number, number][] {
  return featureSizes.map(([fh, fw], l) =>
    cfg.convention === 'torchvision'
      ? [Math.floor(imageSize[0] / fh), Math.floor(imageSize[1] / fw)]
      : [2 ** (l + 3), 2 ** (l + 3)],
  );
}

/**
 * All anchors for one padded image size, concatenated over levels: [sum(H*W*A), 4],
 * laid out (level, y, x, anchor) like the head outputs.
 */
export function generateAnchors(cfg: AnchorConfig, imageSize: [number, number], featureSizes: [number, number][]): Float32Array {
  const strides = levelStrides(cfg, imageSize, featureSizes);
  const A = cfg.scales.length * cfg.aspectRatios.length;
  const total = featureSizes.reduce((n, [h, w]) => n + h * w * A, 0);
  const out = new Float32Array(total * 4);
  let o = 0;
  featureSizes.forEach(([fh, fw], l) => {
    const cell = cellAnchors(cfg, l);
    const [sy, sx] = strides[l];
    for (let y = 0; y < fh; y++) {
      for (let x = 0; x < fw; x++) {
        const cx = x * sx;
        const cy = y * sy;
        for (let a = 0; a < A; a++) {
          out[o++] = f32(cx + cell[a * 4]);
          out[o++] = f32(cy + cell[a * 4 + 1]);
          out[o++] = f32(cx + cell[a * 4 + 2]);
          out[o++] = f32(cy + cell[a * 4 + 3]);
        }
      }
    }
  });
  return out;
}
