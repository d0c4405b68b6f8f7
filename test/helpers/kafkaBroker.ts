// A real single-node Apache Kafka broker (KRaft: broker + controller in one JVM) on 127.0.0.1,
// started from the Maven Central jars that scripts/setup/kafka.sh puts in .cache/kafka/<version>/libs.
// Used by the Kafka sink tests and by scripts/kafka.ts (`npm run kafka start`).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KAFKA_TOOLS_DIR = join(REPO_ROOT, 'tools/kafka');
/** The version tests use unless RS_KAFKA_VERSION or `version` says otherwise (first of scripts/setup/kafka.sh). */
export const DEFAULT_KAFKA_VERSION = '3.9.2';

export class KafkaBrokerError extends Error {
  readonly code: 'RS_ERR_KAFKA_JARS_MISSING' | 'RS_ERR_KAFKA_JAVA_MISSING' | 'RS_ERR_KAFKA_START' | 'RS_ERR_KAFKA_FORMAT';
  constructor(code: KafkaBrokerError['code'], message: string) {
    super(message);
    this.name = 'KafkaBrokerError';
    this.code = code;
  }
}

export interface BrokerOptions {
  /** Client port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Controller (KRaft quorum) port; a free one when omitted. */
  controllerPort?: number;
  /** Kafka version whose jars are in .cache/kafka/<version>/libs. */
  version?: string;
  /** Where the broker keeps its log and config; a temp dir (removed by close()) when omitted. */
  dataDir?: string;
  /** Give up waiting for the broker to answer after this long. */
  startTimeoutMs?: number;
}

export interface Broker {
  /** "127.0.0.1:<port>" */
  readonly bootstrap: string;
  readonly port: number;
  readonly version: string;
  readonly dataDir: string;
  readonly pid: number | undefined;
  /** Graceful stop (SIGTERM, then SIGKILL after 20 s); data stays for restart(). */
  stop(): Promise<void>;
  /** Start again on the same ports and data dir; waits until it answers. */
  restart(): Promise<void>;
  /** SIGKILL, as in a crash; data stays for restart(). */
  kill(): Promise<void>;
  /** stop(), then remove the data dir if this helper created it. */
  close(): Promise<void>;
  /** The last lines the broker printed (warnings and errors only). */
  logTail(lines?: number): string;
}

export function kafkaLibsDir(version: string): string {
  return join(REPO_ROOT, '.cache/kafka', version, 'libs');
}

export function kafkaJarsPresent(version: string): boolean {
  return existsSync(join(kafkaLibsDir(version), `kafka_2.13-${version}.jar`));
}

/** Kafka versions the tests run against (the ones scripts/setup/kafka.sh fetches). */
export const TESTED_KAFKA_VERSIONS = ['3.9.2', '4.4.0'];

/** Versions to test: RS_KAFKA_VERSIONS ("3.9.2 4.4.0"), else TESTED_KAFKA_VERSIONS. */
export function kafkaVersionsUnderTest(): string[] {
  const env = process.env.RS_KAFKA_VERSIONS?.trim();
  return env ? env.split(/[\s,]+/) : TESTED_KAFKA_VERSIONS;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface BrokerLayout {
  version: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  configFile: string;
  logFile: string;
}

function checkPrerequisites(version: string): void {
  if (!kafkaJarsPresent(version)) {
    throw new KafkaBrokerError(
      'RS_ERR_KAFKA_JARS_MISSING',
      `Kafka ${version} jars not found in ${kafkaLibsDir(version)}: run scripts/setup/kafka.sh (RS_KAFKA_VERSIONS="${version}")`,
    );
  }
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) {
    throw new KafkaBrokerError('RS_ERR_KAFKA_JAVA_MISSING', 'java not found on PATH: run scripts/setup/kafka.sh (needs a JRE 17+)');
  }
}

