import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';

/**
 * Runs trials 0..trials-1 in parallel child processes, `workers` at a time.
 * Each child is `xlatent train --config <resolved> --trial i`, so a trial run
 * in a worker is byte-for-byte the trial a single process would run (same
 * seed, same split); the parent then only compares finished trials.
 * Processes rather than worker threads: TF.js keeps global backend state,
 * and a crashed trial must not take the others down.
 */
export async function runTrialsInWorkers(opts: {
  /** Resolved config file every worker loads. */
  configPath: string;
  trials: number[];
  /** Parallel processes. */
  workers: number;
  /** Extra CLI flags for each worker (e.g. --resume, --backend). */
  extraArgs: string[];
  log: (line: string) => void;
}): Promise<void> {
  const bin = fileURLToPath(new URL('../../bin/xlatent.js', import.meta.url));
  // BLAS threads per worker: cores shared out, so workers x threads <= cores.
  const threads = Math.max(1, Math.floor(os.cpus().length / opts.workers));
  const queue = [...opts.trials];
  const failures: string[] = [];
  const runOne = (trial: number) =>
    new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [bin, 'train', '--config', opts.configPath, '--trial', String(trial), ...opts.extraArgs], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), XLATENT_THREADS: String(threads), CI: process.env.CI ?? '1' },
      });
      let tail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-2000);
        for (const line of chunk.split('\n')) if (line.trim()) opts.log(line);
      });
      child.on('close', (code) => {
        if (code !== 0) failures.push(`trial ${trial} exited with code ${code}: ${tail.trim().split('\n').pop() ?? ''}`);
        resolve();
      });
    });
  const lanes = Array.from({ length: Math.min(opts.workers, queue.length) }, async () => {
    while (queue.length > 0) await runOne(queue.shift()!);
  });
  await Promise.all(lanes);
  if (failures.length > 0) throw new UserError(failures.join('; '));
}

/** Worker count: config value, 0 meaning one per core, never more than trials. */
export function workerCount(configured: number, trials: number): number {
  const w = configured === 0 ? os.cpus().length : configured;
  return Math.max(1, Math.min(w, trials));
}

/** Summary a finished trial leaves in its folder. */
export interface TrialResult {
  trial: number;
  seed: number;
  bestEpoch: number;
  bestScore: number;
  epochs: number;
  seconds: number;
}

export const TRIAL_RESULT_FILE = 'result.json';

export function readTrialResult(trialDir: string): TrialResult | null {
  const p = join(trialDir, TRIAL_RESULT_FILE);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as TrialResult;
}
