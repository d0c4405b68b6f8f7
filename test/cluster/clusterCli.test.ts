// Bad input to the cluster commands, without a broker: one clear line naming the flag or key, non-zero exit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../cli/cliProcess.ts';
import { freePort } from '../helpers/kafkaBroker.ts';

const lastLine = (s: string) => s.trim().split('\n').at(-1)!;

describe('cluster CLI errors', () => {
  it('run --cluster without brokers, or with --input: the config key, exit 1', { timeout: 60_000 }, async () => {
    const noBrokers = await runCli(['run', '--cluster', 'c', '--no-ws']);
    assert.equal(noBrokers.code, 1);
    assert.equal(noBrokers.stderr, 'retinastream: cluster.name: a cluster worker needs sinks.kafka.brokers (flag --kafka-brokers)\n');
    const withInput = await runCli(['run', '--cluster', 'c', '--kafka-brokers', '127.0.0.1:1', '--input', 'a.mp4', '--no-ws']);
    assert.equal(withInput.code, 1);
    assert.match(withInput.stderr, /^retinastream: inputs: a cluster worker takes its streams from the registry/);
    const badTimeout = await runCli(['run', '--cluster', 'c', '--kafka-brokers', '127.0.0.1:1', '--session-timeout-ms', '100']);
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /--session-timeout-ms: "100" is not an integer in \[6000, 1800000\]/);
  });

  it('run --cluster with unreachable brokers: exits 1 with the brokers named, nothing left running', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const r = await runCli(['run', '--cluster', 'c', '--kafka-brokers', `127.0.0.1:${port}`, '--backend', 'wasm', '--workers', '1', '--no-ws'], { timeoutMs: 50_000 });
    assert.equal(r.signal, null, 'exited on its own');
    assert.equal(r.code, 1);
    assert.match(lastLine(r.stderr), new RegExp(`^retinastream: kafka brokers 127\\.0\\.0\\.1:${port}: connect failed \\(.*ECONNREFUSED`));
  });

  it('streams: unreachable brokers, no brokers, bad spec, bad subcommand', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const down = await runCli(['streams', 'ls', '--kafka-brokers', `127.0.0.1:${port}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`^retinastream: kafka brokers 127\\.0\\.0\\.1:${port}: connect failed`));
    assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
    const none = await runCli(['streams', 'rm', 'x'], { env: { RETINASTREAM_KAFKA_BROKERS: '' } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /streams rm: no Kafka brokers \(--kafka-brokers H:P/);
    const spec = await runCli(['streams', 'add', 'bad id=rtsp://cam/x', '--kafka-brokers', `127.0.0.1:${port}`]);
    assert.notEqual(spec.code, 0);
    assert.equal(spec.stderr.trim().split('\n').length, 1, spec.stderr);
    const transport = await runCli(['streams', 'add', 'c=rtsp://cam/x', '--rtsp-transport', 'quic', '--kafka-brokers', `127.0.0.1:${port}`]);
    assert.equal(transport.code, 1);
    assert.match(transport.stderr, /stream c\.rtspTransport: expected "tcp" or "udp"/);
    const sub = await runCli(['streams', 'list']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /streams: expected add, rm or ls, got "list"/);
  });
});
