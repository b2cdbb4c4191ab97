import { spawn } from 'node:child_process';

/**
 * Talking to Slurm's command-line tools (sbatch, squeue, sacct, scancel):
 * running them without a shell, and reading their parsable output. Pure
 * parsers, so they are tested on recorded output without a cluster.
 */

export interface CommandResult {
  /** Exit status; null when the command could not be started (ENOENT) or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell (arguments are never re-parsed), with a time limit. */
export function runCommand(cmd: string, args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: null, stdout, stderr: stderr || e.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The job id `sbatch --parsable` prints ("123" or "123;cluster"). */
export function parseSbatchJobId(stdout: string): string | undefined {
  const m = /^\s*(\d+)(;\S+)?\s*$/.exec(stdout.trim().split('\n').pop() ?? '');
  return m?.[1];
}

/** Expands a Slurm task list such as "3", "[0-2,5]" or "[1-7%2]" into task numbers. */
export function expandTaskList(list: string): number[] {
  const body = list.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let t = lo; t <= hi; t += step) out.push(t);
  }
  return out;
}

/**
 * Array tasks of job `jobId` and their states from
 * `squeue -h -r -j ID -o '%i|%T'` ("12_0|RUNNING", "12_[1-3]|PENDING").
 */
export function parseSqueue(text: string, jobId: string): Map<number, string> {
  const tasks = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [id, state] = line.trim().split('|');
    if (!id || !state || !id.startsWith(`${jobId}_`)) continue;
    for (const t of expandTaskList(id.slice(jobId.length + 1))) tasks.set(t, state);
  }
  return tasks;
}

/** State and exit code of one array task as accounting recorded it. */
export interface TaskAccounting {
  state: string;
  /** The task's exit status (the part before ':' of sacct's ExitCode); null when unknown. */
  exitCode: number | null;
}

/**
 * Array tasks of job `jobId` from `sacct -n -P -X -j ID -o JobID,State,ExitCode`
 * ("12_0|COMPLETED|0:0", "12_1|CANCELLED by 0|0:15"); the state is its first word.
 */
export function parseSacct(text: string, jobId: string): Map<number, TaskAccounting> {
  const tasks = new Map<number, TaskAccounting>();
  for (const line of text.split('\n')) {
    const [id, state, exit] = line.trim().split('|');
    if (!id || !state || !id.startsWith(`${jobId}_`)) continue;
    const code = exit === undefined ? NaN : Number(exit.split(':')[0]);
    for (const t of expandTaskList(id.slice(jobId.length + 1))) tasks.set(t, { state: state.split(' ')[0], exitCode: Number.isInteger(code) ? code : null });
  }
  return tasks;
}

/** Slurm states of a task that ended from outside (cancelled, out of time, node lost, preempted): resumable. */
export const INTERRUPTED_STATES = new Set(['CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'DEADLINE', 'BOOT_FAIL', 'REQUEUED']);

/** How `squeue -j ID` says that the job is no longer known (finished long enough ago, or never was). */
export function isUnknownJob(r: CommandResult): boolean {
  return /invalid job id/i.test(r.stderr);
}
