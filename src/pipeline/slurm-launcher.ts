import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import type { LaunchContext, Launcher, TrialJob, TrialOutcome, TrialUnit } from './launcher.js';
import { TRIAL_WORKER } from './local-launchers.js';
import { runPaths, trialDir } from './run-dir.js';
import {
  INTERRUPTED_STATES,
  isUnknownJob,
  parseSacct,
  parseSbatchJobId,
  parseSqueue,
  runCommand,
  type CommandResult,
  type TaskAccounting,
} from './slurm-queue.js';
import { TRIAL_RESULT_FILE } from './trials.js';

/** What a Slurm job array asks the cluster for (the `launcher.slurm` section of a search file). */
export interface SlurmOptions {
  /** `--partition`; the cluster's default when absent. */
  partition?: string;
  /** `--time` of one trial, e.g. "02:00:00". */
  time?: string;
  /** `--mem` of one trial, e.g. "4G". */
  mem?: string;
  /** `--cpus-per-task`: the trial's BLAS threads. */
  cpusPerTask: number;
  /** `--gres`, e.g. "gpu:1". */
  gres?: string;
  /** Further sbatch options, one `--name[=value]` word each. */
  extra: string[];
  /** Most tasks running at once (`--array=...%N`). */
  maxParallel?: number;
  /** Shell lines run before the trial (e.g. `module load nodejs/20`). */
  setup: string[];
  /** Node.js on the compute nodes; default: this process's. */
  node?: string;
  /** Seconds between two looks at the queue. */
  pollSeconds: number;
}

/** Quotes a string as one bash word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The batch script of one job array: the resources in #SBATCH lines, and a
 * body that runs the trial worker of this installation on the unit of
 * SLURM_ARRAY_TASK_ID. Always with --resume: a task that Slurm restarts, or
 * that `--resume` submits again, continues from its checkpoint.
 */
