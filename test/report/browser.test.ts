import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixture } from './fixture.js';
import { buildReport } from '../../src/report/report.js';
import { CHROMIUM, chromiumMissing, requireOrSkip } from '../require.js';

const haveBrowser = requireOrSkip('Chromium (the report in a browser)', chromiumMissing());

describe.skipIf(!haveBrowser)('report in headless Chromium', () => {
  let root: string;
  let reportPath: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xl-browser-'));
    const fx = await makeFixture(root, { count: 300 });
    const r = await buildReport({ modelDir: fx.modelDir, png: false, hoverPoints: 200 });
    reportPath = join(root, 'report.html');
    writeFileSync(reportPath, r.html);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('loads without console errors; sliders redraw the decoded spectrum; hover shows a spectrum', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(reportPath).href);
      await page.waitForSelector('body[data-explorer="ready"]', { timeout: 60_000 });
      const decodedPath = () => page.$eval('#xl-spectrum path.xl-decoded', (p) => p.getAttribute('d'));
      const before = await decodedPath();
      expect(before).toMatch(/^M[\d.]+ [\d.]+L/);
      // move the CN slider (axis 1) to its maximum
      await page.$eval('#xl-axis-1', (el) => {
        const inp = el as HTMLInputElement;
        inp.value = inp.max;
        inp.dispatchEvent(new Event('input', { bubbles: true }));
      });
      const after = await decodedPath();
      expect(after).not.toBe(before);
      // the point count is unchanged; only y values moved
      expect(after!.split('L').length).toBe(before!.split('L').length);
      const sx = await page.$eval('#xl-spectrum path.xl-decoded', (p) => p.getAttribute('d')!.split('L').map((s) => s.replace('M', '').split(' ')[0]));
      expect(sx[0]).toBe(before!.split('L')[0].replace('M', '').split(' ')[0]);
      // hover the scatter: the info box names a spectrum and its descriptors
      await page.locator('#xl-scatter').scrollIntoViewIfNeeded();
      const box = await page.locator('#xl-scatter').boundingBox();
      expect(box).not.toBeNull();
      const firstInfo = await page.$eval('#xl-info', (e) => e.textContent);
      let changed = false;
      for (let fx = 0.2; fx <= 0.8 && !changed; fx += 0.05) {
        for (let fy = 0.2; fy <= 0.8 && !changed; fy += 0.05) {
          await page.mouse.move(box!.x + box!.width * fx, box!.y + box!.height * fy);
          changed = (await page.$eval('#xl-info', (e) => e.textContent)) !== firstInfo;
        }
      }
      expect(changed).toBe(true);
      expect(await page.$eval('#xl-info', (e) => e.textContent)).toMatch(/CN = \d/);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
