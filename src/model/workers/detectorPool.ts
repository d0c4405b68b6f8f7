// A pool of detector worker threads sharing one model directory; each batch goes to an idle worker.
// Used when the backend is single-threaded (wasm) and the machine has more cores.
//
// Supervised: a worker that exits or errors is replaced, and the batches it held are rejected with
// WorkerDiedError (so the caller can report exactly those frames as lost and go on). When workers keep
// dying (maxDeaths within deathWindowMs) the pool gives up: every pending and later batch is rejected
// with WorkersFailedError, and `failed` resolves with it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../backend/select.ts';
import { RetinaStreamError } from '../../errors.ts';
import type { CanvasBatch, Detection } from '../detector.ts';

/** A worker died (exited, crashed, was terminated) while it held this batch. */
export class WorkerDiedError extends RetinaStreamError<'RS_ERR_WORKER_DIED'> {
  constructor(message: string) {
    super('RS_ERR_WORKER_DIED', message);
  }
}

/** Too many worker deaths in the window, or a worker could not start: the pool is closed. */
export class WorkersFailedError extends RetinaStreamError<'RS_ERR_WORKERS_FAILED'> {
  constructor(message: string) {
    super('RS_ERR_WORKERS_FAILED', message);
  }
}

/** A batch the worker ran and that threw (out of memory, bad shape...). */
export class BatchFailedError extends RetinaStreamError<'RS_ERR_BATCH_FAILED'> {
  constructor(message: string) {
    super('RS_ERR_BATCH_FAILED', message);
  }
}

/** The pool was closed (the run is stopping) while the batch was in flight or waiting: its frames are lost, not failed. */
export class BatchAbandonedError extends RetinaStreamError<'RS_ERR_BATCH_ABANDONED'> {
  constructor(message: string) {
    super('RS_ERR_BATCH_ABANDONED', message);
  }
}

export interface PoolOptions {
  backend?: string;
  /** 'fp32' | 'bf16' (tensorflow backends). */
  precision?: string;
  /** 'graph' | 'eager' (tensorflow backends; default graph). */
  execution?: 'graph' | 'eager';
  postprocess?: Record<string, number>;
  /** The weights hash the main thread computed; a worker that loads other weights refuses to start. */
  expectedHash?: string;
  /** Nice value of the worker threads (backend/threadPriority.ts; default 0: the event loop's priority). */
  nice?: number;
  /** The pool fails after this many worker deaths within deathWindowMs (default 3 in 60 s). */
  maxDeaths?: number;
  deathWindowMs?: number;
  /** Called on each worker death (after its batches were rejected). */
  onWorkerDeath?: (info: { worker: number; reason: string; batches: number }) => void;
}

interface Pending {
  slot: number;
  frames: number;
  resolve: (d: Detection[][]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker | null;
  busy: number;
  /** tf.memory().numTensors after the worker's last batch. */
  tensors: number;
  lastError: string | null;
}

type WorkerReply = { id: number; result?: Detection[][]; error?: string; tensors?: number };
type WorkerHello = { ready: boolean; backend?: BackendChoice; error?: string };

export class DetectorPool {
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  /** Batches waiting for a worker while every slot is being replaced. */
  private readonly waiting: Array<() => void> = [];
  private readonly deaths: number[] = [];
  private closing = false;
  private failure: WorkersFailedError | null = null;
  private resolveFailed!: (e: WorkersFailedError) => void;
  /** Resolves (never rejects) when the pool gives up; the pipeline turns it into a clean failure. */
  readonly failed: Promise<WorkersFailedError> = new Promise((r) => (this.resolveFailed = r));
  private deathCount = 0;

  private constructor(
    private readonly slots: Slot[],
    readonly backend: BackendChoice,
    private readonly modelDir: string,
    private readonly opts: PoolOptions,
  ) {
    slots.forEach((s, i) => this.attach(i, s.worker!));
  }

  static defaultSize(): number {
    return Math.max(1, availableParallelism());
  }

  private static spawn(modelDir: string, opts: PoolOptions): Worker {
    // From TypeScript sources (tsx), the worker needs the loader registered first (bootstrap.mjs);
    // from the compiled package (npm run build), the compiled worker runs as it is.
    const url = import.meta.url.endsWith('.ts') ? new URL('./bootstrap.mjs', import.meta.url) : new URL('./detectorWorker.js', import.meta.url);
    const { backend, precision, execution, postprocess, expectedHash, nice } = opts;
    return new Worker(url, { workerData: { modelDir, backend, precision, execution, postprocess, expectedHash, nice } });
  }

