import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from './fixture.js';
import { buildReport } from '../../src/report/report.js';
import { readModelDir } from '../../src/export/model-dir.js';
import { exportTfjs } from '../../src/export/bundle.js';
import { CHROMIUM, chromiumMissing, requireOrSkip } from '../require.js';

/**
 * Names and ids from data files are text, never markup: a descriptor named
 * like an HTML tag, or an id that closes the script element, must show as
 * those characters in the report and the exported page and run nothing.
 */
const IMG = `<img src=x onerror="document.title='pwned'">`;
const CLOSE = `</script><script>document.title='pwned2';window.pwned=1</script><!--`;
const ID = (i: number) => (i % 2 ? `<img src=y onerror=window.pwned=3>#${i}` : `</script><script>window.pwned=4</script>\u2028${i}`);

const haveBrowser = requireOrSkip('Chromium (hostile names in a browser)', chromiumMissing());

describe('hostile descriptor names and ids', () => {
  let root: string;
  let fx: Fixture;
  let reportPath: string;
  let html: string;
  let exportDir: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xl-hostile-'));
    fx = await makeFixture(root, { count: 120, names: [IMG, CLOSE], id: ID });
    const r = await buildReport({ modelDir: fx.modelDir, png: false, hoverPoints: 120 });
    html = r.html;
    reportPath = join(root, 'report.html');
    writeFileSync(reportPath, html);
    exportDir = join(root, 'site');
    await exportTfjs(await readModelDir(fx.modelDir), exportDir);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the report holds the names and ids only escaped, never as raw markup', () => {
    for (const raw of [IMG, CLOSE, '<img src=y', '</script><script>window.pwned']) expect(html).not.toContain(raw);
    const outside = html.replace(/<script[\s\S]*?<\/script>/g, '');
    expect(outside).toContain('&lt;img src=x onerror=');
    expect(outside).toContain('&lt;/script&gt;&lt;script&gt;');
  });

  it.skipIf(!haveBrowser)('nothing runs in Chromium: report (hovering every kind of point) and exported page', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(reportPath).href);
      await page.waitForSelector('body[data-explorer="ready"]', { timeout: 60_000 });
      const title = await page.title();
      expect(title).toMatch(/^xlatent report/);
      // hover over the scatter until the info box has shown a few spectra
      await page.locator('#xl-scatter').scrollIntoViewIfNeeded();
      const box = (await page.locator('#xl-scatter').boundingBox())!;
      const seen = new Set<string>();
      for (let fx = 0.15; fx <= 0.85; fx += 0.07) {
        for (let fy = 0.15; fy <= 0.85; fy += 0.07) {
          await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
          seen.add((await page.$eval('#xl-info', (e) => e.textContent ?? '')) as string);
        }
      }
      const infos = [...seen].join('\n');
      expect(infos).toContain('<img src=y onerror=window.pwned=3>');
      expect(infos).toContain('</script><script>window.pwned=4</script>');
      expect(infos).toContain(`${IMG} = `);
      // the descriptor names show as text in the colour selector and the tables
      expect(await page.$eval('#xl-c', (e) => e.textContent)).toContain(IMG);
      expect(await page.title()).toBe(title);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.$$eval('img', (els) => els.length)).toBe(0);
      expect(errors).toEqual([]);

      // The exported page reads metadata.json over http: serve the folder through request routing.
      const site = await browser.newPage();
      await site.route('http://xlatent.test/**', async (route) => {
        const rel = new URL(route.request().url()).pathname.slice(1) || 'index.html';
        const file = join(exportDir, rel);
        if (!existsSync(file)) return route.fulfill({ status: 404, body: '' });
        const type = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' }[extname(file)] ?? 'application/octet-stream';
        return route.fulfill({ status: 200, body: readFileSync(file), contentType: type });
      });
      const siteErrors: string[] = [];
      site.on('pageerror', (e) => siteErrors.push(String(e)));
      await site.goto('http://xlatent.test/index.html');
      await site.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      expect(await site.title()).toBe('xlatent decoder explorer');
      expect(await site.$eval('#sliders', (e) => e.textContent)).toContain(IMG);
      expect(await site.$eval('#sliders', (e) => e.textContent)).toContain(CLOSE);
      expect(await site.$$eval('img', (els) => els.length)).toBe(0);
      expect(await site.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(siteErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
