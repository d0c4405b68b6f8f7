// Decodes an image file to RGB bytes at a given size with sharp (bilinear, like torchvision's
// interpolate; alpha dropped, grey expanded to RGB; EXIF orientation ignored, as PIL does in COCO loaders).

import sharp, { type Metadata } from 'sharp';
import { CocoDatasetError } from './coco.ts';

export async function decodeResizedRgb(path: string, expected: { width: number; height: number }, width: number, height: number): Promise<Uint8Array> {
  let meta: Metadata;
  try {
    meta = await sharp(path).metadata();
  } catch (e) {
    throw new CocoDatasetError('RS_ERR_COCO_IMAGE_MISSING', `${path}: cannot decode image (${(e as Error).message})`);
  }
  if (meta.width !== expected.width || meta.height !== expected.height) {
    throw new CocoDatasetError('RS_ERR_COCO_IMAGE_SIZE', `${path}: image is ${meta.width}x${meta.height} but the annotations say ${expected.width}x${expected.height}`);
  }
  let img = sharp(path).removeAlpha().toColourspace('srgb');
  if (width !== meta.width || height !== meta.height) img = img.resize(width, height, { fit: 'fill', kernel: 'linear' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new CocoDatasetError('RS_ERR_COCO_IMAGE_SIZE', `${path}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
