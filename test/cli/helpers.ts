import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../bin/xlatent.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds it first) in a child process. */
export function xlatent(args: string[], cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and expects success (exit 0), showing its stderr otherwise. */
export function xlatentOk(args: string[], cwd?: string): CliResult {
  const r = xlatent(args, cwd);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** Same, without blocking the test's event loop (for runs that are killed midway). */
export function xlatentAsync(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
}

export function tempDir(prefix = 'xlatent-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `count` synthetic spectra x 48 points (seed 3) to DIR/synth.csv and returns its path. */
export function synthCsv(dir: string, count: number): string {
  const file = join(dir, 'synth.csv');
  const r = xlatent(['data', 'synth', '--out', file, '--count', String(count), '--points', '48', '--seed', '3']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return file;
}

/** A small, fast training config (tiny network, few epochs) over `dataFile`. */
export function tinyConfig(dir: string, dataFile: string, extra = ''): string {
  const p = join(dir, 'tiny.yaml');
  writeFileSync(
    p,
    `seed: 7
data:
  file: ${dataFile}
  descriptors: [OS, CN, BL]
  discrete: [CN]
network:
  nStyle: 3
  hidden: 16
  depth: 3
  discriminator: { hidden: 16, depth: 2, dropout: 0.05, noise: 0.5 }
losses:
  adversarial: { priorSamples: 64 }
training:
  epochs: 3
  batchSize: 64
backend: cpu
output: ${join(dir, 'run')}
${extra}`,
  );
  return p;
}

/** Resolves with the exit code and stderr of a child started by xlatentAsync. */
export function exited(child: ReturnType<typeof xlatentAsync>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Polls `cond` every 10 ms until it holds. */
export async function waitFor(cond: () => boolean, what: string, seconds = 60): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Asserts that two run directories hold bit-identical encoder and decoder weights. */
export function sameWeights(a: string, b: string): void {
  for (const net of ['encoder', 'decoder']) {
    expect(readFileSync(join(b, 'model', net, 'weights.bin')).equals(readFileSync(join(a, 'model', net, 'weights.bin'))), `${net} weights differ`).toBe(true);
  }
}

/** Exit 2 and one error line, the last on stderr (after any progress lines), matching `re`, with no stack frame. */
export function expectUserError(r: { code: number | null; stderr: string }, re: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('xlatent: error: ')).length, r.stderr).toBe(1);
  expect(lines[lines.length - 1]).toMatch(/^xlatent: error: /);
  expect(lines[lines.length - 1]).toMatch(re);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.code, r.stderr).toBe(2);
}
