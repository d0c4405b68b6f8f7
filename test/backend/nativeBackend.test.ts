// The native TensorFlow backend (tfjs-node's addon built by `npm run setup:native`): selection, the one-line
// errors when it is missing, the precision setting, and the kernels we replace (conv gradients with the
// explicit padding the model uses) against the cpu backend. Real processes where process-wide state matters
// (which backend loaded, the environment TensorFlow saw).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nativeSkip, REPO_ROOT } from '../helpers/nativeBackend.ts';

/** Runs a TypeScript snippet in a fresh Node process (tsx) and returns its stdout as JSON. */
function runSnippet(code: string, env: NodeJS.ProcessEnv = {}): { json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, RETINASTREAM_BACKEND: '', ...env },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `snippet failed: ${r.stderr}`);
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>, stderr: r.stderr };
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'retinastream.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, RETINASTREAM_BACKEND: '', ...env },
    timeout: 120_000,
  });
}

describe('native backend: a missing build', () => {
  const empty = mkdtempSync(join(tmpdir(), 'rs-no-native-'));
  it('is skipped by automatic selection with a one-line note, and the run goes on on wasm', () => {
    const { json } = runSnippet(
      `const { selectBackend } = await import('./src/backend/select.ts');
       const c = await selectBackend();
       console.log(JSON.stringify({ name: c.name, notes: c.notes }));`,
      { RETINASTREAM_NATIVE_DIR: empty },
    );
    assert.equal(json.name, 'wasm');
    const notes = json.notes as string[];
    assert.ok(notes.some((n) => n.startsWith('tensorflow: ') && n.includes(empty) && n.includes('not installed')), notes.join(' | '));
    assert.ok(notes.every((n) => !n.includes('\n')));
  });
  it('forced with --backend tensorflow: one line naming the backend and how to install it, exit 1', () => {
    const r = runCli(['info', join(REPO_ROOT, 'models', 'demo'), '--backend', 'tensorflow'], { RETINASTREAM_NATIVE_DIR: empty });
    assert.equal(r.status, 1);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /--backend: could not initialise tensorflow .*not installed.*npm run setup:native/);
    rmSync(empty, { recursive: true, force: true });
  });
  it('bf16 on wasm is refused in one line', () => {
    const r = runCli(['info', join(REPO_ROOT, 'models', 'demo'), '--backend', 'wasm', '--precision', 'bf16']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'retinastream: --precision: bf16 runs on the tensorflow backends only, not on wasm');
  });
});

