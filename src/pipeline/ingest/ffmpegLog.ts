// Parsing ffmpeg's stderr (run with `-loglevel level+info`): lines, their level, showinfo's
// per-frame lines and the few header facts the source reports (fps, duration).

export type LogLevel = 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug' | 'trace';

export interface LogLine {
  /** null when the line carries no "[level]" tag. */
  level: LogLevel | null;
  /** The "[name @ 0x...]" context, e.g. "Parsed_showinfo_0", or null. */
  context: string | null;
  text: string;
}

const LEVELS = new Set<string>(['panic', 'fatal', 'error', 'warning', 'info', 'verbose', 'debug', 'trace']);
const LINE_RE = /^(?:\[([^\]@]+?)(?: @ [^\]]*)?\] )?(?:\[([a-z]+)\] )?(.*)$/;

export function parseLogLine(line: string): LogLine {
  const m = LINE_RE.exec(line);
  if (!m) return { level: null, context: null, text: line };
  let context: string | null = m[1] ?? null;
  let level: string | null = m[2] ?? null;
  // "[error] text" alone: the first bracket is the level, not a context.
  if (level === null && context !== null && LEVELS.has(context)) {
    level = context;
    context = null;
  }
  return { level: level !== null && LEVELS.has(level) ? (level as LogLevel) : null, context, text: m[3] ?? '' };
}

export interface ShowinfoFrame {
  /** Frame index within this ffmpeg run. */
  n: number;
  /** Presentation time in seconds, or null for NOPTS. */
  ptsTime: number | null;
  /** Size of the decoded frame (before scaling). */
  width: number;
  height: number;
}

const SHOWINFO_RE = /\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:(\S+)\s.*?\bs:(\d+)x(\d+)/;

/** The frame described by a showinfo line, or null for every other line (config, color_range...). */
export function parseShowinfo(line: LogLine): ShowinfoFrame | null {
  if (line.context === null || !line.context.startsWith('Parsed_showinfo')) return null;
  const m = SHOWINFO_RE.exec(line.text);
  if (!m) return null;
  const ptsTime = m[2] === 'NOPTS' || m[3] === 'NOPTS' ? null : Number(m[3]);
  return {
    n: Number(m[1]),
    ptsTime: ptsTime !== null && Number.isFinite(ptsTime) ? ptsTime : null,
    width: Number(m[4]),
    height: Number(m[5]),
  };
}

/** Facts from the "Input #0" header: duration (files) and the video stream's frame rate. */
export interface InputHeader {
  durationSec?: number;
  fps?: number;
}

const DURATION_RE = /^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/;
const VIDEO_STREAM_RE = /^\s*Stream #\d+:\d+.*?: Video: /;
const FPS_RE = /, (\d+(?:\.\d+)?k?) fps\b/;

/** Reads header lines into `into`; returns true if the line was one of them. */
export function parseInputHeaderLine(text: string, into: InputHeader): boolean {
  const d = DURATION_RE.exec(text);
  if (d) {
    into.durationSec = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
    return true;
  }
  if (VIDEO_STREAM_RE.test(text) && into.fps === undefined) {
    const f = FPS_RE.exec(text);
    if (f) {
      const v = f[1]!.endsWith('k') ? Number(f[1]!.slice(0, -1)) * 1000 : Number(f[1]);
      if (Number.isFinite(v) && v > 0) into.fps = v;
    }
    return true;
  }
  return false;
}

/** Splits a byte stream into lines on \n or \r (progress lines end with \r), without the terminator. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        if (i > start) this.onLine(text.slice(start, i));
        start = i + 1;
      }
    }
    this.rest = text.slice(start);
    // A runaway line without terminator must not grow forever.
    if (this.rest.length > 65536) this.rest = this.rest.slice(-65536);
  }

  end(): void {
    if (this.rest.length > 0) this.onLine(this.rest);
    this.rest = '';
  }
}

/** Hides the password of "scheme://user:password@host" URLs in text meant for logs and events. */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/[^/\s:@]+):[^@\s/]*@/g, '$1:***@');
}
