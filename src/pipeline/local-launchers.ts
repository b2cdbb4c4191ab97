import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';
import { INTERRUPTED_EXIT_CODE } from '../util/exit.js';
import type { TrainConfig } from '../config/schema.js';
import type { LaunchContext, Launcher, TrialJob, TrialOutcome, TrialUnit } from './launcher.js';
import type { PreparedData } from './prepare-data.js';
import type { RunIdentity } from './run-identity.js';
import { runTrial } from './trials.js';

/** Worker count: config value, 0 meaning one per core, never more than trials. */
export function workerCount(configured: number, trials: number): number {
  const w = configured === 0 ? os.cpus().length : configured;
  return Math.max(1, Math.min(w, trials));
}

/** What a trial in this process trains on: its run's prepared data and identity. */
export type PrepareTrial = (cfg: TrainConfig) => Promise<{ data: PreparedData; identity: RunIdentity }>;

/** Runs the trials one after another in this process, on data it has already prepared. */
export class InProcessLauncher implements Launcher {
  readonly description = 'this process';

  /**
   * @param prepare the prepared data and identity of a unit's run (every
   *   trial of a run trains on the same split; a search prepares each
   *   distinct data configuration once)
   */
  constructor(private readonly prepare: PrepareTrial) {}

  async run(job: TrialJob, ctx: LaunchContext): Promise<TrialOutcome[]> {
    const outcomes: TrialOutcome[] = [];
    for (const unit of job.units) {
      if (ctx.signal?.aborted) {
        outcomes.push({ unit, state: 'stopped' });
        continue;
      }
      try {
        const { data, identity } = await this.prepare(unit.cfg);
        const end = await runTrial(unit.cfg, data, identity, unit.trial, {
          resume: job.resume,
          log: ctx.log,
          signal: ctx.signal,
          progressLabel: unit.label,
          name: unit.name,
        });
        outcomes.push({ unit, state: end.state });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        outcomes.push({ unit, state: 'failed', message: e.message, error: e });
      }
    }
    return outcomes;
  }
}

/** The trial worker entry (built file; the same path from src/ under test and from dist/). */
export const TRIAL_WORKER = fileURLToPath(new URL('../../dist/pipeline/trial-worker.js', import.meta.url));

/**
 * Runs trials in parallel child processes, `workers` at a time, each
 * `node trial-worker.js <run>/config.resolved.json <trial>`: a trial in a worker
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
    const queue = [...job.units];
    const outcomes = new Map<TrialUnit, TrialOutcome>();
    const running = new Set<ChildProcess>();
    const killAll = () => {
      for (const c of running) c.kill('SIGKILL');
    };
    const forward = () => {
      for (const c of running) c.kill('SIGINT');
    };
    process.on('exit', killAll);
    ctx.signal?.addEventListener('abort', forward);
    const runOne = (unit: TrialUnit) =>
      new Promise<void>((resolve) => {
        const args = [TRIAL_WORKER, unit.configPath, String(unit.trial), ...(job.resume ? ['--resume'] : []), ...(unit.name ? [`--name=${unit.name}`] : [])];
        const child = spawn(process.execPath, args, {
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
          if (code === 0) outcomes.set(unit, { unit, state: 'finished' });
          else if (code === INTERRUPTED_EXIT_CODE) outcomes.set(unit, { unit, state: 'stopped' });
          else outcomes.set(unit, { unit, state: 'failed', message: `${unit.label} exited with code ${code}: ${tail.trim().split('\n').pop() ?? ''}` });
          resolve();
        });
      });
    const lanes = Array.from({ length: Math.min(this.workers, queue.length) }, async () => {
      for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
        if (ctx.signal?.aborted) outcomes.set(u, { unit: u, state: 'stopped' });
        else await runOne(u);
      }
    });
    try {
      await Promise.all(lanes);
    } finally {
      process.off('exit', killAll);
      ctx.signal?.removeEventListener('abort', forward);
    }
    return job.units.map((u) => outcomes.get(u)!);
  }
}
