// The pipeline with the WebSocket sink and N local clients subscribed to everything: how long an event
// takes from the sink's write() to each client's 'message'. The clients run in a process of their own
// (wsClientsProcess.ts) but share the machine's cores, so this is an upper bound on what a remote client
// sees from the server's side.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startHttpServer } from '../pipeline/http/server.ts';
import { createMetrics } from '../pipeline/metrics/metrics.ts';
import { createWsSink } from '../pipeline/sinks/wsSink.ts';
import type { PipelineEvent, Sink } from '../pipeline/types.ts';
import { summarize, type LatencySummary } from './quantiles.ts';
import { runBenchPipeline, type BenchRunOptions, type BenchRunResult } from './runPipeline.ts';
import { BenchError } from './errors.ts';

export interface WsFanoutRunResult {
  clients: number;
  /** Detection messages clients should have got (events x clients). */
  expected: number;
  delivered: number;
  /** Messages the sink dropped for clients that fell behind. */
  dropped: number;
  /** write() to the client's 'message' event, per message. */
  latencyMs: LatencySummary;
  /** CPU time of the clients' process while connected (it shares the machine with the pipeline). */
  clientsCpuMs: number;
  run: BenchRunResult;
}

const key = (streamId: string, frameNumber: number) => `${streamId}\u0000${frameNumber}`;

export async function runWithWsClients(o: Omit<BenchRunOptions, 'sinks'>, clients: number, settleTimeoutMs = 10_000): Promise<WsFanoutRunResult> {
  const metrics = createMetrics({ defaultMetrics: false });
  const http = await startHttpServer({ port: 0, metrics, health: () => ({ ready: true, modelLoaded: true, streams: {}, degraded: [] }) });
  const ws = createWsSink({ server: http.server, metrics, maxClients: clients + 1 });
  // the clients run in their own process: decoding their messages must not slow the pipeline they measure
  const child = forkClients();
  const writtenAt = new Map<string, number>();
  try {
    await ask<{ connected: number }>(child, { connect: `ws://127.0.0.1:${http.port}/ws`, clients }, (m) => 'connected' in m);
    const stamp: Sink = {
      name: 'stamp',
      write(e: PipelineEvent) {
        if (e.type === 'detections') writtenAt.set(key(e.streamId, e.frameNumber), performance.timeOrigin + performance.now());
      },
      close: async () => undefined,
      stats: () => ({ written: 0, dropped: 0 }),
    };
    const run = await runBenchPipeline({ ...o, sinks: [stamp, ws] });
    const expected = run.events * clients;
    const settleBy = performance.now() + settleTimeoutMs;
    for (;;) {
      const { received } = await ask<{ received: number }>(child, { report: true }, (m) => typeof m.received === 'number');
      if (received + ws.stats().dropped >= expected || performance.now() >= settleBy) break;
      await sleep(50);
    }
    const { received, cpuMs } = await ask<{ received: Array<[string, number, number]>; cpuMs: number }>(child, { close: true }, (m) => Array.isArray(m.received));
    const latencies: number[] = [];
    for (const [streamId, frameNumber, at] of received) {
      const t = writtenAt.get(key(streamId, frameNumber));
      if (t !== undefined) latencies.push(at - t);
    }
    return { clients, expected, delivered: latencies.length, dropped: ws.stats().dropped, latencyMs: summarize(latencies), clientsCpuMs: cpuMs, run };
  } finally {
    child.kill();
    await ws.close();
    await http.close();
  }
}

function forkClients(): ChildProcess {
  // from TypeScript sources the child needs the tsx loader; from the compiled package it runs as it is
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './wsClientsProcess.ts' : './wsClientsProcess.js', import.meta.url);
  return fork(fileURLToPath(url), [], { execArgv: ts ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Sends `msg` to the clients' process and resolves with its first reply that `is` accepts. */
function ask<T>(child: ChildProcess, msg: object, is: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (typeof m.error === 'string') return done(new BenchError('RS_ERR_BENCH_WS', `bench pipeline: WebSocket clients could not connect: ${m.error}`));
      if (is(m)) done(null, m as T);
    };
    const onExit = (code: number | null) => done(new BenchError('RS_ERR_BENCH_WS', `bench pipeline: the WebSocket clients' process exited (${code})`));
    const done = (e: Error | null, v?: T) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve(v!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(msg);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
