// Optimal assignment of rows (tracks) to columns (detections) at minimum total cost, with a cost limit as
// lap.lapjv(extend_cost=True, cost_limit=L) that ByteTrack uses: a pair costing more than L is never made, and
// every row or column left unmatched costs L/2, so a pair is made only when it beats leaving both alone.
// Pairs within the limit form a bipartite graph whose connected components are independent problems
// (an optimal solution never pairs across them); each component is solved exactly with the Hungarian method
// (shortest augmenting paths with potentials, O(n^2 m)) on its matrix extended by the unmatched options.
// Tracking cost matrices are sparse (a track overlaps one or two detections), so components are tiny.

export interface Assignment {
  /** [row, column] pairs. */
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/**
 * Minimum-cost assignment for an n x m cost matrix (row-major, cost[i * m + j]); pairs with cost > limit are
 * not made. limit = Infinity: a full rectangular assignment (min(n, m) pairs).
 */
export function linearAssignment(cost: ArrayLike<number>, n: number, m: number, limit = Infinity): Assignment {
  const rowTo = new Int32Array(n).fill(-1);
  if (n > 0 && m > 0) {
    if (Number.isFinite(limit)) {
      for (const comp of components(cost, n, m, limit)) solveComponent(cost, m, comp.rows, comp.cols, limit, rowTo);
    } else {
      const rows = Array.from({ length: n }, (_, i) => i);
      const cols = Array.from({ length: m }, (_, j) => j);
      const sub = (i: number, j: number) => cost[rows[i] * m + cols[j]];
      const pairs = n <= m ? hungarian(n, m, sub) : hungarian(m, n, (i, j) => sub(j, i)).map(([j, i]) => [i, j] as [number, number]);
      for (const [i, j] of pairs) rowTo[i] = j;
    }
  }
  const matches: Array<[number, number]> = [];
  const colUsed = new Uint8Array(m);
  const unmatchedRows: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rowTo[i] >= 0) {
      matches.push([i, rowTo[i]]);
      colUsed[rowTo[i]] = 1;
    } else unmatchedRows.push(i);
  }
  const unmatchedCols: number[] = [];
  for (let j = 0; j < m; j++) if (!colUsed[j]) unmatchedCols.push(j);
  return { matches, unmatchedRows, unmatchedCols };
}

/** Connected components of the graph of pairs within the limit (rows and columns with no such pair are left out). */
function components(cost: ArrayLike<number>, n: number, m: number, limit: number): Array<{ rows: number[]; cols: number[] }> {
  // union-find over n rows + m columns
  const parent = new Int32Array(n + m);
  for (let i = 0; i < n + m; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const linked = new Uint8Array(n + m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (cost[i * m + j] <= limit) {
        linked[i] = linked[n + j] = 1;
        const a = find(i), b = find(n + j);
        if (a !== b) parent[a] = b;
      }
    }
  }
  const byRoot = new Map<number, { rows: number[]; cols: number[] }>();
  for (let x = 0; x < n + m; x++) {
    if (!linked[x]) continue;
    const r = find(x);
    let c = byRoot.get(r);
    if (!c) byRoot.set(r, (c = { rows: [], cols: [] }));
    if (x < n) c.rows.push(x);
    else c.cols.push(x - n);
  }
  return [...byRoot.values()];
}

function solveComponent(cost: ArrayLike<number>, m: number, rows: number[], cols: number[], limit: number, rowTo: Int32Array): void {
  if (rows.length === 1 && cols.length === 1) {
    rowTo[rows[0]] = cols[0]; // within the limit by construction
    return;
  }
  const r = rows.length;
  const c = cols.length;
  const half = limit / 2;
  const over = limit + 1; // a pair beyond the limit: never better than two unmatched (limit in all)
  // extended square matrix: [[C, half], [half, 0]] of size r + c
  const size = r + c;
  const at = (i: number, j: number): number => {
    if (i < r) {
      if (j < c) {
        const v = cost[rows[i] * m + cols[j]];
        return v <= limit ? v : over;
      }
      return half;
    }
    return j < c ? half : 0;
  };
  for (const [i, j] of hungarian(size, size, at)) {
    if (i < r && j < c && cost[rows[i] * m + cols[j]] <= limit) rowTo[rows[i]] = cols[j];
  }
}

/** Hungarian method for n <= m: every row gets a distinct column at minimum total cost. Returns [row, col] pairs. */
export function hungarian(n: number, m: number, a: (i: number, j: number) => number): Array<[number, number]> {
  // 1-based potentials u (rows), v (columns); p[j] = row matched to column j; way[j] = previous column on the path
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const out: Array<[number, number]> = [];
  for (let j = 1; j <= m; j++) if (p[j] !== 0) out.push([p[j] - 1, j - 1]);
  return out;
}
