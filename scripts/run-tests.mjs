// Runs every test file under test/ (or the files/folders given) with Node's test runner and tsx, once per
// compute backend for the tests that touch the model.
//
//   npm test [-- test/model test/pipeline/batcher.test.ts]   all tests (or those given)
//   npm run test:unit [-- FOLDER...]                         the fast subset: no Kafka broker, no torchvision or
//                                                            pycocotools, no RTSP server, no long end-to-end runs
//
// Backends: the first pass runs every file with RETINASTREAM_BACKEND set to the first backend; later passes run
// the model-touching files (BOTH_BACKENDS) again on each other backend. By default the backends are
// "tensorflow,wasm" when the native build exists (npm run setup:native) or under CI (where it must exist:
// .ci/run builds it), else "wasm". RETINASTREAM_TEST_BACKENDS=wasm (or tensorflow, or both) overrides.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Tests that run the model (inference or training) and so run on every backend. */
const BOTH_BACKENDS = [
  'test/model',
  'test/backend',
  'test/train/trainer',
  'test/pipeline/pipeline.test.ts',
  'test/convert/detectron2.test.ts',
  'test/cli/commands/detect.test.ts',
];
/** Left out of test:unit, with why. Paths relative to the repository, '/' separated. */
const NOT_UNIT = {
  'test/pipeline/sinks/kafkaSink.test.ts': 'starts real Kafka brokers (jars from scripts/setup/kafka.sh)',
  'test/model/torchvisionParity.test.ts': 'runs torchvision (Python)',
  'test/model/torchvisionParityBf16.test.ts': 'runs torchvision (Python)',
  'test/eval/pycocotoolsLive.test.ts': 'runs pycocotools (Python)',
  'test/pipeline/ingest/streamSource.rtsp.test.ts': 'starts a GStreamer RTSP server',
  'test/cli/commands/demoRun.test.ts': 'the whole demo video through the demo model',
  'test/cli/commands/pipelineBench.test.ts': 'a pipeline benchmark run',
  'test/cli/commands/trackingBench.test.ts': 'runs TrackEval and supervision (Python) on the demo model\'s detections',
  'test/bench/trackingBench.test.ts': 'runs TrackEval and supervision (Python)',
  'test/train/trainer/trainCommand.test.ts': 'a training run through the CLI',
  'test/cluster/cluster.test.ts': 'a Kafka broker and four worker processes',
};

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (/\.test\.ts$/.test(path)) {
    out.push(path);
  }
  return out;
}

const under = (file, roots) => roots.some((r) => file === r || file.startsWith(r.endsWith('/') ? r : r + '/'));
const argv = process.argv.slice(2);
const unit = argv.includes('--unit');
const roots = argv.filter((a) => a !== '--unit');
let files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (unit) files = files.filter((f) => !(f.split('\\').join('/').replace(/^\.\//, '') in NOT_UNIT));

const nativeBuilt = existsSync(join('.native', 'cpu', 'BUILT'));
const backends = (process.env.RETINASTREAM_TEST_BACKENDS ?? (nativeBuilt || process.env.CI ? 'tensorflow,wasm' : 'wasm')).split(',');

const tapDir = mkdtempSync(join(tmpdir(), 'rs-tests-'));
// The tests' temporary files (os.tmpdir(), Python's tempfile, ffmpeg's) go to a folder of this run, removed at its
// end: a test that does not remove its own (tiny models, training data, a test killed by its timeout) leaves nothing
// behind. Before this, a few hundred runs had left 45 GB in /tmp and filled the disk.
const testTmp = join(tapDir, 'tmp');
mkdirSync(testTmp);
const totals = { pass: 0, fail: 0, skipped: 0 };
let status = 0;
backends.forEach((backend, i) => {
  const passFiles = i === 0 ? files : files.filter((f) => under(f, BOTH_BACKENDS));
  if (!passFiles.length) return;
  console.log(`\n== tests on the ${backend} backend: ${passFiles.length} files${i === 0 ? '' : ' (the ones that run the model)'}\n`);
  const tap = join(tapDir, `${backend}.tap`);
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...passFiles],
    { stdio: 'inherit', env: { ...process.env, RETINASTREAM_BACKEND: backend, TMPDIR: testTmp } },
  );
  if (res.status !== 0) status = res.status ?? 1;
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  totals.pass += count('pass');
  totals.fail += count('fail');
  totals.skipped += count('skipped');
});
rmSync(tapDir, { recursive: true, force: true });
console.log(`\nbackends: ${backends.join(', ')}`);
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(status);
