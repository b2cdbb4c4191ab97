import { expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
