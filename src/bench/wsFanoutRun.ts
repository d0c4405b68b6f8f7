// The pipeline with the WebSocket sink and N local clients subscribed to everything: how long an event
// takes from the sink's write() to each client's receipt of it. The clients run in a process of their own
// (wsBenchClients.ts: C clients on one epoll loop, or the `ws` package's; or spread over several, as
// remote clients each parse their own messages: on 2 busy cores two processes did not lower the p99 (53.8
// vs 49.8 ms with one), so one is the default). They share the machine's cores with the pipeline, so this
// is an upper bound on what a remote client sees from the server's side. The server's own part, the sink's write() of one event to
// every client through the socket writes at the end of the tick, is measured beside it.
import { startHttpServer } from '../pipeline/http/server.ts';
import { createMetrics } from '../pipeline/metrics/metrics.ts';
import { createWsSink } from '../pipeline/sinks/wsSink.ts';
import type { PipelineEvent, Sink } from '../pipeline/types.ts';
import { summarize, type LatencySummary } from './quantiles.ts';
import { combineRuns, runBenchPipeline, type BenchRunOptions, type BenchRunResult } from './runPipeline.ts';
import { monotonicMs, startBenchClients, type BenchClients, type ClientsChoice, type ClientsImpl } from './wsBenchClients.ts';

export interface WsFanoutRunResult {
  clients: number;
  /** Detection messages clients should have got (events x clients). */
  expected: number;
  delivered: number;
  /** Messages the sink dropped for clients that fell behind. */
  dropped: number;
  /** write() to the client's 'message' event, per message. */
  latencyMs: LatencySummary;
  /** The sink's write() of one event to all clients, through the end of the tick when the corked sockets are
   * written (serializing once, a socket write per client; on loopback the kernel's TCP work is in it too). */
  serverWriteMs: LatencySummary;
  /** Processes the clients ran in, and which clients they were. */
  clientProcesses: number;
  clientsImpl: ClientsImpl;
  /** CPU time of the clients' processes while connected (they share the machine with the pipeline). */
  clientsCpuMs: number;
  run: BenchRunResult;
  /** The samples behind latencyMs and serverWriteMs (to combine runs). */
  latencySamples: number[];
  writeSamples: number[];
}

/** Several runs with clients as one: counts added up, quantiles over all their samples, fps over their time. */
export function combineWsRuns(runs: readonly WsFanoutRunResult[]): WsFanoutRunResult {
  const latencySamples = runs.flatMap((r) => r.latencySamples);
  const writeSamples = runs.flatMap((r) => r.writeSamples);
  return {
    clients: runs[0].clients,
    expected: runs.reduce((n, r) => n + r.expected, 0),
    delivered: runs.reduce((n, r) => n + r.delivered, 0),
    dropped: runs.reduce((n, r) => n + r.dropped, 0),
    latencyMs: summarize(latencySamples),
    serverWriteMs: summarize(writeSamples),
    clientProcesses: runs[0].clientProcesses,
    clientsImpl: runs[0].clientsImpl,
    clientsCpuMs: runs.reduce((n, r) => n + r.clientsCpuMs, 0),
    run: runs.map((r) => r.run).reduce(combineRuns),
    latencySamples,
    writeSamples,
  };
}

const key = (streamId: string, frameNumber: number) => `${streamId}\u0000${frameNumber}`;

export async function runWithWsClients(
  o: Omit<BenchRunOptions, 'sinks'>,
  clients: number,
  processes = 1,
  impl: ClientsChoice = { impl: 'node' },
  settleTimeoutMs = 10_000,
): Promise<WsFanoutRunResult> {
  const metrics = createMetrics({ defaultMetrics: false });
  const http = await startHttpServer({ port: 0, metrics, health: () => ({ ready: true, modelLoaded: true, streams: {}, degraded: [] }) });
  const ws = createWsSink({ server: http.server, metrics, maxClients: clients + 1 });
  // the clients run in their own processes: decoding their messages must not slow the pipeline they measure
  const shares = splitEvenly(clients, Math.max(1, Math.min(processes, clients)));
  const children: BenchClients[] = [];
  const writtenAt = new Map<string, number>();
  const writeMs: number[] = [];
  try {
    const url = `ws://127.0.0.1:${http.port}/ws`;
    const started = await Promise.allSettled(shares.map((n) => startBenchClients(url, n, impl)));
    for (const r of started) if (r.status === 'fulfilled') children.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const stamped: Sink = {
      name: ws.name,
      write(e: PipelineEvent) {
        const t0 = monotonicMs();
        if (e.type === 'detections') writtenAt.set(key(e.streamId, e.frameNumber), t0);
        ws.write(e);
        // the sink corks each socket until the end of the tick and then writes them all: a tick callback
        // queued now runs after that, so this times the socket writes (and loopback's TCP work) too, and those
        // of the events written after it in the same tick (a batch's events are written together)
        if (e.type === 'detections') process.nextTick(() => writeMs.push(monotonicMs() - t0));
      },
      close: async () => undefined,
      stats: () => ws.stats(),
    };
    const run = await runBenchPipeline({ ...o, sinks: [stamped] });
    const expected = run.events * clients;
    const settleBy = performance.now() + settleTimeoutMs;
    for (;;) {
      const counts = await Promise.all(children.map((c) => c.receivedCount()));
      const received = counts.reduce((n, c) => n + c, 0);
      if (received + ws.stats().dropped >= expected || performance.now() >= settleBy) break;
      await sleep(50);
    }
    const reports = await Promise.all(children.map((c) => c.close()));
    const latencies: number[] = [];
    for (const { received } of reports) {
      for (const [streamId, frameNumber, at] of received) {
        const t = writtenAt.get(key(streamId, frameNumber));
        if (t !== undefined) latencies.push(at - t);
      }
    }
    return {
      clients, expected, delivered: latencies.length, dropped: ws.stats().dropped, latencyMs: summarize(latencies),
      serverWriteMs: summarize(writeMs), clientProcesses: children.length, clientsImpl: impl.impl,
      clientsCpuMs: reports.reduce((n, r) => n + r.cpuMs, 0), run, latencySamples: latencies, writeSamples: writeMs,
    };
  } finally {
    for (const c of children) c.kill();
    await ws.close();
    await http.close();
  }
}

/** n split into k shares that differ by at most one. */
function splitEvenly(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