  private static ready(w: Worker): Promise<BackendChoice> {
    return new Promise<BackendChoice>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`worker exited with code ${code} while loading the model`));
      w.once('message', (m: WorkerHello) => {
        w.off('exit', onExit);
        if (m.ready) resolve(m.backend!);
        else reject(new Error(m.error));
      });
      w.once('error', reject);
      w.once('exit', onExit);
    });
  }

  static async create(modelDir: string, size: number, opts: PoolOptions = {}): Promise<DetectorPool> {
    const workers = Array.from({ length: size }, () => DetectorPool.spawn(modelDir, opts));
    const ready = await Promise.all(workers.map((w) => DetectorPool.ready(w))).catch(async (e: Error) => {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new WorkersFailedError(`inference workers could not start: ${e.message}`);
    });
    const slots = workers.map((worker) => ({ worker, busy: 0, tensors: 0, lastError: null }));
    return new DetectorPool(slots, ready[0], modelDir, opts);
  }

  private attach(i: number, w: Worker): void {
    w.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.slots[i].busy--;
      if (m.tensors !== undefined) this.slots[i].tensors = m.tensors;
      if (m.error) p.reject(new BatchFailedError(`inference of a batch of ${p.frames} frame(s) failed: ${m.error}`));
      else p.resolve(m.result!);
      this.wake();
    });
    w.on('error', (e) => (this.slots[i].lastError = e.message));
    w.once('exit', (code) => {
      if (this.slots[i].worker !== w || this.closing) return;
      this.onDeath(i, this.slots[i].lastError ?? `exited with code ${code}`);
    });
  }

  private onDeath(i: number, reason: string): void {
    const slot = this.slots[i];
    slot.worker = null;
    slot.busy = 0;
    slot.tensors = 0;
    slot.lastError = null;
    const lost = [...this.pending].filter(([, p]) => p.slot === i);
    for (const [id, p] of lost) {
      this.pending.delete(id);
      p.reject(new WorkerDiedError(`inference worker ${i} died (${reason}); its batch of ${p.frames} frame(s) is lost`));
    }
    this.deathCount++;
    this.opts.onWorkerDeath?.({ worker: i, reason, batches: lost.length });
    const now = Date.now();
    const window = this.opts.deathWindowMs ?? 60_000;
    this.deaths.push(now);
    while (this.deaths.length && this.deaths[0] < now - window) this.deaths.shift();
    if (this.deaths.length >= (this.opts.maxDeaths ?? 3)) {
      this.fail(`${this.deaths.length} inference worker deaths within ${Math.round(window / 1000)} s (last: ${reason})`);
      return;
    }
    this.replace(i);
  }

  private replace(i: number): void {
    if (this.closing || this.failure) return;
    const w = DetectorPool.spawn(this.modelDir, this.opts);
    DetectorPool.ready(w).then(
      () => {
        if (this.closing || this.failure) return void w.terminate();
        this.slots[i].worker = w;
        this.attach(i, w);
        this.wake();
      },
      (e: Error) => {
        void w.terminate();
        this.onDeath(i, `replacement could not start: ${e.message}`);
      },
    );
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new WorkersFailedError(message);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.failure);
    }
    this.wake();
    this.resolveFailed(this.failure);
    void this.close();
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  get size(): number {
    return this.slots.length;
  }

  /** Batches in flight on each worker (null: the worker is being replaced). */
  inFlight(): Array<number | null> {
    return this.slots.map((s) => (s.worker ? s.busy : null));
  }

  /** Tensors held by all workers after their last batch (tf.memory().numTensors, summed). */
  tensors(): number {
    return this.slots.reduce((n, s) => n + s.tensors, 0);
  }

  /** Worker deaths so far. */
  deathsTotal(): number {
    return this.deathCount;
  }

  /** Ends worker `i` as a crash would (for tests and fault drills); it is replaced like any dead worker. */
  async terminateWorker(i: number): Promise<void> {
    await this.slots[i].worker?.terminate();
  }

  /** Runs on the least busy live worker; the canvas bytes are transferred, not copied. */
  async detectCanvases(batch: CanvasBatch): Promise<Detection[][]> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closing) throw new BatchAbandonedError(`inference workers are closed; a batch of ${batch.count} frame(s) was not run`);
      const live = this.slots.map((s, i) => [s, i] as const).filter(([s]) => s.worker !== null);
      if (live.length) {
        const [slot, i] = live.reduce((a, b) => (b[0].busy < a[0].busy ? b : a));
        return this.send(slot, i, batch);
      }
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  private send(slot: Slot, i: number, batch: CanvasBatch): Promise<Detection[][]> {
    const id = this.next++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { slot: i, frames: batch.count, resolve, reject });
      const data = batch.data.byteOffset === 0 && batch.data.byteLength === batch.data.buffer.byteLength ? batch.data : batch.data.slice();
      slot.worker!.postMessage({ id, batch: { ...batch, data } }, [data.buffer as ArrayBuffer]);
    });
  }

  /** Terminates the workers; batches in flight are rejected with BatchAbandonedError (or the pool's failure). */
  async close(): Promise<void> {
    this.closing = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.failure ?? new BatchAbandonedError(`the run stopped with a batch of ${p.frames} frame(s) in flight`));
    }
    this.wake();
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}
