import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';
import { INTERRUPTED_EXIT_CODE } from '../util/exit.js';
import type { LaunchContext, Launcher, TrialJob, TrialOutcome } from './launcher.js';
import type { PreparedData } from './prepare-data.js';
import type { RunIdentity } from './run-identity.js';
import { runTrial } from './trials.js';

/** Worker count: config value, 0 meaning one per core, never more than trials. */
export function workerCount(configured: number, trials: number): number {
  const w = configured === 0 ? os.cpus().length : configured;
  return Math.max(1, Math.min(w, trials));
}

/** Runs the trials one after another in this process, on data it has already prepared. */
export class InProcessLauncher implements Launcher {
  readonly description = 'this process';

  /**
   * @param data the run's prepared data (every trial trains on the same split)
   * @param identity the run's identity, recorded in every trial result
   */
  constructor(
    private readonly data: PreparedData,
    private readonly identity: RunIdentity,
  ) {}

  async run(job: TrialJob, ctx: LaunchContext): Promise<TrialOutcome[]> {
    const outcomes: TrialOutcome[] = [];
    for (const trial of job.trials) {
      if (ctx.signal?.aborted) {
        outcomes.push({ trial, state: 'stopped' });
        continue;
      }
      try {
        const end = await runTrial(job.cfg, this.data, this.identity, trial, {
          resume: job.resume,
          log: ctx.log,
          signal: ctx.signal,
          progressLabel: job.trials.length > 1 ? `trial ${trial}` : 'train',
        });
        outcomes.push({ trial, state: end.state });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        outcomes.push({ trial, state: 'failed', message: e.message, error: e });
      }
    }
    return outcomes;
  }
}

/** The trial worker entry (built file; the same path from src/ under test and from dist/). */
export const TRIAL_WORKER = fileURLToPath(new URL('../../dist/pipeline/trial-worker.js', import.meta.url));

/**
 * Runs trials in parallel child processes, `workers` at a time, each
 * `node trial-worker.js <config.resolved.json> <trial>`: a trial in a worker
 * computes exactly what it computes in-process (same seed, same split).
 * Processes rather than worker threads: TF.js keeps global backend state,
 * and a crashed trial must not take the others down. The cores are shared
 * out as BLAS threads. On abort each running worker gets SIGINT and stops
 * after its epoch, checkpointed; if this process exits first, its workers are
 * killed (and a worker whose parent vanished stops by itself: see
 * trial-worker.ts).
 */
export class ProcessLauncher implements Launcher {
  readonly description: string;

  constructor(private readonly workers: number) {
    this.description = `${workers} worker processes`;
  }

  async run(job: TrialJob, ctx: LaunchContext): Promise<TrialOutcome[]> {
    const threads = Math.max(1, Math.floor(os.cpus().length / this.workers));
    const queue = [...job.trials];
    const outcomes: TrialOutcome[] = [];
    const running = new Set<ChildProcess>();
    const killAll = () => {
      for (const c of running) c.kill('SIGKILL');
    };
    const forward = () => {
      for (const c of running) c.kill('SIGINT');
    };
    process.on('exit', killAll);
    ctx.signal?.addEventListener('abort', forward);
    const runOne = (trial: number) =>
      new Promise<void>((resolve) => {
        const child = spawn(process.execPath, [TRIAL_WORKER, job.configPath, String(trial), ...(job.resume ? ['--resume'] : [])], {
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
          env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), XLATENT_THREADS: String(threads), CI: process.env.CI ?? '1' },
        });
        running.add(child);
        let tail = '';
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (chunk: string) => {
          tail = (tail + chunk).slice(-2000);
          for (const line of chunk.split('\n')) if (line.trim()) ctx.log(line);
        });
        child.on('close', (code) => {
          running.delete(child);
          if (code === 0) outcomes.push({ trial, state: 'finished' });
          else if (code === INTERRUPTED_EXIT_CODE) outcomes.push({ trial, state: 'stopped' });
          else outcomes.push({ trial, state: 'failed', message: `trial ${trial} exited with code ${code}: ${tail.trim().split('\n').pop() ?? ''}` });
          resolve();
        });
      });
    const lanes = Array.from({ length: Math.min(this.workers, queue.length) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        if (ctx.signal?.aborted) outcomes.push({ trial: t, state: 'stopped' });
        else await runOne(t);
      }
    });
    try {
      await Promise.all(lanes);
    } finally {
      process.off('exit', killAll);
      ctx.signal?.removeEventListener('abort', forward);
    }
    return outcomes.sort((a, b) => a.trial - b.trial);
  }
}
