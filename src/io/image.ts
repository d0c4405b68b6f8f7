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

/** Write `src` with labelled boxes drawn on it to `out` (format from the extension). */
export async function drawDetections(src: string, out: string, boxes: DrawBox[], width: number, height: number): Promise<void> {
  const shapes = boxes.map((d, i) => {
    const [x1, y1, x2, y2] = d.box;
    const color = PALETTE[[...d.label].reduce((h, c) => h + c.charCodeAt(0), i * 0) % PALETTE.length];
    const text = `${escapeXml(d.label)} ${d.score.toFixed(2)}`;
    const ty = Math.max(12, y1 - 3);
    return (
      `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${color}" stroke-width="2"/>` +
      `<rect x="${x1}" y="${ty - 12}" width="${text.length * 7 + 4}" height="14" fill="${color}"/>` +
      `<text x="${x1 + 2}" y="${ty - 1}" font-family="sans-serif" font-size="12" fill="#000">${text}</text>`
    );
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  try {
    await sharp(src).rotate().composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).toFile(out);
  } catch (e) {
    throw new ImageError(`${out}: cannot write annotated image (${String((e as Error).message).split('\n')[0]})`);
  }
}
