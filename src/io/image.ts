// Image files in and out, via sharp: decoding to RGB bytes, and drawing labelled boxes.
import { access } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from '../model/preprocess.ts';
import { RetinaStreamError } from '../errors.ts';

export class ImageError extends RetinaStreamError<'RS_ERR_IMAGE'> {
  constructor(message: string) {
    super('RS_ERR_IMAGE', message);
  }
}

/** Decode an image file (JPEG, PNG, WebP, TIFF, GIF, AVIF...) to interleaved RGB bytes. */
export async function readRgbImage(path: string): Promise<RgbImage> {
  await access(path).catch(() => {
    throw new ImageError(`${path}: image file not found`);
  });
  try {
    const { data, info } = await sharp(path).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new ImageError(`${path}: cannot decode image (${String((e as Error).message).split('\n')[0]})`);
  }
}

export interface DrawBox {
  box: [number, number, number, number];
  label: string;
  score: number;
}

const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe'];
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** One colour per label (the same label is the same colour in every picture). */
export function labelColor(label: string): string {
  return PALETTE[[...label].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % PALETTE.length];
}

/** Black or white, whichever reads better on `hex` (relative luminance). */
function textColor(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 ? '#000' : '#fff';
}

/**
 * SVG of labelled boxes. Painted in rising score order, so the highest score is on top where boxes overlap;
 * the label sits above the box (inside it at the top edge of the image), sized to the image, on the class
 * colour with black or white text.
 */
export function detectionsSvg(boxes: DrawBox[], width: number, height: number): string {
  const font = Math.max(11, Math.round(Math.min(width, height) / 40));
  const stroke = Math.max(2, Math.round(font / 6));
  const ordered = [...boxes].sort((a, b) => a.score - b.score);
  const shapes = ordered.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    const color = labelColor(d.label);
    const text = `${escapeXml(d.label)} ${d.score.toFixed(2)}`;
    const tw = Math.ceil(text.length * font * 0.62) + 6;
    const th = font + 6;
    const lx = Math.min(Math.max(0, x1), Math.max(0, width - tw));
    const ly = y1 - th >= 0 ? y1 - th : Math.max(0, y1);
    return (
      `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${color}" stroke-width="${stroke}"/>` +
      `<rect x="${lx}" y="${ly}" width="${tw}" height="${th}" fill="${color}"/>` +
      `<text x="${lx + 3}" y="${ly + font + 1}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${font}" fill="${textColor(color)}">${text}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
}

/** Write `src` with labelled boxes drawn on it to `out` (format from the extension); highest score on top. */
export async function drawDetections(src: string, out: string, boxes: DrawBox[], width: number, height: number): Promise<void> {
  const svg = detectionsSvg(boxes, width, height);
  try {
    await sharp(src).rotate().composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).toFile(out);
  } catch (e) {
    throw new ImageError(`${out}: cannot write annotated image (${String((e as Error).message).split('\n')[0]})`);
  }
}
