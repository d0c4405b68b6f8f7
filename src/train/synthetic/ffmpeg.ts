// Finds an ffmpeg binary and talks to it with argument arrays (no shell): which encoders it has, and
// decoding a video back to raw RGB frames (used to check that a written video is frame-exact).

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { RetinaStreamError } from '../../errors.ts';

export class FfmpegError extends RetinaStreamError<'RS_ERR_FFMPEG'> {
  constructor(message: string) {
    super('RS_ERR_FFMPEG', message);
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** ffmpeg from PATH, else the binary shipped by @ffmpeg-installer/ffmpeg (made executable if needed). */
export function resolveFfmpeg(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'ffmpeg'))) return join(dir, 'ffmpeg');
  }
  let path: string;
  try {
    path = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    throw new FfmpegError('ffmpeg: not on PATH and @ffmpeg-installer/ffmpeg has no binary for this platform; install ffmpeg');
  }
  if (!isExecutable(path)) chmodSync(path, 0o755);
  return path;
}

const encoderCache = new Map<string, string>();

export function hasEncoder(ffmpeg: string, name: string): boolean {
  if (!encoderCache.has(ffmpeg)) {
    const r = spawnSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    encoderCache.set(ffmpeg, r.stdout ?? '');
  }
  return new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(encoderCache.get(ffmpeg)!);
}

/**
 * Decodes every frame of `file` to RGB at width x height and calls onFrame(frameIndex, rgb) in order
 * (rgb is reused between calls: copy it to keep it). Resolves with the number of frames.
 */
export function decodeRgbFrames(
  ffmpeg: string,
  file: string,
  width: number,
  height: number,
  onFrame?: (index: number, rgb: Uint8Array) => void,
): Promise<number> {
  const frameBytes = width * height * 3;
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const frame = new Uint8Array(frameBytes);
    let filled = 0;
    let count = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          onFrame?.(count, frame);
          count++;
          filled = 0;
        }
      }
    });
    child.on('error', (e) => reject(new FfmpegError(`ffmpeg: cannot run ${ffmpeg}: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) reject(new FfmpegError(`ffmpeg: decoding ${file} failed (exit ${code}): ${stderr.trim().split('\n').pop()}`));
      else if (filled !== 0) reject(new FfmpegError(`ffmpeg: ${file} decoded to a partial frame (${filled} of ${frameBytes} bytes)`));
      else resolve(count);
    });
  });
}
