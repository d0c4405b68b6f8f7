// convert --bn-eps E: the frozen-BatchNorm epsilon written to model.json (backbone.bnEps) and folded into the
// convolutions. A torchvision v1 checkpoint converts with eps 0 (as torchvision runs its COCO weights); a v1
// model a user trained keeps BatchNorm's 1e-5 and needs --bn-eps 1e-5. Real CLI processes, a real .pth.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture } from '../../convert/fixtures.ts';
import { tempDir } from '../../helpers/media.ts';
import { runCli } from '../cliProcess.ts';

describe('convert --bn-eps', () => {
  const tmp = tempDir('rs-bn-eps-');
  after(() => tmp.cleanup());
  const bnEps = (dir: string) => (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { backbone: { bnEps: number } }).backbone.bnEps;

  it('v1 converts with eps 0 by default, with the given eps when asked, and says so', async () => {
    const pth = fixture('tv_v1.pth');
    const plain = await runCli(['convert', '--from', 'torchvision', pth, '-o', join(tmp.dir, 'v1')], { timeoutMs: 120_000 });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(bnEps(join(tmp.dir, 'v1')), 0);
    assert.match(plain.stderr, /bnEps = 0.*--bn-eps 1e-5/);
    const eps = await runCli(['convert', '--from', 'torchvision', pth, '-o', join(tmp.dir, 'v1-eps'), '--bn-eps', '1e-5'], { timeoutMs: 120_000 });
    assert.equal(eps.code, 0, eps.stderr);
    assert.equal(bnEps(join(tmp.dir, 'v1-eps')), 1e-5);
    assert.match(eps.stderr, /backbone\.bnEps = 0\.00001 \(--bn-eps; the converter's default was 0\)/);
    // the weights are the checkpoint's either way (eps is folded at load): same hash
    assert.equal(plain.stdout.split(' ').pop(), eps.stdout.split(' ').pop());
    rmSync(join(tmp.dir, 'v1-eps'), { recursive: true, force: true });
  });

  for (const bad of ['-1', 'abc', '', '0.5']) {
    it(`refuses --bn-eps "${bad}" in one line`, async () => {
      const r = await runCli(['convert', '--from', 'torchvision', fixture('tv_v1.pth'), '-o', join(tmp.dir, 'bad'), `--bn-eps=${bad}`]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`--bn-eps: "${bad}" is not a number in \\[0, 0\\.1\\]`));
    });
  }
});
