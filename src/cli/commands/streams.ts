// retinastream streams add|rm|ls: the cluster's stream registry (a compacted Kafka topic, key = stream id,
// value = input spec, tombstone = removed). Workers (`run --cluster NAME`) react to changes at once.
import { resolve } from 'node:path';
import { resolveRunConfig, type RunConfig } from '../../config/runConfig.ts';
import { checkStreamSpec, decodeStreamSpec, encodeStreamSpec, type StreamSpec } from '../../cluster/streamSpec.ts';
import { redactCredentials } from '../../pipeline/ingest/ffmpegLog.ts';
import { parseInputArg } from '../../pipeline/ingest/index.ts';
import { createRegistryStore, type RegistryStore } from '../../pipeline/kafkaClient.ts';
import type { PipelineEvent } from '../../pipeline/types.ts';
import { intFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { RetinaStreamError } from '../../errors.ts';

export class RegistryError extends RetinaStreamError<'RS_ERR_STREAM_UNKNOWN' | 'RS_ERR_STREAM_EXISTS'> {}

function configFor(values: { config?: string; 'kafka-brokers'?: string; 'registry-topic'?: string; partitions?: string; 'kafka-status-topic'?: string }, cmd: string): RunConfig {
  const flags: Record<string, unknown> = {};
  const kafka: Record<string, unknown> = {};
  if (values['kafka-brokers']) kafka.brokers = values['kafka-brokers'].split(',').filter(Boolean);
  if (values['kafka-status-topic']) kafka.statusTopic = values['kafka-status-topic'];
  if (Object.keys(kafka).length) flags.sinks = { kafka };
  const cluster: Record<string, unknown> = {};
  if (values['registry-topic']) cluster.registryTopic = values['registry-topic'];
  if (values.partitions) cluster.partitions = intFlag('partitions', values.partitions, 12, 1, 10000);
  if (Object.keys(cluster).length) flags.cluster = cluster;
  const cfg = resolveRunConfig({ file: values.config, env: process.env, flags: flags as never });
  if (cfg.sinks.kafka.brokers.length === 0) throw new UsageError(`retinastream streams ${cmd}: no Kafka brokers (--kafka-brokers H:P, env RETINASTREAM_KAFKA_BROKERS or sinks.kafka.brokers)`);
  return cfg;
}

/** The registry now: stream id -> spec (tombstones applied; bad values reported and skipped). */
export async function readRegistry(store: RegistryStore, topic: string, warn: (m: string) => void = () => {}): Promise<Map<string, StreamSpec>> {
  const out = new Map<string, StreamSpec>();
  for (const r of await store.read(topic)) {
    try {
      const spec = decodeStreamSpec(r.key, r.value);
      if (spec) out.set(r.key, spec);
      else out.delete(r.key);
    } catch (e) {
      warn(`${(e as Error).message} (partition ${r.partition} offset ${r.offset}); skipped`);
      out.delete(r.key);
    }
  }
  return out;
}

/** Latest status event per stream among the last `tail` records of each partition of the status topic. */
export async function latestStatus(store: RegistryStore, topic: string, tail = 500): Promise<Map<string, { worker?: string; state: string; time: string }>> {
  const out = new Map<string, { worker?: string; state: string; time: string }>();
  if (topic.includes('{stream}')) return out;
  for (const r of await store.read(topic, { tailPerPartition: tail })) {
    try {
      const e = JSON.parse(r.value ?? 'null') as PipelineEvent | null;
      if (e?.type !== 'status') continue;
      const prev = out.get(e.streamId);
      if (!prev || prev.time <= e.time) out.set(e.streamId, { worker: e.worker, state: e.state, time: e.time });
    } catch {
      // not an event
    }
  }
  return out;
}

async function withStore<T>(cfg: RunConfig, fn: (store: RegistryStore) => Promise<T>): Promise<T> {
  const store = createRegistryStore({ brokers: cfg.sinks.kafka.brokers, clientId: `${cfg.sinks.kafka.clientId}-streams` });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function add(argv: string[]): Promise<number> {
  const { values, positionals } = parse('streams add', argv, {
    config: { type: 'string' },
    'kafka-brokers': { type: 'string' },
    'registry-topic': { type: 'string' },
    partitions: { type: 'string' },
    live: { type: 'boolean' },
    loop: { type: 'boolean' },
    'rtsp-transport': { type: 'string' },
    replace: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('retinastream streams add: expected one [ID=]URL');
  const { id, url: given } = parseInputArg(positionals[0]!);
  // a file path is kept absolute: workers run elsewhere (the file must be at that path on every worker machine)
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) || given.startsWith('/') ? given : resolve(given);
  const spec = checkStreamSpec(id, { url, ...(values.live ? { live: true } : {}), ...(values.loop ? { loop: true } : {}), ...(values['rtsp-transport'] ? { rtspTransport: values['rtsp-transport'] } : {}) }, `stream ${id}`);
  const cfg = configFor(values, 'add');
  const topic = cfg.cluster.registryTopic;
  return withStore(cfg, async (store) => {
    await store.ensureTopic(topic, cfg.cluster.partitions, { compact: true });
    const existing = (await readRegistry(store, topic)).get(id);
    if (existing && !values.replace) throw new RegistryError('RS_ERR_STREAM_EXISTS', `streams add: stream "${id}" is already in ${topic} (${redactCredentials(existing.url)}); --replace to change it`);
    await store.put(topic, id, encodeStreamSpec(spec));
    process.stdout.write(`${existing ? 'replaced' : 'added'} ${id} ${redactCredentials(spec.url)}\n`);
    return 0;
  });
}

async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = parse('streams rm', argv, {
    config: { type: 'string' },
    'kafka-brokers': { type: 'string' },
    'registry-topic': { type: 'string' },
  });
  if (positionals.length === 0) throw new UsageError('retinastream streams rm: expected one or more stream ids');
  const cfg = configFor(values, 'rm');
  const topic = cfg.cluster.registryTopic;
  return withStore(cfg, async (store) => {
    const registry = await readRegistry(store, topic);
    const unknown = positionals.filter((id) => !registry.has(id));
    if (unknown.length) throw new RegistryError('RS_ERR_STREAM_UNKNOWN', `streams rm: no stream ${unknown.map((u) => `"${u}"`).join(', ')} in ${topic} (see retinastream streams ls)`);
    for (const id of positionals) {
      await store.put(topic, id, null);
      process.stdout.write(`removed ${id}\n`);
    }
    return 0;
  });
}

async function ls(argv: string[]): Promise<number> {
  const { values, positionals } = parse('streams ls', argv, {
    config: { type: 'string' },
    'kafka-brokers': { type: 'string' },
    'registry-topic': { type: 'string' },
    'kafka-status-topic': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`retinastream streams ls: unexpected argument "${positionals[0]}"`);
  const cfg = configFor(values, 'ls');
  return withStore(cfg, async (store) => {
    const registry = await readRegistry(store, cfg.cluster.registryTopic, (m) => process.stderr.write(`retinastream streams ls: ${m}\n`));
    const status = await latestStatus(store, cfg.sinks.kafka.statusTopic);
    const rows = [...registry.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((s) => {
        const st = status.get(s.id);
        // a stream last seen 'ended' on a worker is between workers (or stopped)
        const running = st && st.state !== 'ended' && st.state !== 'failed';
        return { id: s.id, url: redactCredentials(s.url), worker: running ? (st.worker ?? null) : null, state: st?.state ?? 'unknown', ...(s.live !== undefined ? { live: s.live } : {}), ...(s.loop ? { loop: true } : {}) };
      });
    if (values.json) {
      for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
      return 0;
    }
    const table = [['ID', 'WORKER', 'STATE', 'URL'], ...rows.map((r) => [r.id, r.worker ?? '-', r.state, r.url])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) process.stdout.write(row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ') + '\n');
    return 0;
  });
}

export async function streamsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return add(rest);
  if (sub === 'rm') return rm(rest);
  if (sub === 'ls') return ls(rest);
  throw new UsageError(`retinastream streams: expected add, rm or ls${sub ? `, got "${sub}"` : ''}`);
}
