// Bit-exact JavaScript versions of the few numpy / Python numerics pycocotools' results depend on:
// np.linspace, np.mean (pairwise summation) and '{:0.3f}'.format (round half to even).

/** np.linspace(start, stop, num, endpoint=True): start + i * step, last element exactly stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** numpy's pairwise summation of a float64 array (what np.add.reduce / np.mean do for contiguous data). */
export function pairwiseSum(a: ArrayLike<number>, lo = 0, n = a.length - lo): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[lo + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[lo + i + j];
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[lo + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

/** np.mean of a 1-D float64 array. */
export function npMean(a: ArrayLike<number>): number {
  return pairwiseSum(a) / a.length;
}

/** Python's '{:0.<digits>f}'.format(x): the nearest decimal, exact ties rounded half to even. */
export function pyFixed(x: number, digits: number): string {
  const nearest = x.toFixed(digits); // exact nearest, but ties go away from zero
  const exact = x.toFixed(100); // the double's full decimal expansion (ties have a short one)
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(rest)) return nearest;
  const truncated = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  return lastDigit % 2 === 0 ? truncated : nearest;
}
