// The live viewer in a real headless Chromium (Debian's /usr/bin/chromium via playwright-core), against a real
// `retinastream run --loop` (demo model, demo video, real ffmpeg) with a token: the boxes on the canvas are where
// the frame's own event says, in the class colour, and the grid shows the stream's state and rates.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { DetectionEvent } from '../../src/pipeline/types.ts';
import { join } from 'node:path';
import { REPO, startCli, type CliProcess } from '../cli/cliProcess.ts';
import { waitFor } from '../helpers/waitFor.ts';

const CHROMIUM = process.env.RS_CHROMIUM ?? '/usr/bin/chromium';

/** The class colour, worked out here independently of the page: HSL(classId x 137.508 deg, 85%, 55%). */
function classColor(classId: number): [number, number, number] {
  const h = (classId * 137.508) % 360;
  const s = 0.85;
  const l = 0.55;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [r, g, b].map((v) => Math.round(255 * (v + m))) as [number, number, number];
}

interface Snapshot {
  event: DetectionEvent;
  width: number;
  height: number;
  minScore: number;
  png: string;
}

/** One synchronous read in the page: the event of the frame on the canvas and the canvas pixels, together. */
function snapshot(page: Page, stream: string): Promise<Snapshot | null> {
  return page.evaluate((id) => {
    const v = (window as unknown as { __viewer: { last: Record<string, { event: unknown; width: number; height: number; minScore: number }> } }).__viewer;
    const last = v.last[id];
    const canvas = document.querySelector<HTMLCanvasElement>(`section[data-stream="${id}"] canvas`);
    if (!last || !canvas) return null;
    return { event: last.event, width: last.width, height: last.height, minScore: last.minScore, png: canvas.toDataURL('image/png') } as never;
  }, stream);
}

describe('live viewer in Chromium', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (scripts/setup/chromium.sh)` }, () => {
  let cli: CliProcess;
  let browser: Browser;
  let base: string;
  before(async () => {
    // the demo video looped, and a camera that refuses connections (its tile shows it backing off)
    cli = startCli(['run', '--loop', '--input', `demo=${join(REPO, 'assets/demo/demo.mp4')}`, '--input', 'cam=rtsp://127.0.0.1:9/none', '--ws-port', '0', '--ws-token', 'tok3n', '--no-jsonl', '--status-interval-ms', '0'], { timeoutMs: 280_000 });
    await waitFor('the viewer URL on stderr', () => /viewer http:\/\/127\.0\.0\.1:\d+\//.test(cli.stderr()), 60_000);
    base = /viewer (http:\/\/127\.0\.0\.1:\d+)\//.exec(cli.stderr())![1];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    if (cli) {
      cli.child.kill('SIGINT');
      const r = await cli.result;
      assert.equal(r.code, 0, `run --loop stops cleanly on SIGINT: ${r.stderr.slice(-500)}`);
    }
  });

  it('single view: each box is drawn where its frame\'s event puts it, in its class colour, highest score on top', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/?token=tok3n#/stream/demo`);
    await page.waitForFunction(() => (window as unknown as { __viewer: { drawn: number } }).__viewer.drawn >= 3, null, { timeout: 60_000 });
    let checked = 0;
    for (let attempt = 0; attempt < 40 && checked < 3; attempt++) {
      const snap = await snapshot(page, 'demo');
      assert.ok(snap, 'a frame was drawn');
      const shown = snap.event.detections.filter((d) => d.score >= snap.minScore);
      assert.ok(snap.minScore >= 0.3, `the page starts at the run's threshold (${snap.minScore})`);
      if (shown.length === 0) continue;
      const top = shown.reduce((a, b) => (b.score > a.score ? b : a));
      const sx = snap.width / snap.event.source.width;
      const sy = snap.height / snap.event.source.height;
      const [x1, y1, x2, y2] = [top.box[0] * sx, top.box[1] * sy, top.box[2] * sx, top.box[3] * sy];
      if (y1 < 26 || y2 - y1 < 26 || x2 - x1 < 6) continue; // its label would sit inside the box; try another frame
      const { data, info } = await sharp(Buffer.from(snap.png.split(',')[1], 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [snap.width, snap.height]);
      const px = (x: number, y: number) => {
        const [cx, cy] = [Math.min(info.width - 1, Math.max(0, Math.floor(x))), Math.min(info.height - 1, Math.max(0, Math.floor(y)))];
        return [...data.subarray((cy * info.width + cx) * 3, (cy * info.width + cx) * 3 + 3)];
      };
      const want = classColor(top.classId);
      const near = (p: number[]) => p.every((v, i) => Math.abs(v - want[i]) <= 3);
      const bottom = px((x1 + x2) / 2, y2);
      const left = px(x1, (y1 + y2) / 2);
      const right = px(x2, (y1 + y2) / 2);
      assert.ok(near(bottom) && near(left) && near(right), `frame ${snap.event.frameNumber}, ${top.label} ${top.score.toFixed(2)} at ${top.box.map((v) => v.toFixed(0))}: edge pixels ${JSON.stringify([bottom, left, right])} should be ${want}`);
      // and not where the event does not put it: 6 px outside the bottom edge is video, not the box colour
      if (y2 + 6 < info.height && !shown.some((d) => d !== top && d.box[1] * sy - 30 <= y2 + 6 && d.box[3] * sy + 4 >= y2 + 6)) {
        assert.ok(!near(px((x1 + x2) / 2, y2 + 6)), 'no box edge 6 px below the event\'s box');
      }
      checked++;
    }
    assert.equal(checked, 3, 'three frames checked');
    assert.deepEqual(errors, []);
    // the score filter redraws the same frame without the boxes below it
    await page.fill('#minScore', '0.99');
    await page.dispatchEvent('#minScore', 'input');
    const filtered = await page.evaluate(() => (window as unknown as { __viewer: { last: Record<string, { minScore: number; boxes: Array<{ score: number }> }> } }).__viewer.last.demo);
    assert.equal(filtered.minScore, 0.99);
    assert.ok(filtered.boxes.every((b) => b.score >= 0.99));
    await page.close();
  });

  it('grid: a tile per stream with its state (a refused camera backs off, with the reason), fps and latency; a click opens the single view', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    await page.goto(`${base}/?token=tok3n`);
    const tile = page.locator('section[data-stream="demo"]');
    await tile.locator('.state.live').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => /[1-9][\d.]* fps · \d+ ms/.test(document.querySelector('section[data-stream="demo"] .stat')?.textContent ?? ''), null, { timeout: 30_000 });
    const cam = page.locator('section[data-stream="cam"]');
    await page.waitForFunction(() => /backing off|connecting/.test(document.querySelector('section[data-stream="cam"] .state')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('section[data-stream="cam"] .reason')?.textContent ?? '').length > 0, null, { timeout: 30_000 });
    assert.deepEqual(await page.locator('section.tile').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.stream)), ['demo', 'cam']);
    assert.ok(await cam.isVisible());
    await tile.click();
    await page.waitForURL(/#\/stream\/demo$/);
    assert.ok(!(await cam.isVisible()), 'the single view shows only the chosen stream');
    await page.close();
  });

  it('without the token the page says so and gets no frames', { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.waitForFunction(() => /token required/.test(document.getElementById('conn')?.textContent ?? ''), null, { timeout: 20_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { __viewer: { frames: number } }).__viewer.frames), 0);
    await page.close();
  });
});
