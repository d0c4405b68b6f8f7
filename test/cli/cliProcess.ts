// Runs the real `retinastream` command (node bin/retinastream.js) as a child process, for end-to-end CLI tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'retinastream.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches `re` (rejects if the process exits first or after timeoutMs). */
  waitForStdout(re: RegExp, timeoutMs: number): Promise<void>;
  result: Promise<CliResult>;
}

/** Starts `retinastream ...args`; the process is SIGKILLed after timeoutMs so a hung CLI fails the test. */
export function startCli(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  let exited = false;
  void result.then(() => (exited = true), () => (exited = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    result,
    waitForStdout(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no stdout matching ${re} within ${timeoutMs} ms; stderr: ${err.slice(-500)}`)), timeoutMs);
        const check = () => {
          if (re.test(out)) {
            clearTimeout(timer);
            resolve();
          } else if (exited || child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited (${child.exitCode}) before stdout matched ${re}; stderr: ${err.slice(-500)}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
  };
}

/** Runs `retinastream ...args` to completion. */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

/** Stderr lines, without trailing empty ones. */
export function stderrLines(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.length > 0);
}
