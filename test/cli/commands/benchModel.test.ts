// `retinastream bench model --rounds N` on a tiny input: not timing anything, but checking that the printed
// figures are the rounds it ran (each side's images/s over all its rounds, the ratio of those) against the real
// torchvision reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nativeSkip } from '../../helpers/nativeBackend.ts';
import { torchvisionSkip } from '../../helpers/torchvisionReference.ts';
import { runCli } from '../cliProcess.ts';

describe('retinastream bench model', { skip: torchvisionSkip() }, () => {
  it('--rounds 2 --json: ours and torchvision per round, combined over the rounds', { timeout: 240_000 }, async () => {
    const r = await runCli(['bench', 'model', '--depth', '50', '--size', '64x96', '--iters', '1', '--workers', '1', '--rounds', '2', '--json'], { timeoutMs: 230_000 });
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout.trim()) as {
      ours: { images_per_s: number; gflops_per_s: number; gmacs_per_image: number };
      torchvision: { images_per_s: number };
      ratio: number;
      rounds: { ours: number; torchvision: number }[];
    };
    assert.equal(rep.rounds.length, 2);
    assert.ok(rep.rounds.every((p) => p.ours > 0 && p.torchvision > 0));
    const harmonic = (xs: number[]) => xs.length / xs.reduce((a, x) => a + 1 / x, 0);
    assert.ok(Math.abs(rep.ours.images_per_s - harmonic(rep.rounds.map((p) => p.ours))) < 1e-9);
    assert.ok(Math.abs(rep.torchvision.images_per_s - harmonic(rep.rounds.map((p) => p.torchvision))) < 1e-9);
    assert.ok(Math.abs(rep.ratio - rep.ours.images_per_s / rep.torchvision.images_per_s) < 1e-9);
    assert.ok(Math.abs(rep.ours.gflops_per_s - 2 * rep.ours.gmacs_per_image * rep.ours.images_per_s) < 1e-6);
  });

  it('--precision bf16 on the native backend prints the fp32 and bf16 matmul rates beside the model\'s', { skip: nativeSkip(), timeout: 240_000 }, async () => {
    const r = await runCli(['bench', 'model', '--backend', 'tensorflow', '--precision', 'bf16', '--depth', '50', '--size', '64x96', '--iters', '1', '--workers', '1', '--no-reference', '--json'], { timeoutMs: 230_000 });
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout.trim()) as { ours: { backend: string; matmul_gflops_per_s: Record<string, number> } };
    assert.match(rep.ours.backend, /bf16/);
    assert.deepEqual(Object.keys(rep.ours.matmul_gflops_per_s), ['fp32', 'bf16']);
    assert.ok(Object.values(rep.ours.matmul_gflops_per_s).every((v) => v > 1), JSON.stringify(rep.ours.matmul_gflops_per_s));
  });

  it('rejects a bad --rounds in one line', { timeout: 60_000 }, async () => {
    const r = await runCli(['bench', 'model', '--rounds', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /^retinastream: --rounds: "0" is not an integer in \[1, 100\]$/);
  });
});
