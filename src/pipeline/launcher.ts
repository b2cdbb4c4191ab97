import type { TrainConfig } from '../config/schema.js';

/** The trials of one run for a launcher to start. */
export interface TrialJob {
  /** The resolved config (cfg.output is the run directory, shared with every trial). */
  cfg: TrainConfig;
  /** The run's config.resolved.json: what a trial in another process or on another machine loads. */
  configPath: string;
  trials: number[];
  /** Continue trials from their checkpoints; finished trials are kept. */
  resume: boolean;
}

/** How one trial ended, as its launcher saw it; results are then gathered from the trial folders. */
export type TrialOutcome =
  | { trial: number; state: 'finished' }
  /** Stopped on request with its checkpoint written, or never started because a stop came first. */
  | { trial: number; state: 'stopped' }
  | { trial: number; state: 'failed'; message: string; error?: unknown };

export interface LaunchContext {
  log: (line: string) => void;
  /** Aborted on Ctrl-C: running trials stop at the end of their epoch (checkpointed), queued ones do not start. */
  signal?: AbortSignal;
}

/**
 * Starts the trials of a run and waits for them to end. Trials are
 * independent units (src/pipeline/trials.ts runTrial; in another process,
 * src/pipeline/trial-worker.ts) that leave their results in the shared run
 * directory, so a launcher only places and watches them: in this process,
 * in local worker processes, or (later) as a Slurm job array.
 */
export interface Launcher {
  /** For the log, e.g. "2 worker processes". */
  readonly description: string;
  run(job: TrialJob, ctx: LaunchContext): Promise<TrialOutcome[]>;
}
