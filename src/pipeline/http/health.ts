// The /healthz report: is the model loaded, is each stream delivering frames, and is anything degraded
// (a failed stream, a stream down for long, a sink that cannot reach its broker)?

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
  /** One line per problem: failed streams, streams down past deadAfterMs, sinks in an outage past sinkOutageMs. */
  degraded?: string[];
}

export interface HealthOptions {
  /** Whether the model is loaded (a function so it is read on each request). */
  modelLoaded: () => boolean;
  /** A live stream whose last frame is older than this is not counted as live (default 5000 ms). */
  staleAfterMs?: number;
  /** A stream stalled or backing off for longer than this is reported degraded (default 60 s). */
  deadAfterMs?: number;
  /** A sink whose stats say `outageMs` above this (Kafka unreachable) is reported degraded (default 30 s). */
  sinkOutageMs?: number;
  /** Ready with no stream at all (a cluster worker the group gave no stream, or whose streams all moved away). */
  idleIsReady?: boolean;
}

/**
 * Builds the health function for startHttpServer from the pipeline's metrics.
 * Ready = the model is loaded and at least one stream is known, and either some stream is live
 * (fresh frames) or every stream has ended (a finished file run is healthy, not broken).
 * The HTTP status is 200 only when ready and nothing is degraded.
 */
export function healthFromMetrics(metrics: Metrics, opts: HealthOptions): () => HealthReport {
  const staleAfterMs = opts.staleAfterMs ?? 5000;
  const deadAfterMs = opts.deadAfterMs ?? 60_000;
  const sinkOutageMs = opts.sinkOutageMs ?? 30_000;
  return () => {
    const streams: Record<string, StreamHealth> = {};
    const degraded: string[] = [];
    let anyLive = false;
    let allEnded = true;
    const snap = metrics.snapshot();
    for (const s of snap.streams) {
      const live = s.state === 'live' && s.lastFrameAgeMs !== null && s.lastFrameAgeMs <= staleAfterMs;
      streams[s.streamId] = { state: s.state, lastFrameAgeMs: s.lastFrameAgeMs, live };
      anyLive ||= live;
      allEnded &&= s.state === 'ended';
      if (s.state === 'failed') degraded.push(`stream ${s.streamId}: failed`);
      else if ((s.state === 'stalled' || s.state === 'backing_off') && s.stateAgeMs !== null && s.stateAgeMs > deadAfterMs) {
        degraded.push(`stream ${s.streamId}: ${s.state} for ${Math.round(s.stateAgeMs / 1000)} s`);
      }
    }
    for (const { name, stats } of snap.sinks) {
      const outage = stats.outageMs;
      if (typeof outage === 'number' && outage > sinkOutageMs) degraded.push(`sink ${name}: broker unreachable for ${Math.round(outage / 1000)} s`);
    }
    const modelLoaded = opts.modelLoaded();
    const known = snap.streams.length > 0 || opts.idleIsReady === true;
    return { ready: modelLoaded && known && (anyLive || allEnded), modelLoaded, streams, degraded };
  };
}
