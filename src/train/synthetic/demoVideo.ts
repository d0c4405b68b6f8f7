// Renders the demo video frame by frame (trajectories.ts), pipes raw RGB into ffmpeg (H.264 with
// libx264 when available, else MPEG-4 part 2; MP4, yuv420p) and writes the ground truth as COCO JSON:
// image id = frame number n (0-based, the n-th decoded frame), file_name `frame_000123`, the same
// categories as the still dataset, `track_id` per object. Objects less than `minVisible` visible
// (occlusion or the frame border) are annotated iscrowd=1, which COCO evaluation ignores.
// Afterwards the video is decoded again and its frame count checked against the ground truth.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { CocoAnnotation, CocoFile, CocoImage } from '../data/cocoFormat.ts';
import { objectTruths, round2 } from './annotate.ts';
import { cocoCategories } from './classes.ts';
import { FfmpegError, decodeRgbFrames, hasEncoder, resolveFfmpeg } from './ffmpeg.ts';
import { renderScene } from './raster.ts';
import { planDemo } from './trajectories.ts';
import { RetinaStreamError } from '../../errors.ts';

export interface DemoVideoOptions {
  outFile: string;
  gtFile: string;
  seconds: number;
  fps: number;
  width: number;
  height: number;
  seed: number;
  /** Visibility below which an object is annotated iscrowd=1 (default 0.3). */
  minVisible?: number;
  /** libx264 CRF (default 26) or mpeg4 -q:v (default 5). */
  quality?: number;
  /** Path of the ffmpeg binary (default: resolveFfmpeg()). */
  ffmpeg?: string;
}

export interface DemoVideoResult {
  outFile: string;
  gtFile: string;
  frames: number;
  bytes: number;
  codec: 'libx264' | 'mpeg4';
  annotations: number;
}

export class DemoVideoError extends RetinaStreamError<'RS_ERR_DEMO_VIDEO'> {
  constructor(message: string) {
    super('RS_ERR_DEMO_VIDEO', message);
  }
}

function checkOptions(o: DemoVideoOptions): void {
  const bad = (name: string, why: string): never => {
    throw new DemoVideoError(`${name}: ${why}`);
  };
  if (!(o.fps > 0 && o.fps <= 120)) bad('fps', `${o.fps} is not in (0, 120]`);
  if (!(o.seconds > 0 && o.seconds <= 600)) bad('seconds', `${o.seconds} is not in (0, 600]`);
  for (const [k, v] of [['width', o.width], ['height', o.height]] as const) {
    // yuv420p needs even sizes.
    if (!Number.isInteger(v) || v < 32 || v > 4096 || v % 2 !== 0) bad(k, `${v} is not an even integer in [32, 4096]`);
  }
  if (Math.round(o.seconds * o.fps) < 1) bad('seconds', `${o.seconds} s at ${o.fps} fps is less than one frame`);
}

export async function generateDemoVideo(opts: DemoVideoOptions): Promise<DemoVideoResult> {
  checkOptions(opts);
  const ffmpeg = opts.ffmpeg ?? resolveFfmpeg();
  const codec = hasEncoder(ffmpeg, 'libx264') ? 'libx264' : 'mpeg4';
  const plan = planDemo(opts);
  const { width: w, height: h } = opts;
  await mkdir(dirname(opts.outFile), { recursive: true });
  await mkdir(dirname(opts.gtFile), { recursive: true });

  const quality = String(opts.quality ?? (codec === 'libx264' ? 26 : 5));
  const codecArgs = codec === 'libx264' ? ['-c:v', 'libx264', '-preset', 'medium', '-crf', quality] : ['-c:v', 'mpeg4', '-q:v', quality];
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-framerate', String(opts.fps), '-i', 'pipe:0',
    ...codecArgs, '-pix_fmt', 'yuv420p', '-g', String(Math.max(1, Math.round(opts.fps * 2))),
    '-movflags', '+faststart', '-map_metadata', '-1', '-fflags', '+bitexact', opts.outFile,
  ];
  const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  let pipeError: Error | null = null;
  child.stdin.on('error', (e) => (pipeError = e)); // e.g. EPIPE when ffmpeg exits early; reported below
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new FfmpegError(`ffmpeg: cannot run ${ffmpeg}: ${e.message}`)));
    child.on('close', resolve);
  });

  const minVisible = opts.minVisible ?? 0.3;
  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  try {
    for (let n = 0; n < plan.frames; n++) {
      const scene = plan.sceneAt(n);
      const { rgb, ids } = renderScene(scene);
      images.push({ id: n, file_name: `frame_${String(n).padStart(6, '0')}`, width: w, height: h });
      for (const t of objectTruths(scene, ids)) {
        const [x1, y1, x2, y2] = t.box;
        if (t.visiblePixels === 0 || x2 - x1 < 1 || y2 - y1 < 1) continue;
        const clear = t.visibleFraction >= minVisible && x2 - x1 >= 2 && y2 - y1 >= 2;
        annotations.push({
          id: annotations.length + 1,
          image_id: n,
          category_id: t.categoryId,
          bbox: [round2(x1), round2(y1), round2(x2 - x1), round2(y2 - y1)],
          area: t.visiblePixels,
          iscrowd: clear ? 0 : 1,
          visible_fraction: Math.round(t.visibleFraction * 1000) / 1000,
          track_id: scene.objects[t.index].trackId,
        });
      }
      if (pipeError) throw pipeError;
      // Backpressure: wait until ffmpeg has taken the buffered frames (once() rejects on 'error').
      if (!child.stdin.write(rgb)) await once(child.stdin, 'drain');
    }
  } catch (e) {
    child.kill();
    await exited.catch(() => null);
    throw new FfmpegError(`ffmpeg: writing frames to ${opts.outFile} failed: ${(e as Error).message}; ${stderr.trim()}`);
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new FfmpegError(`ffmpeg: encoding ${opts.outFile} failed (exit ${code}): ${stderr.trim().split('\n').pop()}`);

  const decoded = await decodeRgbFrames(ffmpeg, opts.outFile, w, h);
  if (decoded !== plan.frames) {
    throw new DemoVideoError(`${opts.outFile}: decodes to ${decoded} frames but ${plan.frames} were rendered (not frame-exact)`);
  }
  const gt: CocoFile = {
    info: {
      description: 'retinastream synthetic demo video ground truth',
      video: basename(opts.outFile),
      fps: opts.fps,
      frames: plan.frames,
      seed: opts.seed,
      box_convention: 'full object extent (amodal), clipped to the frame; area = visible pixels; iscrowd=1 when visible_fraction < ' + minVisible,
    },
    images,
    annotations,
    categories: cocoCategories(),
  };
  await writeFile(opts.gtFile, JSON.stringify(gt) + '\n');
  const { size } = await stat(opts.outFile);
  return { outFile: opts.outFile, gtFile: opts.gtFile, frames: plan.frames, bytes: size, codec, annotations: annotations.length };
}
