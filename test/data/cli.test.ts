import { describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import data from '../../src/cli/data.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readArrow } from '../../src/data/formats/arrow.js';
import { readReferenceCsv } from '../../src/data/formats/reference-csv.js';
import { tempFiles } from './helpers.js';

const { dir, file } = tempFiles();

/** Runs `xlatent <args>` in this process (fast), returning what it printed; errors propagate. */
async function inProcess(...args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await yargs(args)
      .strict()
      .command(data)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

/** Runs the CLI as a separate process (slow; only for exit codes and stderr). */
function xlatent(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/data/data-cli-entry.ts', ...args], { encoding: 'utf8', cwd: process.cwd() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('xlatent data', () => {
  it('synth -> inspect --json -> convert to Arrow -> inspect gives the same summary', async () => {
    const csv = join(dir, 's.csv');
    expect(await inProcess('data', 'synth', '--out', csv, '--count', '120', '--points', '40', '--seed', '3', '--decimals', '5')).toMatch(/wrote 120 spectra/);
    const ds = readReferenceCsv(csv);
    expect(ds.n).toBe(120);
    expect(ds.m).toBe(40);

    const s = JSON.parse(await inProcess('data', 'inspect', csv, '--json'));
    expect(s.count).toBe(120);
    expect(s.gridLength).toBe(40);
    expect(s.grid.start).toBe(7100);
    expect(s.grid.stop).toBe(7180);
    expect(s.descriptors.map((d: { name: string }) => d.name)).toEqual(['OS', 'CN', 'BL']);
    expect(s.descriptors[1].levels.map((l: { value: number }) => l.value)).toEqual([4, 5, 6]);

    const arrow = join(dir, 's.arrow');
    await inProcess('data', 'convert', csv, arrow);
    expect(Array.from(readArrow(arrow).spectra)).toEqual(Array.from(ds.spectra));
    const again = JSON.parse(await inProcess('data', 'inspect', arrow, '--json'));
    expect({ ...again, source: '' }).toEqual({ ...s, source: '' });

    const table = await inProcess('data', 'inspect', arrow, '--plot', join(dir, 'p.svg'));
    expect(table).toMatch(/120 spectra x 40 points/);
    expect(table).toMatch(/CN\s+120\s+0\s+4\s+6/);
    expect(readFileSync(join(dir, 'p.svg'), 'utf8')).toMatch(/^<svg|<\?xml/);
  });

  it('reports bad files as one line with file:line:column and exit code 2', () => {
    const bad = file('bad.csv', 'id,ENE_1,ENE_2\na,1,2\nb,1,x\n');
    const r = xlatent('data', 'convert', bad, join(dir, 'out.arrow'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.csv:3:5: column "ENE_2": expected a finite number, found "x"/);
    expect(existsSync(join(dir, 'out.arrow'))).toBe(false);
  });

  it('resamples with --grid while converting', async () => {
    const src = file('g.csv', 'id,ENE_0,ENE_1,ENE_2\na,0,10,20\n');
    const out = join(dir, 'g.json');
    await inProcess('data', 'convert', src, out, '--grid', '0:2:0.5');
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.energies).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(j.spectra).toEqual([[0, 5, 10, 15, 20]]);
  });
});
