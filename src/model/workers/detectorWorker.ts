// One detector per worker thread: the wasm backend runs single-threaded in Node, so a second core
// needs a second thread with its own copy of the model. Messages: {id, batch} -> {id, result | error}.
import { parentPort, workerData } from 'node:worker_threads';
import type { Precision } from '../../backend/precision.ts';
import { createDetector, type CanvasBatch } from '../detector.ts';

interface Init {
  modelDir: string;
  backend?: string;
  precision?: Precision;
  execution?: 'graph' | 'eager';
  postprocess?: Record<string, number>;
}

const init = workerData as Init;
const detectorP = createDetector({ model: init.modelDir, backend: init.backend, precision: init.precision, execution: init.execution, postprocess: init.postprocess });
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
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
