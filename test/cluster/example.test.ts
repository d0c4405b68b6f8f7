// The deployment example (examples/cluster): the systemd unit is valid for systemd, its ExecStart= flags and
// Environment= lines make a valid cluster-worker config, and the launcher refuses to run without a name.
// (The cluster test starts one of its workers through run-workers.sh.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flagsToConfig } from '../../src/cli/commands/run.ts';
import { resolveRunConfig } from '../../src/config/runConfig.ts';
import { tempDir } from '../helpers/media.ts';

const DIR = join(import.meta.dirname, '..', '..', 'examples', 'cluster');
const UNIT = join(DIR, 'retinastream-worker@.service');
const unit = readFileSync(UNIT, 'utf8');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

describe('examples/cluster', () => {
  it('systemd-analyze verify accepts an instance of the unit', { skip: hasSystemdAnalyze ? false : 'systemd-analyze not installed' }, () => {
    const tmp = tempDir('rs-unit-');
    try {
      const instance = join(tmp.dir, 'retinastream-worker@1.service');
      copyFileSync(UNIT, instance);
      const r = spawnSync('systemd-analyze', ['verify', instance], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } finally {
      tmp.cleanup();
    }
  });

  it("the unit's ExecStart= and Environment= make a valid cluster worker config", () => {
    const exec = /^ExecStart=\/usr\/bin\/env retinastream run (.*)$/m.exec(unit);
    assert.ok(exec, 'ExecStart=/usr/bin/env retinastream run ...');
    const env = Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const argv = exec[1]!.replaceAll('%H', hostname()).replaceAll('%i', '1').split(/\s+/);
    const { file, flags } = flagsToConfig(argv);
    const cfg = resolveRunConfig({ file, env, flags: flags as never });
    assert.equal(cfg.cluster.name, 'cameras');
    assert.deepEqual(cfg.sinks.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(cfg.cluster.workerId, `${hostname()}-1`);
    assert.equal(cfg.sinks.jsonl, null);
  });

  it('run-workers.sh without a worker name: a one-line error, exit 2', () => {
    const r = spawnSync(join(DIR, 'run-workers.sh'), [], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^run-workers.sh: expected one or more worker names/);
  });
});
