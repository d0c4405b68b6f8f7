// The order images are visited in: a seeded shuffle per epoch, so (seed, epoch) fixes the order and
// every epoch differs. Without shuffling it is 0..n-1.

import { Rng, deriveSeed } from './random.ts';

export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  return shuffle ? new Rng(deriveSeed(seed, epoch)).shuffle(order) : order;
}

/** Splits an order into batches of `batchSize`; the last short batch is kept unless dropLast. */
export function batchIndices(order: number[], batchSize: number, dropLast = false): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const b = order.slice(i, i + batchSize);
    if (b.length === batchSize || !dropLast) out.push(b);
  }
  return out;
}
