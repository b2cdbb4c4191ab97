#!/usr/bin/env node
// Opens an xlatent HTML report in headless Chromium and writes a PNG screenshot.
// Usage: node scripts/report-screenshot.mjs report.html [out.png] [--full] [--section explorer]
// Needs Chromium (Debian/Ubuntu: apt-get install -y chromium) and playwright-core (a dev dependency).
// CHROMIUM=/path/to/chrome overrides the browser location.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a === '--full'));
const sectionAt = args.indexOf('--section');
const section = sectionAt >= 0 ? args[sectionAt + 1] : undefined;
const positional = args.filter((a, i) => !a.startsWith('--') && (sectionAt < 0 || i !== sectionAt + 1));
const [input, output = 'report-screenshot.png'] = positional;
if (!input) {
  console.error('usage: node scripts/report-screenshot.mjs report.html [out.png] [--full] [--section ID]');
  process.exit(2);
}
if (!existsSync(input)) {
  console.error(`report-screenshot: ${input}: file not found`);
  process.exit(2);
}
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`report-screenshot: no browser at ${executablePath} (apt-get install -y chromium, or set CHROMIUM)`);
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = performance.now();
  await page.goto(pathToFileURL(resolve(input)).href);
  const loaded = performance.now() - t0;
  await page.waitForSelector('body[data-explorer="ready"]', { timeout: 60_000 }).catch(() => errors.push('explorer did not become ready'));
  const ready = performance.now() - t0;
  // What "opens in under 3 s" means: the page's load event, and the explorer's decoder ready.
  console.log(`load event after ${(loaded / 1000).toFixed(2)} s, explorer ready after ${(ready / 1000).toFixed(2)} s`);
  if (section) {
    await page.locator(`#${section}`).screenshot({ path: output });
  } else {
    await page.screenshot({ path: output, fullPage: flags.has('--full') });
  }
  if (errors.length) console.error(`report-screenshot: console errors:\n${errors.join('\n')}`);
  console.log(`wrote ${output}`);
  process.exitCode = errors.length ? 1 : 0;
} finally {
  await browser.close();
}
