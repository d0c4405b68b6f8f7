// Cuts ffmpeg's raw video stdout into frames of exactly `frameBytes` bytes. Each byte is copied
// once into a frame buffer of its own (no concatenation of growing buffers).

export class FrameSplitter {
  private current: Buffer | null = null;
  private filled = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`FrameSplitter: frameBytes must be a positive integer, got ${frameBytes}`);
    }
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === null) {
        // Start the next frame.
        this.current = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
      }
      const n = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.current, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameBytes) {
        const frame = this.current;
        this.current = null;
        this.filled = 0;
        this.onFrame(frame);
      }
    }
  }

  /** Bytes of an incomplete frame still held (a process killed mid-frame leaves some). */
  get partialBytes(): number {
    return this.filled;
  }
}
