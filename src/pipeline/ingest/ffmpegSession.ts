// One run of one ffmpeg process: spawn it (argument array, no shell), cut stdout into frames,
// pair each frame with its showinfo line from stderr (by order: one line per frame), remember
// the last error line, and report the exit once the process and both pipes are closed.

import { spawn, type ChildProcess } from 'node:child_process';
import { FrameSplitter } from './frameSplitter.ts';
import {
  LineSplitter,
  parseInputHeaderLine,
  parseLogLine,
  parseShowinfo,
  type InputHeader,
  type ShowinfoFrame,
} from './ffmpegLog.ts';

export interface DecodedFrame {
  data: Buffer;
  /** From showinfo; null only if ffmpeg wrote a frame it never described (should not happen). */
  info: ShowinfoFrame | null;
}

export interface SessionExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started at all (ENOENT, EACCES...). */
  spawnError: Error | null;
  /** kill() was called. */
  killed: boolean;
  /** Last error (or else warning) line ffmpeg printed, without its tags. */
  lastError: string | null;
  /** Lines ffmpeg logged at level error or worse (a damaged or truncated file logs them and still exits 0). */
  errorLines: number;
  /** The last of them, without its tags. */
  lastErrorLine: string | null;
  framesOut: number;
}

export interface SessionHandlers {
  onFrame(frame: DecodedFrame): void;
  onExit(exit: SessionExit): void;
}

const KILL_GRACE_MS = 2000;

export class FfmpegSession {
  readonly header: InputHeader = {};
  private child: ChildProcess | null = null;
  private readonly infos: ShowinfoFrame[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly splitter: FrameSplitter;
  private readonly lines: LineSplitter;
  private inOutputSection = false;
  private lastError: string | null = null;
  private lastWarning: string | null = null;
  private errorLines = 0;
  private framesOut = 0;
  private paused = false;
  private killed = false;
  private discarding = false;
  private spawnError: Error | null = null;
  private exited = false;
  private closed: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private exitReported = false;
  private readonly exitPromise: Promise<void>;
  private resolveExit!: () => void;

  constructor(
    private readonly ffmpegPath: string,
    private readonly args: string[],
    frameBytes: number,
    private readonly handlers: SessionHandlers,
  ) {
    this.splitter = new FrameSplitter(frameBytes, (buf) => this.onChunk(buf));
    this.lines = new LineSplitter((line) => this.onLine(line));
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
  }

  start(): void {
    const child = spawn(this.ffmpegPath, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.on('error', (err) => {
      // Spawn failures arrive here; 'close' follows.
      this.spawnError ??= err;
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!this.discarding) this.splitter.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => this.lines.push(chunk));
    child.stdout!.on('error', () => {});
    child.stderr!.on('error', () => {});
    child.on('close', (code, signal) => {
      this.lines.end();
      this.exited = true;
      this.resolveExit();
      this.closed = { code, signal };
      this.flushPairs();
    });
    if (this.paused) child.stdout!.pause();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stop reading stdout: ffmpeg blocks on its pipe once the pipe buffer is full. */
  pause(): void {
    this.paused = true;
    this.child?.stdout?.pause();
  }

  resume(): void {
    this.paused = false;
    this.flushPairs();
    if (this.paused) return; // the consumer paused again while taking held frames
    this.child?.stdout?.resume();
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is reaped and pipes closed. */
  async kill(graceMs = KILL_GRACE_MS): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return this.exitPromise;
    this.killed = true;
    // ffmpeg blocked on a full stdout pipe would never see its exit through: drain and drop.
    this.discarding = true;
    child.stdout?.resume();
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exited) child.kill('SIGKILL');
    }, graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private onChunk(buf: Buffer): void {
    this.chunks.push(buf);
    this.flushPairs();
  }

  private onLine(raw: string): void {
    const line = parseLogLine(raw);
    const info = parseShowinfo(line);
    if (info) {
      this.infos.push(info);
      this.flushPairs();
      return;
    }
    if (line.context === null) {
      if (/^Output #\d+/.test(line.text)) this.inOutputSection = true;
      else if (/^Input #\d+/.test(line.text)) this.inOutputSection = false;
      if (!this.inOutputSection && parseInputHeaderLine(line.text, this.header)) return;
    }
    const text = line.text.trim();
    if (text.length === 0) return;
    const where = line.context && !line.context.startsWith('Parsed_') ? `${line.context}: ` : '';
    if (line.level === 'error' || line.level === 'fatal' || line.level === 'panic') {
      this.lastError = where + text;
      this.errorLines++;
    }
    else if (line.level === 'warning') this.lastWarning = where + text;
  }

  /**
   * Hands over complete (frame, showinfo) pairs while not paused: a pause taken inside onFrame holds
   * the rest back (one stdout read can hold several frames), so the consumer's bound is exact.
   * After the process closed, frames without a line are handed over alone, then the exit.
   */
  private flushPairs(): void {
    const atExit = this.closed !== null;
    while (!this.paused && this.chunks.length > 0 && (this.infos.length > 0 || atExit)) {
      const data = this.chunks.shift()!;
      const info = this.infos.shift() ?? null;
      this.framesOut++;
      this.handlers.onFrame({ data, info });
    }
    if (this.closed && !this.exitReported && (this.chunks.length === 0 || this.killed)) {
      this.exitReported = true;
      this.handlers.onExit({
        code: this.closed.code,
        signal: this.closed.signal,
        spawnError: this.spawnError,
        killed: this.killed,
        lastError: this.lastError ?? this.lastWarning,
        errorLines: this.errorLines,
        lastErrorLine: this.lastError,
        framesOut: this.framesOut,
      });
    }
  }
}
