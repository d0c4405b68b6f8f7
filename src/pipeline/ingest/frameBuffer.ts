// Where decoded frames wait for take(): a bounded FIFO for lossless sources (the source pauses
// ffmpeg when it is full) and a single newest-frame slot for live ones (older frames are dropped
// and counted).

import { supersede } from '../operators/dropToNewest.ts';
import type { Frame } from '../types.ts';

export interface FrameBuffer {
  /** Adds a frame; returns how many waiting frames it displaced (live: 0 or 1, lossless: 0). */
  put(frame: Frame): number;
  take(): Frame | undefined;
  readonly size: number;
  /** true when a lossless buffer holds its capacity (the producer must pause). */
  readonly full: boolean;
  clear(): void;
}

export class LosslessQueue implements FrameBuffer {
  private readonly frames: Frame[] = [];
  constructor(readonly capacity: number) {}

  put(frame: Frame): number {
    this.frames.push(frame);
    return 0;
  }
  take(): Frame | undefined {
    return this.frames.shift();
  }
  get size(): number {
    return this.frames.length;
  }
  get full(): boolean {
    return this.frames.length >= this.capacity;
  }
  clear(): void {
    this.frames.length = 0;
  }
}

export class LatestFrameSlot implements FrameBuffer {
  private frame: Frame | undefined;

  /** The displaced frame is counted in the new one's droppedBefore (operators/dropToNewest.ts). */
  put(frame: Frame): number {
    const displaced = this.frame;
    this.frame = displaced ? supersede(displaced, frame) : frame;
    return displaced ? 1 : 0;
  }
  take(): Frame | undefined {
    const frame = this.frame;
    this.frame = undefined;
    return frame;
  }
  get size(): number {
    return this.frame ? 1 : 0;
  }
  get full(): boolean {
    return false;
  }
  clear(): void {
    this.frame = undefined;
  }
}
