// The model zoo as a user runs it: `models pull`, `models list`, `--model NAME`, against a local HTTP server that
// serves a generated torchvision checkpoint (no published checkpoint can be downloaded here) and random bytes at
// the official paths under RETINASTREAM_MODELS_MIRROR. Real processes, a real server, real conversion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZOO, mirrored } from '../../src/zoo/registry.ts';
import { startFileServer, type FileServer } from '../helpers/fileServer.ts';
import { tempDir } from '../helpers/media.ts';
import { PYTHON, torchvisionSkip } from '../helpers/torchvisionReference.ts';
import { REPO, runCli, type CliResult } from '../cli/cliProcess.ts';

/** stderr lines, without tfjs-node's "kernel ... already registered" start-up noise. */
const errLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l && !/^The kernel '.*' for backend '.*' is already registered$/.test(l));

describe('model zoo', { skip: torchvisionSkip() }, () => {
  let tmp: { dir: string; cleanup: () => void };
  let server: FileServer;
  let tiny: Buffer;
  let sha256: string;
  let md5: string;
  before(async () => {
    tmp = tempDir('rs-zoo-');
    const file = join(tmp.dir, 'tiny.pth');
    const r = spawnSync(PYTHON, [join(REPO, 'tools/reference/make_zoo_checkpoint.py'), file], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    tiny = readFileSync(file);
    sha256 = createHash('sha256').update(tiny).digest('hex');
    md5 = createHash('md5').update(tiny).digest('hex');
    server = await startFileServer();
    server.files.set('/ck/tiny.pth', tiny);
  });
  after(async () => {
    await server?.close();
    tmp?.cleanup();
  });

  const envFor = (cache: string, extra: NodeJS.ProcessEnv = {}) => ({ XDG_CACHE_HOME: join(tmp.dir, cache), RETINASTREAM_MODELS_DIR: '', ...extra });

  it('models list shows the five published RetinaNets with AP, source and licence', { timeout: 60_000 }, async () => {
    const r = await runCli(['models', 'list', '--json'], { env: envFor('c0') });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => [x.name, x.cocoAp, x.from, x.cached]), [
      ['retinanet_resnet50_fpn_coco', 36.4, 'torchvision', null],
      ['retinanet_resnet50_fpn_v2_coco', 41.5, 'torchvision', null],
      ['retinanet_R_50_FPN_1x', 37.4, 'detectron2', null],
      ['retinanet_R_50_FPN_3x', 38.7, 'detectron2', null],
      ['retinanet_R_101_FPN_3x', 40.4, 'detectron2', null],
    ]);
    assert.ok(rows.slice(2).every((x) => x.licence.startsWith('CC BY-SA 3.0')));
    // the checksum in each entry is the one in the official file name (sha256 prefix for torchvision, md5 for detectron2)
    for (const e of ZOO) {
      const fromName = /(?:-|_)([0-9a-f]{6,8})\.(?:pth|pkl)$/.exec(e.url)![1];
      assert.equal(e.checksum.hex, fromName, e.name);
      assert.equal(e.checksum.algorithm, e.from === 'torchvision' ? 'sha256' : 'md5');
    }
  });

  it('pull --url --sha256 --from: downloads with progress, verifies, converts, caches in $XDG_CACHE_HOME; --model NAME then finds it', { timeout: 180_000 }, async () => {
    const env = envFor('c1');
    const r = await runCli(['models', 'pull', '--url', `${server.base}/ck/tiny.pth`, '--sha256', sha256.slice(0, 8), '--from', 'torchvision', 'tiny'], { env, timeoutMs: 150_000 });
    assert.equal(r.code, 0, r.stderr);
    const dir = join(tmp.dir, 'c1', 'retinastream', 'models', 'tiny');
    assert.equal(r.stdout, `${dir}\n`);
    assert.match(r.stderr, /tiny \[#{30}\] 100% 80\.4\/80\.4 MB/, 'progress reached 100%');
    assert.match(r.stderr, /sha256 [0-9a-f]{16}\.\.\. verified/);
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(model.name, 'tiny');
    assert.equal(model.numClasses, 91);
    assert.deepEqual(readdirSync(join(tmp.dir, 'c1', 'retinastream', 'models', 'downloads')), [], 'the checkpoint is not kept after conversion');
    const list = await runCli(['models', 'list', '--json'], { env });
    assert.equal(JSON.parse(list.stdout.trim().split('\n').at(-1)!).cached, dir, 'the custom model is listed as cached');
    const info = await runCli(['info', '--json', 'tiny'], { env });
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).numClasses, 91);
    const again = await runCli(['models', 'pull', '--url', `${server.base}/ck/tiny.pth`, '--sha256', sha256, '--from', 'torchvision', 'tiny'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(server.requests.filter((q) => q.path === '/ck/tiny.pth').length, 1, 'a cached model is not downloaded again');
  });

  it('an interrupted download is resumed with a Range request; --md5 verifies too', { timeout: 180_000 }, async () => {
    const env = envFor('c2');
    server.cutNext.set('/ck/tiny.pth', 30_000_000);
    const args = ['models', 'pull', '--url', `${server.base}/ck/tiny.pth`, '--md5', md5.slice(0, 10), '--from', 'torchvision', 'tiny2'];
    const first = await runCli(args, { env, timeoutMs: 150_000 });
    assert.equal(first.code, 1);
    assert.match(errLines(first).at(-1)!, /^retinastream: tiny2: http:\/\/127\.0\.0\.1:\d+\/ck\/tiny\.pth: download interrupted at \d+ bytes \(.*\); run the same command again to resume$/);
    const part = join(tmp.dir, 'c2', 'retinastream', 'models', 'downloads', 'tiny2.pth.part');
    const have = statSync(part).size;
    assert.ok(have >= 30_000_000 && have < tiny.length, `partial file of ${have} bytes kept`);
    assert.ok(!existsSync(join(tmp.dir, 'c2', 'retinastream', 'models', 'tiny2')), 'nothing cached yet');
    const before = server.requests.length;
    const second = await runCli(args, { env, timeoutMs: 150_000 });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(server.requests.slice(before), [{ path: '/ck/tiny.pth', range: `bytes=${have}-` }]);
    assert.match(second.stderr, /tiny2: resuming /);
    assert.ok(existsSync(join(tmp.dir, 'c2', 'retinastream', 'models', 'tiny2', 'model.json')));
  });

  it('a checksum mismatch on a zoo model (via RETINASTREAM_MODELS_MIRROR) is one line and caches nothing', { timeout: 120_000 }, async () => {
    for (const e of [ZOO[0], ZOO[2]]) {
      const env = envFor(`c3-${e.name}`, { RETINASTREAM_MODELS_MIRROR: `${server.base}/mirror/` });
      const url = mirrored(e.url, `${server.base}/mirror`);
      assert.equal(url, `${server.base}/mirror${new URL(e.url).pathname}`);
      server.files.set(new URL(url).pathname, randomBytes(4096));
      const r = await runCli(['models', 'pull', e.name], { env });
      assert.equal(r.code, 1);
      const lines = errLines(r).filter((l) => !l.startsWith(`${e.name}: downloading`) && !l.startsWith(`${e.name} [`));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], new RegExp(`^retinastream: ${e.name}: checksum mismatch for ${url.replace(/[.?]/g, '\\$&')}: ${e.checksum.algorithm} [0-9a-f]{12}\\.\\.\\., expected ${e.checksum.hex}\\.\\.\\.; the download was deleted and nothing was cached$`));
      const root = join(tmp.dir, `c3-${e.name}`, 'retinastream', 'models');
      assert.deepEqual(readdirSync(root), ['downloads']);
      assert.deepEqual(readdirSync(join(root, 'downloads')), []);
    }
  });

  it('--model accepts a zoo name (pulled on first use) and rejects an unknown one in one line', { timeout: 120_000 }, async () => {
    const env = envFor('c4', { RETINASTREAM_MODELS_MIRROR: `${server.base}/mirror` });
    server.files.set('/mirror/detectron2/COCO-Detection/retinanet_R_101_FPN_3x/190397697/model_final_971ab9.pkl', randomBytes(1000));
    const r = await runCli(['run', '--model', 'retinanet_R_101_FPN_3x', '--no-ws', '--no-jsonl'], { env });
    assert.equal(r.code, 1);
    assert.match(errLines(r).at(-1)!, /^retinastream: retinanet_R_101_FPN_3x: checksum mismatch for http:/);
    assert.ok(server.requests.some((q) => q.path === '/mirror/detectron2/COCO-Detection/retinanet_R_101_FPN_3x/190397697/model_final_971ab9.pkl'), 'fetched from the mirror');
    const u = await runCli(['run', '--model', 'retinanet_r50', '--no-ws', '--no-jsonl'], { env });
    assert.equal(u.code, 1);
    assert.match(errLines(u).at(-1)!, /^retinastream: --model: "retinanet_r50" is neither a model directory nor a zoo model \(zoo: retinanet_resnet50_fpn_coco, /);
  });

  it('bad pull arguments are one line naming the flag', { timeout: 60_000 }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['models', 'pull', 'nope'], /"nope" is not in the zoo/],
      [['models', 'pull', '--url', `${server.base}/ck/tiny.pth`, '--from', 'torchvision', 'x'], /--sha256\/--md5: give exactly one checksum/],
      [['models', 'pull', '--url', `${server.base}/ck/tiny.pth`, '--sha256', 'xyz', '--from', 'torchvision', 'x'], /--sha256: "xyz" is not 8 to 64 hex digits/],
      [['models', 'pull', '--url', `${server.base}/ck/tiny.pth`, '--sha256', sha256, '--from', 'caffe', 'x'], /--from: "caffe", expected torchvision or detectron2/],
      [['models', 'pull', '--url', `${server.base}/ck/missing.pth`, '--sha256', sha256, '--from', 'torchvision', 'x'], /^retinastream: x: http:\/\/127\.0\.0\.1:\d+\/ck\/missing\.pth: HTTP 404 Not Found$/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { env: envFor('c5') });
      assert.notEqual(r.code, 0, args.join(' '));
      const lines = errLines(r).filter((l) => !/^x: downloading|^x \[/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], re);
    }
  });
});
