// Run as a child process by test/model/graphModel.test.ts (ONEDNN_VERBOSE must be set before TensorFlow loads):
// builds the bf16 graph of a random-weight R-50-FPN and runs it twice on the same input, printing a marker line
// before each forward, so that the parent can tell which oneDNN primitives ran in which forward.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backend/select.ts';
import { defaultModelConfig } from '../../src/model/config.ts';
import { GraphForward } from '../../src/model/graph/graphModel.ts';
import { initWeights } from '../../src/model/init.ts';
import { buildParams } from '../../src/model/params.ts';

await selectBackend('tensorflow');
const config = defaultModelConfig({ name: 'two_forwards', numClasses: 5, backbone: { depth: 50 } });
const params = buildParams(initWeights(config, 1), config.backbone.bnEps);
const graph = GraphForward.create(config, params, { precision: 'bf16' });
params.dispose();
process.stdout.write(`conv nodes: ${graph.convNodes}\n`);
const x = tf.randomUniform([1, 256, 320, 3], -2, 2, 'float32', 5) as tf.Tensor4D;
for (const n of [1, 2]) {
  process.stdout.write(`=== forward ${n}\n`);
  tf.tidy(() => void graph.forward(x));
}
process.stdout.write('=== done\n');
graph.dispose();
