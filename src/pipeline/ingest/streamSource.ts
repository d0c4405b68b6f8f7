// A self-healing source of frames for one input: runs ffmpeg, hands out frames with the right
// backpressure (lossless FIFO or newest-only), and keeps the stream alive through crashes, stalls
// and refused connections with exponential backoff.
//
//   connecting --first frame--> live --no frame for stallTimeoutMs--> stalled --ffmpeg killed-->
//   backing_off --delay--> connecting ...
//   ffmpeg exits while connecting/live: backing_off (or failed when retries are exhausted)
//   clean end of a file: ended (once the buffered frames are taken); stop(): ended at once.

import { ReplaySubject, Subject, type Observable } from 'rxjs';
import type { Frame, StreamState, StreamStatusEvent } from '../types.ts';
import { backoffDelay } from './backoff.ts';
import { buildFfmpegArgs } from './ffmpegArgs.ts';
import { redactCredentials } from './ffmpegLog.ts';
import { FfmpegSession, type DecodedFrame, type SessionExit } from './ffmpegSession.ts';
import { ffmpegFeatures, findFfmpeg } from './findFfmpeg.ts';
import { fitCanvas } from './fitCanvas.ts';
import { LatestFrameSlot, LosslessQueue, type FrameBuffer } from './frameBuffer.ts';
import { resolveSourceOptions, type ResolvedSourceOptions, type SourceOptions } from './sourceOptions.ts';

export interface SourceStats {
  /** Frames decoded and delivered into the buffer (frames re-decoded after a lossless restart not counted). */
  decoded: number;
  /** Frames dropped by drop-to-newest (live sources). */
  dropped: number;
  /** ffmpeg restarts after a failure or stall. */
  restarts: number;
  /** Wall-clock ms of the last decoded frame. */
  lastFrameAt: number | null;
  /** Decode rate over the last frames (0 when none in the last 2 s). */
  decodeFps: number;
  /** Files: frame count estimated from the header (duration x fps), when known. */
  totalFrames?: number;
}

export interface StreamSource {
  readonly id: string;
  readonly lossless: boolean;
  /** Status events on every state change; replays the latest one to late subscribers. */
  readonly status$: Observable<StreamStatusEvent>;
  /** Emits whenever a frame becomes available to take(). */
  readonly frameReady$: Observable<void>;
  /** The next frame: the oldest for lossless sources, the newest for live ones; undefined if none. */
  take(): Frame | undefined;
  readonly state: StreamState;
  stats(): SourceStats;
  start(): void;
  /** Kills ffmpeg, drops buffered frames, completes the observables; state 'ended' (reason: `reason`, default "stopped"). */
  stop(reason?: string): Promise<void>;
  /** Resolves with 'ended' or 'failed' once the source is over. */
  readonly done: Promise<StreamState>;
}

export function createStreamSource(opts: SourceOptions): StreamSource {
  return new FfmpegStreamSource(resolveSourceOptions(opts));
}

const FPS_WINDOW = 30;

