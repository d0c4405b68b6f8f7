// A pool of detector worker threads sharing one model directory; each batch goes to an idle worker.
// Used when the backend is single-threaded (wasm) and the machine has more cores.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../backend/select.ts';
import type { CanvasBatch, Detection } from '../detector.ts';

interface Pending {
  resolve: (d: Detection[][]) => void;
  reject: (e: Error) => void;
}

export class DetectorPool {
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly busy: number[];
  private constructor(
    private readonly workers: Worker[],
    readonly backend: BackendChoice,
  ) {
    this.busy = workers.map(() => 0);
    workers.forEach((w, i) =>
      w.on('message', (m: { id: number; result?: Detection[][]; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.busy[i]--;
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(m.result!);
      }),
    );
  }

  static defaultSize(): number {
    return Math.max(1, availableParallelism());
  }

  static async create(modelDir: string, size: number, opts: { backend?: string; precision?: string; execution?: 'graph' | 'eager'; postprocess?: Record<string, number> } = {}): Promise<DetectorPool> {
    // From TypeScript sources (tsx), the worker needs the loader registered first (bootstrap.mjs);
    // from the compiled package (npm run build), the compiled worker runs as it is.
    const url = import.meta.url.endsWith('.ts') ? new URL('./bootstrap.mjs', import.meta.url) : new URL('./detectorWorker.js', import.meta.url);
    const workers = Array.from({ length: size }, () => new Worker(url, { workerData: { modelDir, ...opts } }));
    const ready = await Promise.all(
      workers.map(
        (w) =>
          new Promise<BackendChoice>((resolve, reject) => {
            w.once('message', (m: { ready: boolean; backend?: BackendChoice; error?: string }) => (m.ready ? resolve(m.backend!) : reject(new Error(m.error))));
            w.once('error', reject);
          }),
      ),
    ).catch(async (e) => {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    });
    return new DetectorPool(workers, ready[0]);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs on the least busy worker; the canvas bytes are transferred, not copied. */
  detectCanvases(batch: CanvasBatch): Promise<Detection[][]> {
    const i = this.busy.indexOf(Math.min(...this.busy));
    const id = this.next++;
    this.busy[i]++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const data = batch.data.byteOffset === 0 && batch.data.byteLength === batch.data.buffer.byteLength ? batch.data : batch.data.slice();
      this.workers[i].postMessage({ id, batch: { ...batch, data } }, [data.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
