// Locating the ffmpeg binary and the few version-dependent options the ingest uses.

import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { IngestError } from './errors.ts';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ffmpeg to run: the first `ffmpeg` on PATH, else the binary shipped by @ffmpeg-installer/ffmpeg
 * (made executable if npm skipped its postinstall). Throws RS_ERR_FFMPEG_NOT_FOUND otherwise.
 */
export function findFfmpeg(): string {
  const names = process.platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  let bundled: string | undefined;
  try {
    const require = createRequire(import.meta.url);
    bundled = (require('@ffmpeg-installer/ffmpeg') as { path?: string }).path;
  } catch {
    bundled = undefined;
  }
  if (bundled) {
    if (!isExecutableFile(bundled)) {
      try {
        chmodSync(bundled, 0o755);
      } catch {
        // fall through to the error below
      }
    }
    if (isExecutableFile(bundled)) return bundled;
  }
  throw new IngestError(
    'RS_ERR_FFMPEG_NOT_FOUND',
    'ffmpeg: not found on PATH nor in @ffmpeg-installer/ffmpeg; install it (apt-get install ffmpeg) or set ffmpegPath',
  );
}

export interface FfmpegFeatures {
  /** `-fps_mode` (ffmpeg >= 5.1); older builds take `-vsync`. */
  fpsMode: boolean;
  /** showinfo's `checksum` option (switched off: the checksums cost time on large frames). */
  showinfoChecksumOption: boolean;
  /** The RTSP socket timeout: `-timeout` since ffmpeg 5, `-stimeout` before (where `-timeout` means listen). */
  rtspTimeoutOption: '-timeout' | '-stimeout';
}

const featureCache = new Map<string, FfmpegFeatures>();

/**
 * Features read from ffmpeg's own help (`-h long`, `-h filter=showinfo`, `-h demuxer=rtsp`) rather
 * than guessed from the version: static and git builds ("N-47683-g0e8eb07980") carry no number.
 */
export function featuresFromHelp(longHelp: string, showinfoHelp: string, rtspHelp: string): FfmpegFeatures {
  return {
    fpsMode: /^-fps_mode\s/m.test(longHelp),
    showinfoChecksumOption: /^\s*checksum\s/m.test(showinfoHelp),
    rtspTimeoutOption: /^\s*-stimeout\s/m.test(rtspHelp) ? '-stimeout' : '-timeout',
  };
}

/** Features of the ffmpeg at `path` (asks it once per path, a few hundred ms). */
export function ffmpegFeatures(path: string): FfmpegFeatures {
  let f = featureCache.get(path);
  if (!f) {
    const help = (topic: string[]) => {
      const res = spawnSync(path, ['-hide_banner', '-h', ...topic], { encoding: 'utf8', timeout: 10000, maxBuffer: 16 << 20 });
      return `${res.stdout ?? ''}${res.stderr ?? ''}`;
    };
    f = featuresFromHelp(help(['long']), help(['filter=showinfo']), help(['demuxer=rtsp']));
    featureCache.set(path, f);
  }
  return f;
}
