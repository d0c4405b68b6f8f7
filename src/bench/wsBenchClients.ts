// The bench's WebSocket clients, in a process of their own, behind one interface. Two implementations:
//   c:    wsBenchClients.c, compiled here with the system's C compiler (cached by its source's hash):
//         N clients on one epoll loop, ~1 µs of CPU per message;
//   node: wsClientsProcess.ts, the `ws` package's client, ~6 µs of CPU per message (6.3-7% of a core
//         for 500 clients at 20 fps, a cost the pipeline then loses to the bench, not to its clients).
// On this bench the clients share the machine's cores with the pipeline they measure; remote clients
// would not, so the leaner the clients, the nearer the figure is to what the server does.
// 'auto' takes c when a compiler builds it, else node, and says which it took.
// Times are CLOCK_MONOTONIC in ms (monotonicMs here, clock_gettime in C), one clock for every process.
import { spawn, spawnSync, fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { userCacheDir } from '../cacheDir.ts';
import { BenchError } from './errors.ts';

export type ClientsImpl = 'c' | 'node';
/** Which clients a run uses: the C clients need their built binary. */
export type ClientsChoice = { impl: 'c'; binary: string } | { impl: 'node' };
export const CLIENTS_IMPLS = ['auto', 'c', 'node'] as const;

/** The clients' own record of a run: [streamId, frameNumber, arrival in monotonic ms] per detections event. */
export interface ClientsReport {
  received: Array<[string, number, number]>;
  other: number;
  /** CPU time of the clients' process since they all connected. */
  cpuMs: number;
}

export interface BenchClients {
  readonly impl: ClientsImpl;
  /** Detections events received so far. */
  receivedCount(): Promise<number>;
  /** Closes the clients and returns what they received. */
  close(): Promise<ClientsReport>;
  kill(): void;
}

/** CLOCK_MONOTONIC in ms, the clock the clients stamp arrivals with. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Which implementation `impl` resolves to here, with the note to log when auto fell back to node. */
export function resolveClientsImpl(impl: (typeof CLIENTS_IMPLS)[number]): ClientsChoice & { note?: string } {
  if (impl === 'node') return { impl };
  const built = buildCClients();
  if ('binary' in built) return { impl: 'c', binary: built.binary };
  if (impl === 'c') throw new BenchError('RS_ERR_BENCH_WS', `bench pipeline: --ws-clients-impl c: ${built.error}`);
  return { impl: 'node', note: `WebSocket clients: the C clients could not be built (${built.error}); using the ws package's clients, which take more CPU from the pipeline` };
}

/** Starts `n` clients of `impl` on `url`; resolves once every one has the server's hello. */
export async function startBenchClients(url: string, n: number, choice: ClientsChoice): Promise<BenchClients> {
  return choice.impl === 'c' ? startC(choice.binary, url, n) : startNode(url, n);
}

const SOURCE = fileURLToPath(new URL('./wsBenchClients.c', import.meta.url));

function buildCClients(): { binary: string } | { error: string } {
  if (!existsSync(SOURCE)) return { error: `${SOURCE} is not there` };
  const src = readFileSync(SOURCE);
  const dir = join(userCacheDir(), 'bin');
  const binary = join(dir, `ws-bench-clients-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return { binary };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return { error: `cannot create ${dir}: ${(e as Error).message}` };
  }
  const tmp = `${binary}.${process.pid}.tmp`;
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-o', tmp, SOURCE], { encoding: 'utf8' });
  if (r.error) return { error: `${cc}: ${r.error.message}` };
  if (r.status !== 0) return { error: `${cc} failed: ${(r.stderr || '').trim().split('\n')[0]}` };
  renameSync(tmp, binary);
  return { binary };
}

function startC(binary: string, url: string, n: number): Promise<BenchClients> {
  const u = new URL(url);
  const child = spawn(binary, [u.hostname, u.port, u.pathname, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  // the reply to the command in flight (one at a time): the next line the clients print
  let pending: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  let failed: Error | null = null;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', (e) => (failed ??= new BenchError('RS_ERR_BENCH_WS', `bench pipeline: cannot start ${binary}: ${e.message}`)));
  // 'close', not 'exit': by then every line it printed (an error line first of all) has been read
  child.once('close', (code) => {
    failed ??= new BenchError('RS_ERR_BENCH_WS', `bench pipeline: the WebSocket clients' process exited (${code})`);
    pending?.reject(failed);
  });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      pending = { resolve, reject };
    });
  lines.on('line', (line) => {
    if (line.startsWith('error ')) failed = new BenchError('RS_ERR_BENCH_WS', `bench pipeline: WebSocket clients could not connect: ${line.slice(6)}`);
    const p = pending;
    pending = null;
    p?.resolve(line);
  });
  // a write to clients that died fails with EPIPE; their 'close' above is what reports it
  child.stdin!.on('error', () => undefined);
  const send = (cmd: string) => child.stdin!.write(`${cmd}\n`);
  const clients: BenchClients = {
    impl: 'c',
    async receivedCount() {
      send('report');
      const line = await next();
      const m = /^received (\d+) (\d+)$/.exec(line);
      if (!m) throw new BenchError('RS_ERR_BENCH_WS', `bench pipeline: the WebSocket clients answered "${line}" to report`);
      return Number(m[1]);
    },
    async close() {
      const streams: string[] = [];
      const received: Array<[string, number, number]> = [];
      const done = new Promise<ClientsReport>((resolve, reject) => {
        if (failed) return reject(failed);
        lines.removeAllListeners('line');
        lines.on('line', (line) => {
          if (line.startsWith('r ')) {
            const [, s, f, t] = line.split(' ');
            received.push([streams[Number(s)], Number(f), Number(t)]);
          } else if (line.startsWith('s ')) {
            const sp = line.indexOf(' ', 2);
            streams[Number(line.slice(2, sp))] = JSON.parse(`"${line.slice(sp + 1)}"`) as string;
          } else if (line.startsWith('end ')) {
            const [, , other, cpuMs] = line.split(' ');
            resolve({ received, other: Number(other), cpuMs: Number(cpuMs) });
          }
        });
        pending = { resolve: () => undefined, reject };
      });
      send('close');
      return done;
    },
    kill: () => void child.kill(),
  };
  return next().then(
    (line) => {
      if (line === `connected ${n}`) return clients;
      child.kill();
      throw failed ?? new BenchError('RS_ERR_BENCH_WS', `bench pipeline: WebSocket clients: unexpected "${line}"`);
    },
    async (e: unknown) => {
      child.kill();
      await exited;
      throw e;
    },
  );
}

async function startNode(url: string, n: number): Promise<BenchClients> {
  // from TypeScript sources the child needs the tsx loader; from the compiled package it runs as it is
  const ts = import.meta.url.endsWith('.ts');
  const file = new URL(ts ? './wsClientsProcess.ts' : './wsClientsProcess.js', import.meta.url);
  const child = fork(fileURLToPath(file), [], { execArgv: ts ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await ask(child, { connect: url, clients: n }, (m) => 'connected' in m);
  } catch (e) {
    child.kill();
    throw e;
  }
  return {
    impl: 'node',
    receivedCount: async () => (await ask<{ received: number }>(child, { report: true }, (m) => typeof m.received === 'number')).received,
    close: () => ask<ClientsReport>(child, { close: true }, (m) => Array.isArray(m.received)),
    kill: () => void child.kill(),
  };
}

/** Sends `msg` to the node clients' process and resolves with its first reply that `is` accepts. */
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
    // a send to a process that died is an error of its own (a callback, or an 'error' event that would crash)
    if (!child.connected) return onExit(child.exitCode);
    child.send(msg, (e) => e && onExit(child.exitCode));
  });
}
