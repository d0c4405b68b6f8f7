// Training batches addressed by iteration: batch `it` is batch (it mod B) of epoch floor(it / B) in the
// loader's seeded order (B full batches per epoch, the short last one dropped). Because it depends only on
// (seed, it), a resumed run sees exactly the batches the uninterrupted run would have. One batch is loaded
// ahead (or `prefetch` of them) while the caller trains on the current one.
import type { CocoLoader } from '../data/loader.ts';
import type { TrainBatch } from '../data/collate.ts';
import { batchIndices, epochOrder } from '../data/sampler.ts';

export class BatchStream {
  private readonly pending = new Map<number, Promise<TrainBatch>>();
  private orderCache: { epoch: number; batches: number[][] } | null = null;

  constructor(
    private readonly loader: CocoLoader,
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly prefetch = 1,
  ) {}

  get batchesPerEpoch(): number {
    return Math.floor(this.loader.dataset.images.length / this.batchSize);
  }

  /** Dataset indices of the images in batch `it`, and its epoch. */
  indicesAt(it: number): { epoch: number; indices: number[] } {
    const per = this.batchesPerEpoch;
    const epoch = Math.floor(it / per);
    if (this.orderCache?.epoch !== epoch) {
      const order = epochOrder(this.loader.dataset.images.length, this.seed, epoch, true);
      this.orderCache = { epoch, batches: batchIndices(order, this.batchSize, true) };
    }
    return { epoch, indices: this.orderCache.batches[it % per] };
  }

  private request(it: number): Promise<TrainBatch> {
    let p = this.pending.get(it);
    if (!p) {
      const { epoch, indices } = this.indicesAt(it);
      p = this.loader.loadBatch(indices, epoch);
      p.catch(() => undefined); // surfaced when awaited in next()
      this.pending.set(it, p);
    }
    return p;
  }

  /** Batch `it`; batches it+1..it+prefetch (below `end`) start loading before this returns. */
  async next(it: number, end: number): Promise<TrainBatch> {
    const p = this.request(it);
    for (let k = it + 1; k <= it + this.prefetch && k < end; k++) this.request(k);
    const batch = await p;
    this.pending.delete(it);
    return batch;
  }

  /** Forget batches that were loaded ahead (their promises settle unobserved). */
  close(): void {
    this.pending.clear();
  }
}
