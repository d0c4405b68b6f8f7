// Adapts a StreamSource (ingest) to what the batcher needs: a count of frames ready to take.
// Lossless: up to `capacity` frames pulled ahead (so a single file can fill a batch), the rest wait in
// the source, whose ffmpeg is paused. Live: only the newest frame is kept; an older one is dropped and
// carried into the next frame's `droppedBefore`.
import type { StreamSource } from './ingest/index.ts';
import type { BatchSource } from './operators/batchFrames.ts';
import { supersede } from './operators/dropToNewest.ts';
import type { Frame } from './types.ts';

export class SourceBuffer implements BatchSource {
  private queue: Frame[] = [];
  private exhausted = false;

  constructor(
    readonly source: StreamSource,
    private readonly capacity: number,
  ) {}

  get id(): string {
    return this.source.id;
  }

  private fill(): void {
    for (;;) {
      if (this.source.lossless && this.queue.length >= this.capacity) return;
      const f = this.source.take();
      if (!f) {
        if (this.source.state === 'ended' || this.source.state === 'failed') this.exhausted = true;
        return;
      }
      if (!this.source.lossless && this.queue.length > 0) {
        this.queue = [supersede(this.queue[0], f)];
      } else {
        this.queue.push(f);
      }
    }
  }

  take(): Frame | undefined {
    this.fill();
    const f = this.queue.shift();
    this.fill();
    return f;
  }

  available(): number {
    this.fill();
    return this.queue.length;
  }

  canProduceMore(): boolean {
    this.fill();
    return !this.exhausted;
  }
}
