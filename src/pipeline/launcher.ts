import type { TrainConfig } from '../config/schema.js';

/** One trial of one run: the unit a launcher starts. */
export interface TrialUnit {
  /** The run's resolved config (cfg.output is the run directory, shared with the run's other trials). */
  cfg: TrainConfig;
  /** The run's config.resolved.json: what a trial in another process or on another machine loads. */
  configPath: string;
  /** Index of the trial in its run (seed cfg.seed + trial, folder trials/trial-<trial>). */
  trial: number;
  /** Text of its progress bar and messages, e.g. "trial 2" or "t-03". */
  label: string;
  /** Names it in log lines where "trial <i>" would be ambiguous (a search's "t-03"); default "trial <i>". */
  name?: string;
}

/** Trials for a launcher to start: those of one `xlatent train` run, or one rung of a search (trials of several runs). */
export interface TrialJob {
  units: TrialUnit[];
  /** Continue trials from their checkpoints; finished trials are kept. */
  resume: boolean;
  /** Names this batch of trials where a launcher needs a name (Slurm script and job), e.g. "trials" or "rung-1". */
  name: string;
}

/** How one trial ended, as its launcher saw it; results are then gathered from the trial folders. */
export type TrialOutcome =
  | { unit: TrialUnit; state: 'finished' }
  /** Stopped on request with its checkpoint written, never started because a stop came first, or ended from outside (a cancelled job). */
  | { unit: TrialUnit; state: 'stopped'; message?: string }
  | { unit: TrialUnit; state: 'failed'; message: string; error?: unknown };

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
 * in local worker processes (local-launchers.ts), or as a Slurm job array
 * (slurm-launcher.ts). Outcomes come back in the order of `job.units`.
 */
export interface Launcher {
  /** For the log, e.g. "2 worker processes". */
  readonly description: string;
  run(job: TrialJob, ctx: LaunchContext): Promise<TrialOutcome[]>;
}
