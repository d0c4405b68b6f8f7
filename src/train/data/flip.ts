// Horizontal flip of an RGB image and of its boxes. A pixel at column x moves to column w - 1 - x,
// so a box edge at coordinate x (pixel edges are integers) moves to w - x: [x1, x2] -> [w - x2, w - x1].

export function flipImageHorizontal(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + x * 3;
      const d = row + (width - 1 - x) * 3;
      out[d] = rgb[s];
      out[d + 1] = rgb[s + 1];
      out[d + 2] = rgb[s + 2];
    }
  }
  return out;
}

export function flipBoxesHorizontal(boxes: number[][], width: number): number[][] {
  return boxes.map(([x1, y1, x2, y2]) => [width - x2, y1, width - x1, y2]);
}
