// The `cluster` section of the run config: documented defaults, env and flags, and one-line errors naming the key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagsToConfig } from '../../src/cli/commands/run.ts';
import { resolveRunConfig } from '../../src/config/runConfig.ts';

const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const { file, flags } = flagsToConfig(argv);
  return resolveRunConfig({ file, env, flags: flags as never });
};

describe('cluster config', () => {
  it('defaults: not a cluster worker; registry retinastream.streams, 12 partitions, 30 s session, 3 s heartbeat', () => {
    assert.deepEqual(resolve([]).cluster, { name: null, workerId: null, registryTopic: 'retinastream.streams', partitions: 12, sessionTimeoutMs: 30000, heartbeatIntervalMs: 3000 });
  });

  it('flags and RETINASTREAM_CLUSTER', () => {
    const c = resolve(['--cluster', 'cams', '--kafka-brokers', 'k:9092', '--worker-id', 'a1', '--registry-topic', 'reg', '--partitions', '24', '--session-timeout-ms', '10000', '--heartbeat-interval-ms', '1000']).cluster;
    assert.deepEqual(c, { name: 'cams', workerId: 'a1', registryTopic: 'reg', partitions: 24, sessionTimeoutMs: 10000, heartbeatIntervalMs: 1000 });
    assert.equal(resolve([], { RETINASTREAM_CLUSTER: 'env-cams', RETINASTREAM_KAFKA_BROKERS: 'k:9092' }).cluster.name, 'env-cams');
  });

  it('bad values name the key', () => {
    assert.throws(() => resolve(['--cluster', 'a b', '--kafka-brokers', 'k:1']), { message: /^cluster\.name: "a b" is not null or 1-200 of/ });
    assert.throws(() => resolve(['--cluster', 'c', '--kafka-brokers', 'k:1', '--registry-topic', '..']), { message: /^cluster\.registryTopic: "\.\." is not a valid topic/ });
    assert.throws(() => resolve(['--cluster', 'c', '--kafka-brokers', 'k:1', '--session-timeout-ms', '9000', '--heartbeat-interval-ms', '4000']), {
      message: 'cluster.heartbeatIntervalMs: 4000 is not an integer in [100, 3000]',
    });
    assert.throws(() => resolve(['--partitions', '0']), { message: /^--partitions: "0" is not an integer in \[1, 10000\]/ });
  });
});
