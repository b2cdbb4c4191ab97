import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../cli/helpers.js';

/**
 * Seeded fuzzing of every input format (test/safety/fuzz-worker.mjs):
 * random byte flips, insertions, deletions and truncations of a valid
 * file of each format, read through the real entry points. Every case must
 * end in success or a UserError whose message is one clean line; none may
 * hang or throw anything else. A few cases then go through the binary.
 */
const WORKER = resolve(__dirname, 'fuzz-worker.mjs');
const dir = tempDir('xlatent-fuzz-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  i: number;
  name: string;
  path: string;
  format: string;
  outcome: 'ok' | 'user' | 'bug';
  ms: number;
  message: string;
}

describe('fuzzed inputs: exit 0 or 2, never a hang or a stack trace', () => {
  let cases: Case[] = [];

  it('350 seeded mutations of 14 input kinds, and every word of an Arrow footer, through the reader entry points', () => {
    // 25 cases per kind; a hang is stopped by the timeout and named by the last "start" line.
    const r = spawnSync(process.execPath, ['--max-old-space-size=2048', WORKER, '1', dir, '25'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    cases = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Case);
    const started = r.stderr.split('\n').filter((l) => l.startsWith('start ')).pop();
    expect(r.status, `worker did not finish (hang or crash at ${started}): ${r.stderr.slice(-2000)}`).toBe(0);
    const random = cases.filter((c) => c.format !== 'arrow-footer');
    expect(random.length).toBe(350);
    expect(cases.length - random.length).toBeGreaterThan(100);
    const bugs = cases.filter((c) => c.outcome === 'bug');
    expect(bugs.map((c) => `${c.name}: ${c.message}`)).toEqual([]);
    for (const c of cases) {
      expect(c.ms, c.name).toBeLessThan(10_000);
      if (c.outcome === 'user') {
        expect(c.message, c.name).not.toMatch(/[\x00-\x1f\x7f]/);
        expect(c.message.length, c.name).toBeLessThan(2100);
      }
    }
    // The unmutated file of every kind reads; the mutations are refused often but not always.
    const formats = [...new Set(random.map((c) => c.format))];
    expect(formats.length).toBe(14);
    for (const f of formats) expect(cases.find((c) => c.format === f)!.outcome, f).toBe('ok');
    expect(cases.find((c) => c.format === 'arrow-footer')!.message).toMatch(/not a readable Arrow IPC/);
    const user = random.filter((c) => c.outcome === 'user').length;
    expect(user).toBeGreaterThan(150);
    expect(user).toBeLessThan(345);
  });

  it('a few of the same files through the real binary exit 0 or 2 without a stack trace', () => {
    const picks = ['csv', 'arrow', 'json', 'athena-gz', 'npy', 'xdi']
      .map((f) => cases.filter((c) => c.format === f && c.outcome === 'user')[1])
      .filter((c): c is Case => c !== undefined);
    expect(picks.length).toBe(6);
    for (const c of picks) {
      const args = ['data', 'inspect', c.path, ...(c.format === 'npy' ? ['--axis', 'q:15:0.1'] : [])];
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status === 0 || r.status === 2, `${c.name}: exit ${r.status}\n${r.stderr}`).toBe(true);
      expect(r.stderr, c.name).not.toMatch(/internal error|\n\s+at /);
      if (r.status === 2) expect(r.stderr.trim().split('\n').pop()).toMatch(/^xlatent: error: /);
    }
  });
});
