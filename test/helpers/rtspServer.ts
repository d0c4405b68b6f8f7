// A real RTSP server for tests: test/helpers/rtsp_server.py (GStreamer gst-rtsp-server, installed by
// scripts/setup/ingest.sh) serving a live test pattern on rtsp://127.0.0.1:<port>/test.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./rtsp_server.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface RtspServerOptions {
  /** 0 (default) picks a free port; restart() reuses the one bound first. */
  port?: number;
  size?: `${number}x${number}`;
  fps?: number;
  codec?: 'h264' | 'jpeg';
}

export interface RtspServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Freezes the server (SIGSTOP): connections stay open, nothing is sent. */
  freeze(): void;
  /** Resumes a frozen server (SIGCONT). */
  thaw(): void;
  /** Kills the server (SIGKILL) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function launch(port: number, o: RtspServerOptions): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const args = [SCRIPT, '--port', String(port), '--size', o.size ?? '160x120', '--fps', String(o.fps ?? 25)];
    if (o.codec) args.push('--codec', o.codec);
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rtsp_server.py: no PORT line within 10 s: ${err.trim()}`));
    }, 10000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`rtsp_server.py: cannot start ${PYTHON}: ${e.message}; run scripts/setup/ingest.sh`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp_server.py exited with ${code} before listening: ${err.trim()} (run scripts/setup/ingest.sh)`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRtspServer(o: RtspServerOptions = {}): Promise<RtspServer> {
  let { child, port } = await launch(o.port ?? 0, o);
  const server: RtspServer = {
    get port() {
      return port;
    },
    get url() {
      return `rtsp://127.0.0.1:${port}/test`;
    },
    get pid() {
      return child.pid!;
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    async kill() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      await server.kill();
      // The port was just released; retry briefly if the kernel still holds it.
      for (let i = 0; ; i++) {
        try {
          ({ child } = await launch(port, o));
          return;
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    close: () => server.kill(),
  };
  return server;
}
