// One detector per worker thread: the wasm backend runs single-threaded in Node, so a second core
// needs a second thread with its own copy of the model. Messages: {id, batch} -> {id, result | error, tensors}.
import { parentPort, workerData } from 'node:worker_threads';
import type { Precision } from '../../backend/precision.ts';
import { lowerThisThread } from '../../backend/threadPriority.ts';
import type { CanvasBatch, Detector } from '../detector.ts';

interface Init {
  modelDir: string;
  backend?: string;
  precision?: Precision;
  execution?: 'graph' | 'eager';
  postprocess?: Record<string, number>;
  /** The hash the main thread computed: the weights this worker loads must be the same file. */
  expectedHash?: string;
  /** This thread's nice value (threadPriority.ts), set before the backend loads so its threads inherit it. */
  nice?: number;
}

const init = workerData as Init;
lowerThisThread(init.nice ?? 0);
const tf = await import('@tensorflow/tfjs-core');
const { createDetector } = await import('../detector.ts');
const detectorP: Promise<Detector> = createDetector({ model: init.modelDir, backend: init.backend, precision: init.precision, execution: init.execution, postprocess: init.postprocess }).then((d) => {
  if (init.expectedHash !== undefined && d.model.hash !== init.expectedHash) {
    d.dispose();
    throw new Error(`${init.modelDir}: the weights changed during start-up (the main thread read ${init.expectedHash}, this worker read ${d.model.hash})`);
  }
  return d;
});
detectorP.then(
  (d) => parentPort!.postMessage({ ready: true, backend: d.backend }),
  (e: Error) => parentPort!.postMessage({ ready: false, error: e.message }),
);

parentPort!.on('message', async (msg: { id: number; batch: CanvasBatch } | { close: true }) => {
  if ('close' in msg) {
    (await detectorP).dispose();
    process.exit(0);
  }
  try {
    const result = await (await detectorP).detectCanvases(msg.batch);
    parentPort!.postMessage({ id: msg.id, result, tensors: tf.memory().numTensors });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message, tensors: tf.memory().numTensors });
  }
});