/** "Connection refused (ffmpeg exited with code 1)": ffmpeg's last error without the URL it repeats. */
function exitReason(exit: SessionExit, url: string, clean: boolean): string {
  if (clean) return 'input closed by the other side (ffmpeg exited with code 0)';
  const how = exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`;
  let error = exit.lastError;
  if (error?.startsWith(`${url}: `)) error = error.slice(url.length + 2);
  return error ? `${error} (ffmpeg exited with ${how})` : `ffmpeg exited with ${how}`;
}

class FfmpegStreamSource implements StreamSource {
  readonly id: string;
  readonly lossless: boolean;
  readonly done: Promise<StreamState>;

  private readonly opts: ResolvedSourceOptions;
  private readonly ffmpegPath: string;
  private readonly frameBytes: number;
  private readonly buffer: FrameBuffer;
  private readonly statusSubject = new ReplaySubject<StreamStatusEvent>(1);
  private readonly frameSubject = new Subject<void>();
  private resolveDone!: (s: StreamState) => void;

  private current: StreamState = 'connecting';
  private announced = false;
  private started = false;
  private finished = false;
  private stopping = false;
  /** A terminal state reached while frames still wait in the buffer. */
  private pendingEnd: { state: 'ended' | 'failed'; reason: string } | null = null;

  private session: FfmpegSession | null = null;
  private sessionIndex = 0;
  private sessionFrames = 0;
  private sessionOffset: number | null = null;
  private sessionLastRaw: number | null = null;
  private killReason: string | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  /** Lossless buffer full: ffmpeg's stdout is paused until take() frees a place. */
  private waitingForConsumer = false;

  private nextFrameNumber = 0;
  private lastPts: number | null = null;
  private frameDuration = 1 / 25;
  private decoded = 0;
  private dropped = 0;
  private restarts = 0;
  private lastFrameAt: number | null = null;
  private readonly frameTimes: number[] = [];
  private totalFrames: number | undefined;

  constructor(opts: ResolvedSourceOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.lossless = !opts.live;
    this.ffmpegPath = opts.ffmpegPath ?? findFfmpeg();
    this.frameBytes = opts.canvasWidth * opts.canvasHeight * 3;
    this.buffer = this.lossless ? new LosslessQueue(opts.losslessQueue) : new LatestFrameSlot();
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get status$(): Observable<StreamStatusEvent> {
    return this.statusSubject.asObservable();
  }

  get frameReady$(): Observable<void> {
    return this.frameSubject.asObservable();
  }

  get state(): StreamState {
    return this.current;
  }

  start(): void {
    if (this.started || this.finished) return;
    this.started = true;
    this.connect();
  }

  take(): Frame | undefined {
    const frame = this.buffer.take();
    if (this.waitingForConsumer && !this.buffer.full && this.session) {
      this.waitingForConsumer = false;
      this.armWatchdog();
      this.session.resume(); // may hand over held frames (and pause again) synchronously
    }
    if (this.pendingEnd && this.buffer.size === 0) this.finish(this.pendingEnd.state, this.pendingEnd.reason);
    return frame;
  }

  stats(): SourceStats {
    const s: SourceStats = {
      decoded: this.decoded,
      dropped: this.dropped,
      restarts: this.restarts,
      lastFrameAt: this.lastFrameAt,
      decodeFps: this.decodeFps(),
    };
    if (this.totalFrames !== undefined) s.totalFrames = this.totalFrames;
    return s;
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.finished) return;
    this.stopping = true;
    this.clearTimers();
    const session = this.session;
    this.session = null;
    if (session) await session.kill();
    this.buffer.clear();
    this.finish('ended', reason);
  }

  // ---- connection lifecycle ----

  private connect(): void {
    if (this.finished || this.stopping) return;
    this.setState('connecting', { reason: this.attempt === 0 ? 'starting ffmpeg' : 'reconnecting', attempt: this.attempt });
    const args = buildFfmpegArgs(this.opts, ffmpegFeatures(this.ffmpegPath));
    const session = new FfmpegSession(this.ffmpegPath, args, this.frameBytes, {
      onFrame: (f) => {
        if (this.session === session && !this.killReason) this.onFrame(session, f);
      },
      onExit: (exit) => {
        if (this.session === session) this.onExit(exit);
      },
    });
    this.session = session;
    this.sessionFrames = 0;
    this.sessionOffset = null;
    this.sessionLastRaw = null;
    this.killReason = null;
    this.waitingForConsumer = false;
    this.armWatchdog();
    session.start();
  }

  private onFrame(session: FfmpegSession, f: DecodedFrame): void {
    const indexInSession = this.sessionFrames++;
    // A lossless source restarted after a failure re-decodes from the start: skip what was delivered.
    if (this.lossless && this.sessionIndex > 0 && indexInSession < this.nextFrameNumber) {
      this.armWatchdog(); // decoding to catch up is progress, not a stall
      return;
    }

    const now = Date.now();
    const fps = session.header.fps;
    if (this.sessionLastRaw === null && fps !== undefined) this.frameDuration = 1 / fps;
    const pts = this.nextPts(f.info?.ptsTime ?? null);
    const sourceWidth = f.info?.width ?? this.opts.canvasWidth;
    const sourceHeight = f.info?.height ?? this.opts.canvasHeight;
    const { contentWidth, contentHeight } = fitCanvas(sourceWidth, sourceHeight, this.opts.canvasWidth, this.opts.canvasHeight);
    const frame: Frame = {
      streamId: this.id,
      frameNumber: this.nextFrameNumber++,
      pts,
      captureTime: now,
      sourceWidth,
      sourceHeight,
      data: f.data,
      width: this.opts.canvasWidth,
      height: this.opts.canvasHeight,
      contentWidth,
      contentHeight,
      droppedBefore: 0,
      lossless: this.lossless,
    };
    this.decoded++;
    this.lastFrameAt = now;
    this.frameTimes.push(now);
    if (this.frameTimes.length > FPS_WINDOW) this.frameTimes.shift();
    if (this.totalFrames === undefined && this.lossless) {
      const { durationSec, fps } = session.header;
      if (durationSec !== undefined && fps !== undefined) this.totalFrames = Math.round(durationSec * fps);
    }

    if (this.current !== 'live') {
      this.attempt = 0;
      this.setState('live', { reason: `first frame ${sourceWidth}x${sourceHeight}` });
    }
    this.dropped += this.buffer.put(frame);
    if (this.buffer.full) {
      this.waitingForConsumer = true;
      session.pause();
      this.clearWatchdog(); // a paused source is waiting for its consumer, not stalled
    } else {
      this.armWatchdog();
    }
    this.frameSubject.next();
  }

  /** Maps this session's pts onto the stream's monotonic clock (a reconnect restarts near 0). */
  private nextPts(raw: number | null): number {
    const r = raw ?? (this.sessionLastRaw !== null ? this.sessionLastRaw + this.frameDuration : 0);
    if (this.sessionLastRaw !== null && r > this.sessionLastRaw) this.frameDuration = r - this.sessionLastRaw;
    this.sessionLastRaw = r;
    if (this.sessionOffset === null) {
      this.sessionOffset = this.lastPts !== null && r <= this.lastPts ? this.lastPts + this.frameDuration - r : 0;
    }
    let pts = r + this.sessionOffset;
    if (this.lastPts !== null && pts <= this.lastPts) pts = this.lastPts + this.frameDuration;
    this.lastPts = pts;
    return pts;
  }

  private onExit(exit: SessionExit): void {
    this.clearWatchdog();
    this.session = null;
    if (this.stopping || this.finished) return;
    const url = redactCredentials(this.opts.url);
    if (exit.spawnError) {
      this.endWhenDrained('failed', `${url}: cannot run ffmpeg (${this.ffmpegPath}): ${exit.spawnError.message}`);
      return;
    }
    const clean = exit.code === 0 && !exit.killed;
    if (clean && this.opts.endsOnEof && exit.errorLines > 0) {
      // ffmpeg decodes what it can of a damaged or truncated file and exits 0: that is not a normal end
      const error = exit.lastErrorLine?.startsWith(`${this.opts.url}: `) ? exit.lastErrorLine.slice(this.opts.url.length + 2) : exit.lastErrorLine;
      this.endWhenDrained('failed', redactCredentials(`${url}: damaged or truncated input: ${error} (${exit.errorLines} ffmpeg error lines; ${exit.framesOut} frames decoded)`));
      return;
    }
    if (clean && this.opts.endsOnEof) {
      this.endWhenDrained('ended', 'end of input');
      return;
    }
    this.retry(redactCredentials(`${url}: ${this.killReason ?? exitReason(exit, this.opts.url, clean)}`));
  }

  private retry(reason: string): void {
    this.attempt++;
    if (this.attempt > this.opts.maxRetries) {
      const gaveUp = this.opts.maxRetries > 0 ? ` (gave up after ${this.opts.maxRetries} retries)` : '';
      this.endWhenDrained('failed', reason + gaveUp);
      return;
    }
    const delay = backoffDelay(this.attempt, this.opts.backoff);
    this.setState('backing_off', { reason, attempt: this.attempt, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.restarts++;
      this.sessionIndex++;
      this.connect();
    }, delay);
  }

  // ---- watchdog ----

  private armWatchdog(): void {
    const limit =
      this.current === 'live' ? this.opts.stallTimeoutMs : this.opts.connectTimeoutMs + this.opts.stallTimeoutMs;
    if (this.watchdog) {
      this.watchdog.refresh();
      return;
    }
    this.watchdog = setTimeout(() => this.onWatchdog(limit), limit);
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private onWatchdog(limit: number): void {
    this.watchdog = null;
    const session = this.session;
    if (!session || this.finished || this.stopping) return;
    if (this.current === 'live') {
      this.killReason = `no frame for ${limit} ms`;
      this.setState('stalled', { reason: this.killReason });
    } else {
      this.killReason = `no frame within ${limit} ms of connecting`;
    }
    void session.kill();
  }

  // ---- states ----

  private setState(state: StreamState, extra: { reason?: string; attempt?: number; retryInMs?: number } = {}): void {
    if (this.announced && state === this.current) return;
    const event: StreamStatusEvent = {
      schemaVersion: 1,
      type: 'status',
      streamId: this.id,
      state,
      previousState: this.announced ? this.current : null,
      time: new Date().toISOString(),
    };
    if (extra.reason !== undefined) event.reason = extra.reason;
    if (extra.attempt !== undefined) event.attempt = extra.attempt;
    if (extra.retryInMs !== undefined) event.retryInMs = extra.retryInMs;
    // The live-state watchdog limit differs from the connecting one: re-arm on entering live.
    const wasLive = this.current === 'live';
    this.current = state;
    this.announced = true;
    if (state === 'live' && !wasLive && this.watchdog) {
      this.clearWatchdog();
    }
    this.statusSubject.next(event);
  }

  private endWhenDrained(state: 'ended' | 'failed', reason: string): void {
    if (this.buffer.size === 0) this.finish(state, reason);
    else this.pendingEnd = { state, reason };
  }

  private finish(state: 'ended' | 'failed', reason: string): void {
    if (this.finished) return;
    this.pendingEnd = null;
    this.clearTimers();
    this.setState(state, { reason });
    this.finished = true;
    this.statusSubject.complete();
    this.frameSubject.complete();
    this.resolveDone(state);
  }

  private clearTimers(): void {
    this.clearWatchdog();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private decodeFps(): number {
    const t = this.frameTimes;
    if (t.length < 2 || Date.now() - t[t.length - 1]! > 2000) return 0;
    const span = t[t.length - 1]! - t[0]!;
    return span > 0 ? ((t.length - 1) * 1000) / span : 0;
  }
}
