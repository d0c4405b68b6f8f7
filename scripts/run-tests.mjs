// Runs every test file under test/ (or the files/folders given) with Node's test runner and tsx.
// Usage: npm test [-- test/model test/pipeline/operators/batchFrames.test.ts]
//        npm run test:unit [-- FOLDER...]   the fast subset: no Kafka broker, no torchvision or
//                                            pycocotools, no RTSP server, no long end-to-end runs
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Left out of test:unit, with why. Paths relative to the repository, '/' separated. */
const NOT_UNIT = {
  'test/pipeline/sinks/kafkaSink.test.ts': 'starts real Kafka brokers (jars from scripts/setup/kafka.sh)',
  'test/model/torchvisionParity.test.ts': 'runs torchvision (Python)',
  'test/eval/pycocotoolsLive.test.ts': 'runs pycocotools (Python)',
  'test/pipeline/ingest/streamSource.rtsp.test.ts': 'starts a GStreamer RTSP server',
  'test/cli/commands/demoRun.test.ts': 'the whole demo video through the demo model',
  'test/cli/commands/pipelineBench.test.ts': 'a pipeline benchmark run',
  'test/train/trainer/trainCommand.test.ts': 'a training run through the CLI',
};

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (/\.test\.ts$/.test(path)) {
    out.push(path);
  }
  return out;
}

const argv = process.argv.slice(2);
const unit = argv.includes('--unit');
const roots = argv.filter((a) => a !== '--unit');
let files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (unit) files = files.filter((f) => !(f.split('\\').join('/').replace(/^\.\//, '') in NOT_UNIT));
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
const res = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(res.status ?? 1);
