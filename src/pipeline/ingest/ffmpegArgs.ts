// The ffmpeg command line for one input: decode the first video stream, scale it to fit the
// canvas (aspect kept), pad top-left with the pad colour, write raw RGB24 frames to stdout and
// describe every frame on stderr with showinfo (placed before the scale: it reports the source size).

import type { FfmpegFeatures } from './findFfmpeg.ts';
import { scaleExpressions } from './fitCanvas.ts';

export type UrlKind = 'file' | 'rtsp' | 'http' | 'device' | 'network';

/** The URL schemes an input may have (README: files, RTSP, HTTP/HLS, RTMP, UDP/TCP/SRT, devices). */
export const INPUT_SCHEMES = ['rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'udp', 'tcp', 'srt', 'file'] as const;

/**
 * The ffmpeg protocols each kind of input may use, passed as `-protocol_whitelist`: ffmpeg itself then
 * refuses protocol prefixes (`cache:`, `concat:`, `subfile:`, `data:`...) and nested URLs (an HLS
 * playlist naming a `file:` segment) that would otherwise reach other files or hosts.
 */
export const PROTOCOL_WHITELIST: Record<UrlKind, string> = {
  file: 'file',
  device: 'file',
  rtsp: 'rtsp,rtsps,rtp,srtp,udp,tcp,tls',
  http: 'http,https,tcp,tls,crypto,httpproxy',
  network: 'rtmp,rtmps,rtmpt,rtmpts,rtp,udp,tcp,tls,srt',
};

/**
 * Why `url` is not an input we hand to ffmpeg, or null if it is one: a scheme outside INPUT_SCHEMES,
 * including ffmpeg protocol prefixes without "//" (`cache:gopher://...`, `concat:a|b`, `subfile:,,start,...`).
 * A Windows drive letter (`C:\v.mp4`) is a path.
 */
export function unsupportedScheme(url: string): string | null {
  if (/^[a-z]:[\\/]/i.test(url)) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || (INPUT_SCHEMES as readonly string[]).includes(scheme)) return null;
  return `"${scheme}:" is not a supported input scheme (expected ${INPUT_SCHEMES.join(', ')}, or a file path; write ./${url} for a file whose name has a colon)`;
}

/** What kind of input a URL names; decides the input options and whether it is live by default. */
export function classifyUrl(url: string): UrlKind {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'rtsp' || scheme === 'rtsps') return 'rtsp';
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'file' || scheme === undefined || /^[a-z]:[\\/]/i.test(url)) {
    return /^\/dev\/video\d+$/.test(url) ? 'device' : 'file';
  }
  return 'network';
}

export interface FfmpegInput {
  url: string;
  kind: UrlKind;
  live: boolean;
  /** Read at the native frame rate (`-re`): a file standing in for a live camera. */
  realtime: boolean;
  rtspTransport: 'tcp' | 'udp';
  connectTimeoutMs: number;
  canvasWidth: number;
  canvasHeight: number;
  padColor: [number, number, number];
  /** Decoder threads (`-threads`, an input option); 0: ffmpeg's automatic choice. */
  decodeThreads: number;
  /** Extra options placed before `-i` (hardware decoding, protocol options...). */
  inputArgs: string[];
}

function hexColor([r, g, b]: [number, number, number]): string {
  return `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

export function buildFilterChain(input: FfmpegInput, features: FfmpegFeatures): string {
  const { w, h } = scaleExpressions(input.canvasWidth, input.canvasHeight);
  const showinfo = features.showinfoChecksumOption ? 'showinfo=checksum=0' : 'showinfo';
  return [
    showinfo,
    `scale=w=${w}:h=${h}:flags=bilinear`,
    'format=rgb24',
    `pad=${input.canvasWidth}:${input.canvasHeight}:0:0:color=${hexColor(input.padColor)}`,
  ].join(',');
}

export function buildFfmpegArgs(input: FfmpegInput, features: FfmpegFeatures): string[] {
  const us = String(Math.round(input.connectTimeoutMs * 1000));
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-protocol_whitelist', PROTOCOL_WHITELIST[input.kind]];
  switch (input.kind) {
    case 'rtsp':
      args.push('-rtsp_transport', input.rtspTransport, features.rtspTimeoutOption, us);
      break;
    case 'http':
      args.push('-rw_timeout', us);
      break;
    case 'device':
      if (process.platform === 'linux') args.push('-f', 'v4l2');
      break;
    default:
      break;
  }
  if (input.realtime) args.push('-re');
  args.push('-threads', String(input.decodeThreads));
  args.push(...input.inputArgs);
  args.push('-i', input.url);
  args.push('-map', '0:v:0', '-an', '-sn', '-dn');
  args.push('-vf', buildFilterChain(input, features));
  args.push(...(features.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return args;
}
