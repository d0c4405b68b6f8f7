// Drop-to-newest, the one place its arithmetic lives: a live stream keeps only its newest frame, and
// the frame that replaces an older one carries the older one's count plus the older frame itself in
// `droppedBefore`, so every dropped frame is reported exactly once, by the next event of its stream.
// Used by ingest's LatestFrameSlot, by SourceBuffer, and at dispatch (refreshLiveFrames).
import type { Batch, Frame } from '../types.ts';

/** `newer` takes the place of `older`: older is dropped, and with it what it had dropped. */
export function supersede(older: Frame, newer: Frame): Frame {
  return { ...newer, droppedBefore: newer.droppedBefore + older.droppedBefore + 1 };
}

/** Swap a batch's live frames for newer ones of the same stream (`takeNewer`), as the batch goes onto the device. */
export function refreshLiveFrames(batch: Batch, takeNewer: (streamId: string) => Frame | undefined): Batch {
  const frames = batch.frames.map((f) => {
    if (f.lossless) return f;
    const newer = takeNewer(f.streamId);
    return newer ? supersede(f, newer) : f;
  });
  return { ...batch, frames };
}

