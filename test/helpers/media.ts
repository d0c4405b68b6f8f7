// Test media generated with ffmpeg's lavfi sources: known size, frame rate and frame count.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFfmpeg } from '../../src/pipeline/ingest/findFfmpeg.ts';

export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  frames: number;
  /**
   * testsrc2: moving pattern, H.264 in MP4.
   * halves: left half pure red (255,0,0), right half pure blue (0,0,255), stored losslessly as
   * RGB (FFV1 in Matroska) so pixel values can be checked exactly after scaling.
   */
  pattern?: 'testsrc2' | 'halves';
}

/** Runs ffmpeg with `args`; rejects with its last stderr lines on a non-zero exit. */
export function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(findFfmpeg(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

/** Writes a video of exactly `spec.frames` frames to `dir` and returns its path. */
export async function makeVideo(dir: string, name: string, spec: VideoSpec): Promise<string> {
  const { width: w, height: h, fps, frames } = spec;
  if (spec.pattern === 'halves') {
    const path = join(dir, `${name}.mkv`);
    const half = Math.floor(w / 2);
    const graph =
      `color=c=0xff0000:s=${half}x${h}:r=${fps}[l];color=c=0x0000ff:s=${w - half}x${h}:r=${fps}[r];` +
      `[l][r]hstack=inputs=2,format=bgr0[out0]`;
    await runFfmpeg(['-f', 'lavfi', '-i', graph, '-frames:v', String(frames), '-c:v', 'ffv1', '-pix_fmt', 'bgr0', path]);
    return path;
  }
  const path = join(dir, `${name}.mp4`);
  await runFfmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}`,
    '-frames:v', String(frames),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps),
    path,
  ]);
  return path;
}

/** A temporary folder removed by the returned cleanup function. */
export function tempDir(prefix = 'rs-ingest-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
