// Sticky partition assignment for the cluster's consumer group (run by the group leader): balanced
// (partition counts differ by at most one) with as few partitions as possible leaving their owner.
// kafkajs has only the eager protocol, so every rebalance revokes everything; this assignment, with the
// worker's diff (worker.ts), is what keeps the streams of partitions that stay from restarting.

export interface MemberOwnership {
  /** Group member id (kafkajs memberId). */
  id: string;
  /** Partitions it ran before this rebalance (from its join metadata); [] for a new member. */
  owned: number[];
}

/**
 * Partitions per member id. Members that owned more get the larger quotas; each keeps up to its quota
 * of what it owned (a partition claimed twice goes to the first claimant in member order); the rest go
 * to the members below quota, the emptiest first. Deterministic for the same input.
 */
export function stickyAssign(members: MemberOwnership[], partitions: number[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (members.length === 0) return out;
  const valid = new Set(partitions);
  const owned = new Map(members.map((m) => [m.id, [...new Set(m.owned.filter((p) => valid.has(p)))].sort((a, b) => a - b)]));
  const order = [...members].sort((a, b) => owned.get(b.id)!.length - owned.get(a.id)!.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const base = Math.floor(partitions.length / members.length);
  const extra = partitions.length % members.length;
  const quota = new Map(order.map((m, i) => [m.id, base + (i < extra ? 1 : 0)]));
  const taken = new Set<number>();
  for (const m of order) {
    const keep: number[] = [];
    for (const p of owned.get(m.id)!) {
      if (keep.length >= quota.get(m.id)! || taken.has(p)) continue;
      keep.push(p);
      taken.add(p);
    }
    out.set(m.id, keep);
  }
  const free = [...valid].filter((p) => !taken.has(p)).sort((a, b) => a - b);
  for (const p of free) {
    const target = order
      .filter((m) => out.get(m.id)!.length < quota.get(m.id)!)
      .sort((a, b) => out.get(a.id)!.length - out.get(b.id)!.length)[0]!;
    out.get(target.id)!.push(p);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

