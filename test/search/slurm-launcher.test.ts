import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../src/config/schema.js';
import type { TrialUnit } from '../../src/pipeline/launcher.js';
import { SlurmLauncher } from '../../src/pipeline/slurm-launcher.js';

/**
 * The launcher's bookkeeping against stand-in sbatch/squeue/sacct commands
 * (shell scripts first on PATH): what it submits, how it waits, how it
 * reads the end of each task. The real Slurm run is test/search/slurm.test.ts.
 */

let dir: string;
let bin: string;
let savedPath: string | undefined;

/** Writes an executable stand-in command. */
function fake(name: string, body: string) {
  const p = join(bin, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xlatent-fake-slurm-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  // squeue: lists the lines of queue-<job> (one poll consumes one line group separated by '--').
  fake('squeue', `f="${dir}/queue-$4"; [ -f "$f" ] || { echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; }\nawk 'BEGIN{RS="--\\n"} NR==1{printf "%s", $0}' "$f"; awk 'BEGIN{RS="--\\n"; ORS="--\\n"} NR>1' "$f" > "$f.next"; mv "$f.next" "$f"`);
  fake('sbatch', `echo "$@" >> "${dir}/sbatch.log"; n=$(cat "${dir}/next-id"); echo $((n+1)) > "${dir}/next-id"; echo $n`);
  fake('sacct', 'echo "Slurm accounting storage is disabled" >&2; exit 1');
  fake('scancel', `echo "$@" >> "${dir}/scancel.log"`);
  writeFileSync(join(dir, 'next-id'), '50\n');
});

afterEach(() => {
  process.env.PATH = savedPath;
});

function unit(name: string): TrialUnit {
  const out = join(dir, 'trials', name);
  mkdirSync(join(out, 'trials', 'trial-0'), { recursive: true });
  return { cfg: { output: out, training: { epochs: 4 } } as TrainConfig, configPath: join(out, 'config.resolved.json'), trial: 0, label: name, name };
}
const finish = (u: TrialUnit) => writeFileSync(join(u.cfg.output, 'trials', 'trial-0', 'result.json'), '{}');

describe('Slurm launcher', () => {
  it('waits for an array an earlier coordinator submitted, then submits only the trials still without a result', async () => {
    const units = ['t-00', 't-01', 't-02'].map(unit);
    const slurmDir = join(dir, 'slurm');
    mkdirSync(slurmDir);
    // An earlier coordinator submitted job 42 for all three, then died; t-00 has finished, t-01 is still running.
    writeFileSync(
      join(slurmDir, 'rung-0.jobs.json'),
      JSON.stringify({ submissions: [{ jobId: '42', submitted: 'x', script: 'x', units: units.map((u) => ({ label: u.label, configPath: u.configPath, trial: 0 })) }] }),
    );
    finish(units[0]);
    writeFileSync(join(dir, 'queue-42'), '42_1|RUNNING\n42_2|PENDING\n--\n42_1|RUNNING\n--\n');
    // t-01 finishes while we wait; t-02 was cancelled (never ran); the new array (job 50) runs t-02.
    const lines: string[] = [];
    const launcher = new SlurmLauncher({ cpusPerTask: 1, extra: [], setup: [], pollSeconds: 0.05 }, slurmDir);
    const run = launcher.run({ units, resume: true, name: 'rung-0' }, { log: (l) => {
      lines.push(l);
      if (l.includes('(job 42): 1 running')) finish(units[1]);
      if (l.includes('submitted job array 50')) writeFileSync(join(dir, 'queue-50'), '50_0|RUNNING\n--\n');
      if (l.includes('(job 50)')) finish(units[2]);
    } });
    const outcomes = await run;
    expect(lines[0]).toMatch(/rung-0: job 42 submitted earlier still has 2 tasks in the queue; waiting for it/);
    expect(outcomes.map((o) => [o.unit.label, o.state])).toEqual([
      ['t-00', 'finished'],
      ['t-01', 'finished'],
      ['t-02', 'finished'],
    ]);
    const sbatch = readFileSync(join(dir, 'sbatch.log'), 'utf8').trim().split('\n');
    expect(sbatch).toHaveLength(1);
    expect(sbatch[0]).toMatch(/--array=0-0 /); // one task: t-02 only
    const record = JSON.parse(readFileSync(join(slurmDir, 'rung-0.jobs.json'), 'utf8'));
    expect(record.submissions.map((s: { jobId: string }) => s.jobId)).toEqual(['42', '50']);
    expect(record.submissions[1].units.map((u: { label: string }) => u.label)).toEqual(['t-02']);
    expect(readFileSync(join(slurmDir, 'rung-0.sbatch'), 'utf8')).toContain("'--name=t-02'");
  });

  it('without accounting, a task that left no result is stopped (resumable) or failed, from its log', async () => {
    const units = ['t-00', 't-01', 't-02'].map(unit);
    const slurmDir = join(dir, 'slurm');
    const logs = join(slurmDir, 'logs');
    mkdirSync(logs, { recursive: true });
    // t-00 has its result already: the array holds t-01 (task 0) and t-02 (task 1).
    writeFileSync(join(dir, 'queue-50'), '50_0|RUNNING\n50_1|RUNNING\n--\n');
    writeFileSync(join(logs, 'rung-1-50_0.log'), 't-01 [###---] 1/4\nt-01: stopped after epoch 1, checkpoint written\n');
    writeFileSync(join(logs, 'rung-1-50_1.log'), 'xlatent: error: /x/run.json: this worker loaded other data, config or xlatent version than the run recorded (xlatentVersion 0.0.9 vs 0.1.0)\n');
    finish(units[0]);
    const launcher = new SlurmLauncher({ cpusPerTask: 1, extra: [], setup: [], pollSeconds: 0.05 }, slurmDir);
    const outcomes = await launcher.run({ units, resume: true, name: 'rung-1' }, { log: () => {} });
    expect(outcomes[0].state).toBe('finished');
    expect(outcomes[1]).toMatchObject({ state: 'stopped' });
    expect(outcomes[1].state === 'stopped' && outcomes[1].message).toMatch(/t-01: ended without a result .*job 50_0.*: t-01: stopped after epoch 1, checkpoint written/);
    expect(outcomes[2]).toMatchObject({ state: 'failed' });
    expect(outcomes[2].state === 'failed' && outcomes[2].message).toMatch(/t-02: xlatent: error: .*xlatentVersion 0\.0\.9 vs 0\.1\.0/);
  });

  it('a refused submission is one clear error naming the script', async () => {
    fake('sbatch', 'echo "sbatch: error: invalid partition specified: nosuch" >&2; exit 1');
    const launcher = new SlurmLauncher({ cpusPerTask: 1, partition: 'nosuch', extra: [], setup: [], pollSeconds: 0.05 }, join(dir, 'slurm'));
    await expect(launcher.run({ units: [unit('t-00')], resume: true, name: 'rung-0' }, { log: () => {} })).rejects.toThrow(/rung-0\.sbatch: sbatch did not accept the job array: sbatch: error: invalid partition specified: nosuch/);
  });
});
