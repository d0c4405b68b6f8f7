// One-line terminal status from a metrics snapshot, printed periodically by the CLI (to stderr),
// and a text progress bar for sources of known length.
//
//   cam1 live 25.0/24.8/24.8 fps lat 82/120/140 ms drop 3 | batch 3.4/4 41 ms | ws 1200 sent 0 dropped
//   clip [#####.....] 51% 1234/2400 frames 24.1 fps lat 90/130/150 ms | ...
// fps are decode/inference/end-to-end; lat is p50/p95/p99 of end-to-end latency.

import type { MetricsSnapshot, StreamSnapshot } from './metrics.ts';

export interface ProgressBarOptions {
  /** Characters inside the brackets (default 10). */
  width?: number;
  /** Unit after the counts (default "frames"). */
  unit?: string;
}

/** `[#####.....] 51% 1234/2400 frames 24.1 fps` (the percentage is rounded down, so 100% means done). */
export function formatProgressBar(done: number, total: number, fps: number, opts: ProgressBarOptions = {}): string {
  const width = opts.width ?? 10;
  const unit = opts.unit ?? 'frames';
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.floor(ratio * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `[${bar}] ${Math.floor(ratio * 100)}% ${done}/${total} ${unit} ${fps.toFixed(1)} fps`;
}

export function formatStatusLine(snapshot: MetricsSnapshot): string {
  const parts = snapshot.streams.map(formatStream);
  const b = snapshot.batches;
  if (b.count > 0) {
    const ms = b.durationMs ? ` ${Math.round(b.durationMs.p50)} ms` : '';
    parts.push(`batch ${b.meanFrames.toFixed(1)}/${b.maxBatch}${ms}`);
  }
  for (const { name, stats } of snapshot.sinks) {
    const clients = typeof stats.clients === 'number' ? ` ${stats.clients} clients` : '';
    parts.push(`${name}${clients} ${stats.written} sent ${stats.dropped} dropped`);
  }
  return parts.length ? parts.join(' | ') : 'no streams yet';
}

function formatStream(s: StreamSnapshot): string {
  const lat = s.latency ? ` lat ${Math.round(s.latency.p50)}/${Math.round(s.latency.p95)}/${Math.round(s.latency.p99)} ms` : '';
  const drop = (s.framesDropped ? ` drop ${s.framesDropped}` : '') + (s.framesLost ? ` lost ${s.framesLost}` : '');
  if (s.totalFrames !== null) {
    return `${s.streamId} ${formatProgressBar(s.eventsEmitted, s.totalFrames, s.e2eFps)}${lat}${drop}`;
  }
  const fps = `${s.decodeFps.toFixed(1)}/${s.inferenceFps.toFixed(1)}/${s.e2eFps.toFixed(1)} fps`;
  return `${s.streamId} ${s.state ?? 'starting'} ${fps}${lat}${drop}`;
}
