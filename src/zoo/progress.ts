// A download progress bar on stderr: redrawn in place on a terminal, a line per 10% in a log.
const MB = 1024 * 1024;

export function progressBar(label: string, out: NodeJS.WriteStream = process.stderr): { update: (done: number, total: number | null) => void; end: () => void } {
  const t0 = Date.now();
  let lastDraw = 0;
  let lastTenth = -1;
  let drawn = false;
  const line = (done: number, total: number | null) => {
    const s = Math.max(0.001, (Date.now() - t0) / 1000);
    const rate = `${(done / MB / s).toFixed(1)} MB/s`;
    if (total === null) return `${label} ${(done / MB).toFixed(1)} MB ${rate}`;
    const f = total > 0 ? done / total : 1;
    const bar = '#'.repeat(Math.round(f * 30)).padEnd(30, '-');
    return `${label} [${bar}] ${(f * 100).toFixed(0).padStart(3)}% ${(done / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB ${rate}`;
  };
  return {
    update(done, total) {
      if (out.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && done !== total) return;
        lastDraw = now;
        out.write(`\r${line(done, total)}${done === total ? '\n' : ''}`);
        drawn = done !== total;
        return;
      }
      const tenth = total ? Math.floor((10 * done) / total) : Math.floor(done / (50 * MB));
      if (tenth > lastTenth) {
        lastTenth = tenth;
        out.write(`${line(done, total)}\n`);
      }
    },
    end() {
      if (drawn) out.write('\n');
    },
  };
}