describe('native backend', { skip: nativeSkip() }, () => {
  it('is selected first when built, reports TensorFlow 2.21.0 on the CPU with oneDNN, and prints nothing on stderr', () => {
    const r = runCli(['info', join(REPO_ROOT, 'models', 'demo'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'TensorFlow start-up notices are muted');
    const info = JSON.parse(r.stdout) as { backend: string; tensorflow: { version: string; device: string; onednn: boolean; precision: string } };
    assert.match(info.backend, /^tensorflow 2\.21\.0 \(CPU, oneDNN, fp32/);
    assert.deepEqual({ ...info.tensorflow, library: undefined }, { version: '2.21.0', device: 'CPU', onednn: true, precision: 'fp32', library: undefined });
  });

  it('bf16: oneDNN gets its fpmath mode before TensorFlow loads, and the variable is gone afterwards (children never see it)', () => {
    const { json } = runSnippet(
      `const { selectBackend, describeBackend } = await import('./src/backend/select.ts');
       const { execFileSync } = await import('node:child_process');
       const c = await selectBackend('tensorflow', { precision: 'bf16' });
       const child = execFileSync('/usr/bin/env', { encoding: 'utf8' });
       console.log(JSON.stringify({ precision: c.precision, described: describeBackend(c), inEnv: process.env.ONEDNN_DEFAULT_FPMATH_MODE ?? null, inChild: /ONEDNN_DEFAULT_FPMATH_MODE/.test(child) }));`,
      { ONEDNN_VERBOSE: '1' },
    );
    assert.equal(json.precision, 'bf16');
    assert.equal(json.inEnv, null);
    assert.equal(json.inChild, false);
    assert.match(json.described as string, /bf16/);
  });

  it('the worker threads run at the precision asked for (it reaches them, and their backend line says so)', () => {
    const { json } = runSnippet(
      `const { createEngine } = await import('./src/model/engine.ts');
       const { DetectorPool } = await import('./src/model/workers/detectorPool.ts');
       const { describeBackend } = await import('./src/backend/select.ts');
       const engine = await createEngine({ modelDir: 'models/demo', backend: 'tensorflow', precision: 'bf16', workers: 2 });
       const description = engine.description;
       await engine.close();
       // what a worker itself reports (the engine's description is the main thread's)
       const pool = await DetectorPool.create('models/demo', 1, { backend: 'tensorflow', precision: 'bf16' });
       const worker = describeBackend(pool.backend);
       await pool.close();
       console.log(JSON.stringify({ description, worker }));`,
    );
    assert.match(json.description as string, /^tensorflow 2\.21\.0 \(CPU, oneDNN, bf16, .* x2 worker threads$/);
    assert.match(json.worker as string, /^tensorflow 2\.21\.0 \(CPU, oneDNN, bf16, /);
  });

  it('bf16 reaches oneDNN: its primitives carry the bf16 fpmath attribute (fp32 ones do not)', () => {
    const probe = (precision: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', `const { selectBackend } = await import('./src/backend/select.ts'); await selectBackend('tensorflow', { precision: '${precision}' });`], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, RETINASTREAM_BACKEND: '', ONEDNN_VERBOSE: '1' },
      }).stdout;
    assert.match(probe('bf16'), /primitive,exec,cpu,convolution.*attr-fpmath:bf16/);
    const fp32 = probe('fp32');
    assert.match(fp32, /primitive,exec,cpu,convolution/);
    assert.doesNotMatch(fp32, /attr-fpmath:bf16/);
  });

  it('the engine runs inference in a worker thread: the event loop keeps turning during a forward pass', () => {
    const { json } = runSnippet(`
      const { createEngine } = await import('./src/model/engine.ts');
      const { createDetector } = await import('./src/model/detector.ts');
      const { defaultModelConfig } = await import('./src/model/config.ts');
      const { initWeights } = await import('./src/model/init.ts');
      const { saveModelDir } = await import('./src/model/modelDir.ts');
      const { mkdtempSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(join(tmpdir(), 'rs-native-engine-'));
      const config = defaultModelConfig({ name: 'e', backbone: { depth: 50 }, input: { minSize: 384, maxSize: 384 } });
      await saveModelDir(dir, config, initWeights(config, 0));
      const batch = () => ({ data: new Uint8Array(384 * 384 * 3).fill(90), count: 1, height: 384, width: 384, geometry: [{ resized: [384, 384], source: [384, 384] }] });
      /** The longest gap between 5 ms timer ticks while f runs. */
      async function maxLag(f) {
        let last = performance.now(), worst = 0;
        const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; }, 5);
        const t = performance.now();
        await f();
        const took = performance.now() - t;
        worst = Math.max(worst, performance.now() - last); // a loop blocked until now never ticked
        clearInterval(timer);
        return { worst, took };
      }
      const engine = await createEngine({ modelDir: dir, backend: 'tensorflow' });
      await engine.detectCanvases(batch());
      const worker = await maxLag(() => engine.detectCanvases(batch()));
      await engine.close();
      const detector = await createDetector({ model: dir, backend: 'tensorflow' });
      await detector.detectCanvases(batch());
      const inThread = await maxLag(() => detector.detectCanvases(batch()));
      console.log(JSON.stringify({ description: engine.description, worker, inThread }));`);
    const { description, worker, inThread } = json as { description: string; worker: { worst: number; took: number }; inThread: { worst: number; took: number } };
    assert.match(description, /^tensorflow 2\.21\.0 .* x\d+ worker threads?$/);
    // in this thread the loop stops for about a whole forward pass; with the worker it keeps ticking
    assert.ok(inThread.worst > inThread.took / 2, `in-thread control: worst gap ${inThread.worst} ms of ${inThread.took} ms`);
    assert.ok(worker.worst < worker.took / 4, `worker: worst event-loop gap ${worker.worst.toFixed(0)} ms during a ${worker.took.toFixed(0)} ms forward pass`);
  });

  it('Step (the ReLU gradient mask) equals the cpu backend: NaN, infinities, signed zeros, alpha 0 and not', () => {
    const { json } = runSnippet(`
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      const { selectBackend } = await import('./src/backend/select.ts');
      await selectBackend('tensorflow');
      const values = [NaN, -Infinity, -2.5, -1e-30, -0, 0, 1e-30, 3, Infinity];
      async function steps(backend) {
        await tf.setBackend(backend);
        const f = tf.tensor(values, [3, 3]);
        return [Array.from(await tf.step(f).data()), Array.from(await tf.step(f, 0.25).data()), tf.step(f).dtype];
      }
      const ours = await steps('tensorflow');
      const cpu = await steps('cpu');
      // a relu gradient through a whole conv+relu on the tensorflow backend still runs
      await tf.setBackend('tensorflow');
      const g = tf.grad((x) => tf.sum(tf.relu(x)))(tf.tensor([-1, 0, 2, NaN]));
      console.log(JSON.stringify({ ours: JSON.stringify(ours), cpu: JSON.stringify(cpu), reluGrad: JSON.stringify(Array.from(await g.data())) }));`);
    assert.equal(json.ours, json.cpu);
    assert.equal(json.reluGrad, JSON.stringify([0, 0, 1, null]));
  });

  it('conv gradients with explicit (PyTorch) padding equal the cpu backend, strides 1 and 2, kernels 1, 3 and 7, odd and even sizes', () => {
    const { json } = runSnippet(`
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      const { selectBackend } = await import('./src/backend/select.ts');
      const { symmetricPad } = await import('./src/model/layers.ts');
      await selectBackend('tensorflow');
      const cases = [[3, 1, 13, 10], [3, 2, 13, 10], [3, 2, 12, 11], [1, 1, 13, 10], [1, 2, 12, 10], [7, 2, 13, 10], [7, 2, 12, 12]];
      const seeded = (shape, seed) => { let s = seed; return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5)); };
      async function grads(backend) {
        await tf.setBackend(backend);
        const out = [];
        for (const [k, s, h, wd] of cases) {
          const x = tf.tensor(seeded([2, h, wd, 5], k * 10 + s + h), [2, h, wd, 5]);
          const w = tf.tensor(seeded([k, k, 5, 6], k + s), [k, k, 5, 6]);
          const b = tf.tensor(seeded([6], 9), [6]);
          const f = (x, w) => { const y = tf.fused.conv2d({ x, filter: w, strides: s, pad: symmetricPad((k - 1) >> 1), bias: b, activation: 'relu' }); return tf.sum(tf.mul(y, tf.tensor(seeded(y.shape, 99), y.shape))); };
          const [dx, dw] = tf.grads(f)([x, w]);
          out.push([Array.from(await dx.data()), Array.from(await dw.data())]);
        }
        return out;
      }
      const ours = await grads('tensorflow');
      const cpu = await grads('cpu');
      const err = ours.map((c, i) => c.map((g, j) => { const ref = cpu[i][j]; const scale = Math.max(...ref.map(Math.abs)); return Math.max(...g.map((v, n) => Math.abs(v - ref[n]))) / scale; }));
      console.log(JSON.stringify({ err, cases }));`);
    const err = json.err as number[][];
    err.forEach((pair, i) => pair.forEach((e, j) => assert.ok(e < 1e-5, `case ${JSON.stringify((json.cases as number[][])[i])} ${j ? 'dW' : 'dx'}: relative error ${e}`)));
  });
});