export function sbatchScript(units: TrialUnit[], opts: SlurmOptions, title: string, node = opts.node ?? process.execPath, worker = TRIAL_WORKER): string {
  const header = [
    `--cpus-per-task=${opts.cpusPerTask}`,
    ...(opts.partition ? [`--partition=${opts.partition}`] : []),
    ...(opts.time ? [`--time=${opts.time}`] : []),
    ...(opts.mem ? [`--mem=${opts.mem}`] : []),
    ...(opts.gres ? [`--gres=${opts.gres}`] : []),
    ...opts.extra,
  ];
  for (const h of header) if (/[\s'"\\`$]/.test(h)) throw new UserError(`sbatch option ${JSON.stringify(h)} may not hold spaces, quotes or shell syntax`, 'launcher.slurm');
  return [
    '#!/bin/bash',
    `# ${title}`,
    '# Written by xlatent; submitted with --array, --job-name and --output on the sbatch command line.',
    '# One array task per trial: task i trains the trial in line i of `configs` (the run\'s resolved config) and `trials`.',
    ...header.map((h) => `#SBATCH ${h}`),
    'set -eu',
    ...opts.setup,
    `configs=(${units.map((u) => shellQuote(u.configPath)).join(' ')})`,
    `trials=(${units.map((u) => u.trial).join(' ')})`,
    `names=(${units.map((u) => shellQuote(`--name=${u.name ?? `trial ${u.trial}`}`)).join(' ')})`,
    'threads="${SLURM_CPUS_PER_TASK:-1}"',
    'export OPENBLAS_NUM_THREADS="$threads" XLATENT_THREADS="$threads" CI=1',
    `exec ${shellQuote(node)} ${shellQuote(worker)} "\${configs[$SLURM_ARRAY_TASK_ID]}" "\${trials[$SLURM_ARRAY_TASK_ID]}" --resume "\${names[$SLURM_ARRAY_TASK_ID]}"`,
    '',
  ].join('\n');
}

/** One submitted job array, as recorded in `<name>.jobs.json`. */
interface Submission {
  jobId: string;
  submitted: string;
  script: string;
  /** Task i is units[i]. */
  units: { label: string; configPath: string; trial: number }[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });

const resultPath = (u: TrialUnit) => join(trialDir(runPaths(u.cfg.output), u.trial), TRIAL_RESULT_FILE);

/** Epochs a running trial has logged (lines of its metrics.jsonl). */
function epochsLogged(u: TrialUnit): number {
  try {
    return readFileSync(join(trialDir(runPaths(u.cfg.output), u.trial), 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

/** The last line of a log worth quoting: an xlatent error line when there is one. */
function logTail(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => /^xlatent: (error|interrupted|internal error)/.test(l) || /^slurmstepd(-\S+)?: error/.test(l)) ?? lines.pop() ?? '';
}

/** Consecutive failed squeue calls tolerated (slurmctld restarting, a busy controller) before giving up. */
const SQUEUE_RETRIES = 30;

/**
 * Runs trials as Slurm job arrays: one array per job (a search rung, or the
 * trials of a run), the script generated into `dir`, each task the trial
 * worker of this installation (same node, same dist/, on a folder every node
 * sees). Slurm places and runs the tasks; this launcher only submits,
 * watches the queue (squeue), and afterwards reads how each task ended
 * (sacct where accounting exists, else the trial's result file and log).
 *
 * Resubmission is idempotent: before submitting, arrays recorded by an
 * earlier call for the same job name that are still queued or running are
 * waited for (a coordinator restarted with --resume never runs a trial
 * twice), and only units without a result file are submitted.
 */
export class SlurmLauncher implements Launcher {
  readonly description: string;
  private accountingWorks: boolean | undefined;

  /**
   * @param opts resources and submission settings
   * @param dir folder for scripts, submission records and task logs (shared by every node)
   */
  constructor(
    private readonly opts: SlurmOptions,
    readonly dir: string,
  ) {
    this.description = `Slurm job arrays${opts.partition ? ` on partition ${opts.partition}` : ''}`;
  }

  async run(job: TrialJob, ctx: LaunchContext): Promise<TrialOutcome[]> {
    const logs = join(this.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const recordPath = join(this.dir, `${job.name}.jobs.json`);
    const record: { submissions: Submission[] } = existsSync(recordPath) ? (JSON.parse(readFileSync(recordPath, 'utf8')) as { submissions: Submission[] }) : { submissions: [] };
    for (const sub of record.submissions) {
      const live = await this.queued(sub.jobId);
      if (live.size === 0) continue;
      ctx.log(`${job.name}: job ${sub.jobId} submitted earlier still has ${live.size} task${live.size > 1 ? 's' : ''} in the queue; waiting for it`);
      await this.watch(job.name, sub.jobId, this.unitsOf(sub, job.units), ctx);
    }
    const todo = job.units.filter((u) => !existsSync(resultPath(u)));
    const ended = new Map<TrialUnit, TrialOutcome>();
    if (todo.length > 0 && !ctx.signal?.aborted) {
      const script = join(this.dir, `${job.name}.sbatch`);
      writeFileAtomic(script, sbatchScript(todo, this.opts, `xlatent ${job.name}: ${todo.length} trial${todo.length > 1 ? 's' : ''}`));
      const throttle = this.opts.maxParallel ? `%${this.opts.maxParallel}` : '';
      const args = ['--parsable', `--job-name=xlatent-${job.name}`, `--array=0-${todo.length - 1}${throttle}`, `--chdir=${this.dir}`, `--output=${join(logs, `${job.name}-%A_%a.log`)}`, script];
      const r = await runCommand('sbatch', args);
      const jobId = r.code === 0 ? parseSbatchJobId(r.stdout) : undefined;
      if (!jobId) throw new UserError(`sbatch did not accept the job array: ${oneLine(r)}`, script);
      record.submissions.push({ jobId, submitted: new Date().toISOString(), script, units: todo.map((u) => ({ label: u.label, configPath: u.configPath, trial: u.trial })) });
      writeJsonAtomic(recordPath, record);
      ctx.log(`${job.name}: submitted job array ${jobId} (${todo.length} task${todo.length > 1 ? 's' : ''}; ${script})`);
      await this.watch(job.name, jobId, todo, ctx);
      const accounting = await this.accounting(jobId);
      todo.forEach((u, i) => ended.set(u, this.outcome(u, i, jobId, accounting, join(logs, `${job.name}-${jobId}_${i}.log`))));
    }
    return job.units.map((u) => ended.get(u) ?? (existsSync(resultPath(u)) ? { unit: u, state: 'finished' } : { unit: u, state: 'stopped' }));
  }

  /** The current units a recorded submission's tasks were (by config and trial), in task order. */
  private unitsOf(sub: Submission, units: TrialUnit[]): (TrialUnit | undefined)[] {
    return sub.units.map((s) => units.find((u) => u.configPath === s.configPath && u.trial === s.trial));
  }

  /** Tasks of the job still in the queue (any state), by task number. */
  private async queued(jobId: string): Promise<Map<number, string>> {
    for (let attempt = 0; ; attempt++) {
      const r = await runCommand('squeue', ['-h', '-r', '-j', jobId, '-o', '%i|%T']);
      if (r.code === 0) return parseSqueue(r.stdout, jobId);
      if (isUnknownJob(r)) return new Map();
      if (r.code === null && /ENOENT/.test(r.stderr)) throw new UserError('squeue not found: the slurm launcher runs where Slurm\'s commands are (e.g. a login node)');
      if (attempt >= SQUEUE_RETRIES) throw new UserError(`squeue keeps failing (${oneLine(r)}); the job array ${jobId} may still run: look with squeue, then continue with --resume`);
      await sleep(this.opts.pollSeconds * 1000);
    }
  }

  /**
   * Polls the queue until no task of the job is left, logging a progress line
   * whenever it changes. On abort the job is cancelled (Slurm sends SIGTERM:
   * each running trial stops after its epoch with its checkpoint written).
   */
  private async watch(name: string, jobId: string, units: (TrialUnit | undefined)[], ctx: LaunchContext): Promise<void> {
    let cancelled = false;
    let shown = '';
    for (;;) {
      if (ctx.signal?.aborted && !cancelled) {
        cancelled = true;
        ctx.log(`${name}: cancelling job ${jobId} (running trials write their checkpoints)`);
        await runCommand('scancel', [jobId]);
      }
      const tasks = await this.queued(jobId);
      if (tasks.size === 0) return;
      const line = this.progress(name, jobId, tasks, units);
      if (line !== shown) ctx.log(line);
      shown = line;
      await sleep(this.opts.pollSeconds * 1000, cancelled ? undefined : ctx.signal);
    }
  }

  private progress(name: string, jobId: string, tasks: Map<number, string>, units: (TrialUnit | undefined)[]): string {
    const byState = new Map<string, number>();
    for (const s of tasks.values()) byState.set(s.toLowerCase(), (byState.get(s.toLowerCase()) ?? 0) + 1);
    const done = units.filter((u, i) => u && !tasks.has(i) && existsSync(resultPath(u))).length;
    const running = [...tasks]
      .filter(([i, s]) => s === 'RUNNING' && units[i])
      .sort(([a], [b]) => a - b)
      .map(([i]) => `${units[i]!.label} epoch ${epochsLogged(units[i]!)}/${units[i]!.cfg.training.epochs}`);
    const counts = [...byState].map(([s, n]) => `${n} ${s}`).join(', ');
    return `${name} (job ${jobId}): ${counts}, ${done} finished${running.length ? ` | ${running.join(', ')}` : ''}`;
  }

  /** How each task ended according to sacct, or undefined where accounting is off (then result files and logs tell). */
  private async accounting(jobId: string): Promise<Map<number, TaskAccounting> | undefined> {
    if (this.accountingWorks === false) return undefined;
    const r = await runCommand('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode']);
    this.accountingWorks = r.code === 0;
    return r.code === 0 ? parseSacct(r.stdout, jobId) : undefined;
  }

  private outcome(u: TrialUnit, task: number, jobId: string, accounting: Map<number, TaskAccounting> | undefined, log: string): TrialOutcome {
    if (existsSync(resultPath(u))) return { unit: u, state: 'finished' };
    const where = `job ${jobId}_${task}, log ${log}`;
    const tail = logTail(log);
    const acct = accounting?.get(task);
    if (acct) {
      if (INTERRUPTED_STATES.has(acct.state) || acct.exitCode === 130) return { unit: u, state: 'stopped', message: `${u.label}: ${acct.state} (${where})` };
      return { unit: u, state: 'failed', message: `${u.label}: ${acct.state}${acct.exitCode !== null ? ` with exit code ${acct.exitCode}` : ''} (${where})${tail ? `: ${tail}` : ''}` };
    }
    if (/^xlatent: (error|internal error)/.test(tail)) return { unit: u, state: 'failed', message: `${u.label}: ${tail} (${where})` };
    return { unit: u, state: 'stopped', message: `${u.label}: ended without a result (cancelled, out of time or its node lost; ${where})${tail ? `: ${tail}` : ''}` };
  }
}

function oneLine(r: CommandResult): string {
  const text = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).pop();
  return text ?? `exit code ${r.code}`;
}
