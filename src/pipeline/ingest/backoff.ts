// Exponential backoff with jitter between reconnect attempts.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay added or removed at random: 0.2 gives delay * [0.8, 1.2). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30000, factor: 2, jitter: 0.2 };

/** Delay before attempt `attempt` (1 = first retry): initialMs * factor^(attempt-1), capped at maxMs, jittered. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.max(0, attempt - 1)));
  const jittered = base * (1 + o.jitter * (2 * random() - 1));
  return Math.max(0, Math.round(jittered));
}
