// The /healthz report: is the model loaded, and is each stream delivering frames?

import type { StreamState } from '../types.ts';
import type { Metrics } from '../metrics/metrics.ts';

export interface StreamHealth {
  state: StreamState | null;
  /** ms since the stream's last decoded frame; null before the first. */
  lastFrameAgeMs: number | null;
  /** State is live and the last frame is at most staleAfterMs old. */
  live: boolean;
}

export interface HealthReport {
  ready: boolean;
  modelLoaded: boolean;
  streams: Record<string, StreamHealth>;
}

export interface HealthOptions {
  /** Whether the model is loaded (a function so it is read on each request). */
  modelLoaded: () => boolean;
  /** A live stream whose last frame is older than this is not counted as live (default 5000 ms). */
  staleAfterMs?: number;
}

/**
 * Builds the health function for startHttpServer from the pipeline's metrics.
 * Ready = the model is loaded and at least one stream is known, and either some stream is live
 * (fresh frames) or every stream has ended (a finished file run is healthy, not broken).
 */
export function healthFromMetrics(metrics: Metrics, opts: HealthOptions): () => HealthReport {
  const staleAfterMs = opts.staleAfterMs ?? 5000;
  return () => {
    const streams: Record<string, StreamHealth> = {};
    let anyLive = false;
    let allEnded = true;
    const snap = metrics.snapshot().streams;
    for (const s of snap) {
      const live = s.state === 'live' && s.lastFrameAgeMs !== null && s.lastFrameAgeMs <= staleAfterMs;
      streams[s.streamId] = { state: s.state, lastFrameAgeMs: s.lastFrameAgeMs, live };
      anyLive ||= live;
      allEnded &&= s.state === 'ended';
    }
    const modelLoaded = opts.modelLoaded();
    return { ready: modelLoaded && snap.length > 0 && (anyLive || allEnded), modelLoaded, streams };
  };
}
