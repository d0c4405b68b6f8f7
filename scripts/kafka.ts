// Runs the test broker (single-node Kafka, KRaft, 127.0.0.1) in the background for local use:
//   npm run kafka -- start [--port 9092] [--controller-port 9093] [--version 3.9.2] [--data-dir DIR]
//   npm run kafka -- status
//   npm run kafka -- stop
// Jars come from scripts/setup/kafka.sh, which `start` runs itself when they are missing. State lives in .cache/kafka/broker.pid and broker.json;
// topics persist in .cache/kafka/data/<version> across start/stop.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_KAFKA_VERSION,
  REPO_ROOT,
  kafkaJarsPresent,
  kafkaLibsDir,
  prepareBroker,
  readLogTail,
  spawnBroker,
  waitForBroker,
  type BrokerLayout,
} from '../test/helpers/kafkaBroker.ts';

const STATE_DIR = join(REPO_ROOT, '.cache/kafka');
const PID_FILE = join(STATE_DIR, 'broker.pid');
const STATE_FILE = join(STATE_DIR, 'broker.json');

interface State extends BrokerLayout {
  pid: number;
  bootstrap: string;
}

function readState(): State | null {
  if (!existsSync(STATE_FILE) || !existsSync(PID_FILE)) return null;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as State;
  state.pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  return state;
}

/** True if `pid` is alive and is a Kafka broker (not a recycled pid). */
function isBroker(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return true; // no /proc: trust the pid file
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

function parsePort(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`--${name} ${JSON.stringify(value)}: expected a TCP port 1-65535`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`kafka: ${message}\n`);
  process.exit(1);
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '9092' },
      'controller-port': { type: 'string' },
      version: { type: 'string', default: process.env.RS_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION },
      'data-dir': { type: 'string' },
    },
  });
  const running = readState();
  if (running && isBroker(running.pid)) {
    console.log(`Kafka ${running.version} already running (pid ${running.pid}): ${running.bootstrap}`);
    return;
  }
  const port = parsePort('port', values.port!);
  const controllerPort = values['controller-port'] ? parsePort('controller-port', values['controller-port']) : port + 1;
  for (const p of [port, controllerPort]) {
    if (!(await portFree(p))) fail(`port ${p} on 127.0.0.1 is in use: pick another with --port / --controller-port`);
  }
  const version = values.version!;
  const dataDir = resolve(values['data-dir'] ?? join(STATE_DIR, 'data', version));
  mkdirSync(dataDir, { recursive: true });
  const layout: BrokerLayout = {
    version,
    port,
    controllerPort,
    dataDir,
    configFile: join(dataDir, 'server.properties'),
    logFile: join(dataDir, 'broker.log'),
  };
  if (!kafkaJarsPresent(version)) {
    // a fresh checkout: fetch the jars (and a JRE and Maven from Debian if missing) as the tests' setup does
    const script = join(REPO_ROOT, 'scripts/setup/kafka.sh');
    process.stderr.write(`kafka: Kafka ${version} jars not in ${kafkaLibsDir(version)}: fetching them from Maven Central with ${script} (a few minutes, once)\n`);
    const r = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, RS_KAFKA_VERSIONS: version } });
    if (r.status !== 0) fail(`could not fetch Kafka ${version} (${script} exited ${r.status ?? r.signal}); it needs Maven Central, a JRE 17+ and Maven (installed from Debian as root when missing)`);
  }
  try {
    prepareBroker(layout);
  } catch (err) {
    fail((err as Error).message);
  }
  const child = spawnBroker(layout, true);
  child.unref();
  const pid = child.pid ?? fail('could not spawn java');
  const bootstrap = `127.0.0.1:${port}`;
  writeFileSync(PID_FILE, `${pid}\n`);
  writeFileSync(STATE_FILE, `${JSON.stringify({ ...layout, bootstrap }, null, 2)}\n`);
  try {
    await waitForBroker(bootstrap, 90_000, () => isBroker(pid));
  } catch (err) {
    if (isBroker(pid)) process.kill(pid, 'SIGKILL');
    rmSync(PID_FILE, { force: true });
    fail(`Kafka ${version} did not start: ${(err as Error).message}; log ${layout.logFile}:\n${readLogTail(layout.logFile, 15)}`);
  }
  console.log(`Kafka ${version} running (pid ${pid}), data ${dataDir}`);
  console.log(bootstrap);
}

async function stop(): Promise<void> {
  const state = readState();
  if (!state || !isBroker(state.pid)) {
    rmSync(PID_FILE, { force: true });
    console.log('Kafka is not running');
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isBroker(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isBroker(state.pid)) process.kill(state.pid, 'SIGKILL');
  rmSync(PID_FILE, { force: true });
  console.log(`Kafka ${state.version} stopped (pid ${state.pid})`);
}

async function status(): Promise<void> {
  const state = readState();
  if (!state || !isBroker(state.pid)) {
    console.log('Kafka is not running');
    process.exitCode = 3;
    return;
  }
  try {
    await waitForBroker(state.bootstrap, 5000, () => isBroker(state.pid));
    console.log(`Kafka ${state.version} running (pid ${state.pid}), answering on ${state.bootstrap}`);
  } catch (err) {
    console.log(`Kafka ${state.version} process ${state.pid} is up but not answering on ${state.bootstrap}: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}

const [command, ...rest] = process.argv.slice(2);
mkdirSync(STATE_DIR, { recursive: true });
switch (command) {
  case 'start':
    await start(rest);
    break;
  case 'stop':
    await stop();
    break;
  case 'status':
    await status();
    break;
  default:
    fail(`unknown command ${JSON.stringify(command ?? '')}: expected start [--port N] [--version V] [--data-dir DIR], stop or status`);
}