/** Writes server.properties for `layout` and formats the KRaft log dir unless it already is. */
export function prepareBroker(layout: BrokerLayout): void {
  checkPrerequisites(layout.version);
  const logDir = join(layout.dataDir, 'kraft-log');
  mkdirSync(logDir, { recursive: true });
  const template = readFileSync(join(KAFKA_TOOLS_DIR, 'server.properties'), 'utf8');
  const values: Record<string, string> = {
    port: String(layout.port),
    controllerPort: String(layout.controllerPort),
    logDir,
  };
  const config = template.replace(/\$\{(\w+)\}/g, (_, k: string) => values[k] ?? `\${${k}}`);
  writeFileSync(layout.configFile, config);
  if (existsSync(join(logDir, 'meta.properties'))) return;
  // a base64url id may start with '-', which StorageTool's argument parser takes for a flag
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const res = spawnSync(
    'java',
    [...jvmArgs(layout.version), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', layout.configFile],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new KafkaBrokerError('RS_ERR_KAFKA_FORMAT', `Kafka ${layout.version} StorageTool format failed for ${logDir}: ${out}`);
  }
}

/** JVM flags: small heap, quick start (C1 only, serial GC, class archive), logging config for the version's backend. */
export function jvmArgs(version: string): string[] {
  const major = Number(version.split('.')[0]);
  const logging =
    major >= 4
      ? `-Dlog4j2.configurationFile=${join(KAFKA_TOOLS_DIR, 'log4j2.properties')}`
      : `-Dlog4j.configuration=file:${join(KAFKA_TOOLS_DIR, 'log4j.properties')}`;
  // Class-data-sharing archive made by scripts/setup/kafka.sh; a JVM that cannot use it ignores it.
  const archive = join(REPO_ROOT, '.cache/kafka', version, 'kafka.jsa');
  return [
    ...(existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off'] : []),
    '-Xms64m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
    logging,
    '-cp',
    `${kafkaLibsDir(version)}/*`,
  ];
}

// Brokers started by this process (not detached ones) die with it, so a crashed test leaves no JVM behind.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** Spawns kafka.Kafka with output appended to layout.logFile. */
export function spawnBroker(layout: BrokerLayout, detached = false): ChildProcess {
  const fd = openSync(layout.logFile, 'a');
  try {
    const child = spawn('java', [...jvmArgs(layout.version), 'kafka.Kafka', layout.configFile], {
      stdio: ['ignore', fd, fd],
      detached,
    });
    if (!detached) {
      liveChildren.add(child);
      child.once('exit', () => liveChildren.delete(child));
    }
    return child;
  } finally {
    closeSync(fd);
  }
}

export function readLogTail(logFile: string, lines = 20): string {
  if (!existsSync(logFile)) return '';
  const size = statSync(logFile).size;
  const text = readFileSync(logFile, 'utf8').slice(Math.max(0, size - 64 * 1024));
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Resolves once the broker answers a metadata request; rejects if `alive()` turns false or time runs out. */
export async function waitForBroker(bootstrap: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const kafka = new Kafka({
    clientId: 'retinastream-broker-probe',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000, // a broker still starting may accept connections before it answers
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the broker process exited');
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      last = 'no controller yet';
    } catch (err) {
      last = (err as Error).message;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no answer from ${bootstrap} within ${timeoutMs} ms (${last})`);
}

export async function startBroker(opts: BrokerOptions = {}): Promise<Broker> {
  const version = opts.version ?? process.env.RS_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  checkPrerequisites(version);
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'retinastream-kafka-'));
  mkdirSync(dataDir, { recursive: true });
  const layout: BrokerLayout = {
    version,
    port: opts.port ?? (await freePort()),
    controllerPort: opts.controllerPort ?? (await freePort()),
    dataDir,
    configFile: join(dataDir, 'server.properties'),
    logFile: join(dataDir, 'broker.log'),
  };
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const bootstrap = `127.0.0.1:${layout.port}`;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    prepareBroker(layout);
    const child = spawnBroker(layout);
    proc = child;
    let running = true;
    exited = new Promise((r) => child.once('exit', () => { running = false; r(); }));
    try {
      await waitForBroker(bootstrap, startTimeoutMs, () => running);
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      throw new KafkaBrokerError(
        'RS_ERR_KAFKA_START',
        `Kafka ${version} on ${bootstrap} did not start: ${(err as Error).message}; log ${layout.logFile}:\n${readLogTail(layout.logFile, 15)}`,
      );
    }
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  const broker: Broker = {
    bootstrap,
    port: layout.port,
    version,
    dataDir,
    get pid() {
      return proc?.pid;
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await launch();
    },
    close: async () => {
      await halt('SIGTERM');
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
    logTail: (lines = 20) => readLogTail(layout.logFile, lines),
  };
  return broker;
}
