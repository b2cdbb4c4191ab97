import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../src/config/schema.js';
import type { TrialUnit } from '../../src/pipeline/launcher.js';
import { sbatchScript, type SlurmOptions } from '../../src/pipeline/slurm-launcher.js';
import { expandTaskList, parseSacct, parseSbatchJobId, parseSqueue } from '../../src/pipeline/slurm-queue.js';

const opts: SlurmOptions = { cpusPerTask: 2, partition: 'gpu', time: '02:00:00', mem: '4G', gres: 'gpu:a100:1', extra: ['--account=abc', '--signal=B:TERM@120'], setup: ['module load nodejs/20'], pollSeconds: 10 };

describe('Slurm command output', () => {
  it('reads job ids, task lists, squeue and sacct lines', () => {
    expect(parseSbatchJobId('1234\n')).toBe('1234');
    expect(parseSbatchJobId('1234;cluster-a')).toBe('1234');
    expect(parseSbatchJobId('Submitted batch job 12')).toBeUndefined();
    expect(expandTaskList('[0-2,5]')).toEqual([0, 1, 2, 5]);
    expect(expandTaskList('[1-7%2]')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(expandTaskList('[0-6:3]')).toEqual([0, 3, 6]);
    expect(expandTaskList('4')).toEqual([4]);
    const q = parseSqueue('17_0|RUNNING\n17_[2-3]|PENDING\n170_1|RUNNING\n18_0|PENDING\n', '17');
    expect([...q]).toEqual([
      [0, 'RUNNING'],
      [2, 'PENDING'],
      [3, 'PENDING'],
    ]);
    const a = parseSacct('17_0|COMPLETED|0:0\n17_1|CANCELLED by 0|0:15\n17_2|FAILED|2:0\n17_3|TIMEOUT|0:1\n', '17');
    expect(a.get(0)).toEqual({ state: 'COMPLETED', exitCode: 0 });
    expect(a.get(1)).toEqual({ state: 'CANCELLED', exitCode: 0 });
    expect(a.get(2)).toEqual({ state: 'FAILED', exitCode: 2 });
    expect(a.get(3)?.state).toBe('TIMEOUT');
  });
});

describe('job array script', () => {
  const dir = mkdtempSync(join(tmpdir(), "xlatent sbatch 'q' "));
  const unit = (name: string, trial: number): TrialUnit => ({ cfg: {} as TrainConfig, configPath: join(dir, name, 'config.resolved.json'), trial, label: name, name: trial === 1 ? name : undefined });
  const units = [unit('t-00', 0), unit("t-01 $(touch pwned) 'x'", 1), unit('t-02', 0)];

  it('asks for the configured resources in #SBATCH lines', () => {
    const s = sbatchScript(units, opts, 'xlatent rung-0', '/opt/node', '/opt/xlatent/dist/pipeline/trial-worker.js');
    const header = s.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(header).toEqual([
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --partition=gpu',
      '#SBATCH --time=02:00:00',
      '#SBATCH --mem=4G',
      '#SBATCH --gres=gpu:a100:1',
      '#SBATCH --account=abc',
      '#SBATCH --signal=B:TERM@120',
    ]);
    expect(s).toContain('\nmodule load nodejs/20\n');
    expect(spawnSync('bash', ['-n'], { input: s }).status).toBe(0);
  });

  it('each task runs the worker on its own unit, paths passed as single words whatever they hold', () => {
    // A stand-in "node" that prints its arguments one per line.
    const fakeNode = join(dir, 'fake node');
    writeFileSync(fakeNode, '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\necho "threads=$OPENBLAS_NUM_THREADS"\n');
    chmodSync(fakeNode, 0o755);
    const script = join(dir, 'job.sbatch');
    writeFileSync(script, sbatchScript(units, { ...opts, setup: [] }, 'test', fakeNode, '/w/trial-worker.js'));
    for (const [task, u] of units.entries()) {
      const r = spawnSync('bash', [script], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, SLURM_ARRAY_TASK_ID: String(task), SLURM_CPUS_PER_TASK: '3' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`[/w/trial-worker.js]\n[${u.configPath}]\n[${u.trial}]\n[--resume]\n[--name=${u.name ?? `trial ${u.trial}`}]\nthreads=3\n`);
    }
    expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout).not.toContain('pwned');
  });
});
