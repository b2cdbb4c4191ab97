import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireOrSkip } from '../require.js';
import { exited, synthCsv, tempDir, tinyConfig, waitFor, xlatent, xlatentAsync } from '../cli/helpers.js';

/**
 * A search through a real Slurm (CI starts a single-node cluster with
 * scripts/ci/start-slurm.sh): several array tasks, one cancelled with
 * scancel while it trains, `--resume` re-submitting only that one, and a
 * leaderboard identical to the same search with the local launcher.
 * Without Slurm the test is skipped, with the reason; with XLATENT_STRICT=1
 * (CI) a missing Slurm is a failure (test/require.ts).
 */

function slurmStatus(): { up: boolean; why: string } {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { up: false, why: `sinfo: ${r.error.message}` };
  if (r.status !== 0) return { up: false, why: `sinfo exited ${r.status}: ${r.stderr.trim()}` };
  if (!/idle|mix|alloc/.test(r.stdout)) return { up: false, why: `no node is up (sinfo: ${r.stdout.trim() || 'nothing'})` };
  return { up: true, why: '' };
}

const slurm = slurmStatus();
const haveSlurm = requireOrSkip('a running Slurm (scripts/ci/start-slurm.sh starts one, as root)', slurm.up ? undefined : slurm.why);

const jobs: string[] = [];
afterAll(() => {
  // A failed run must not leave tasks in the queue.
  if (jobs.length > 0) spawnSync('scancel', jobs);
});

const read = (p: string) => readFileSync(p, 'utf8');

describe.skipIf(!haveSlurm)('xlatent search on Slurm', () => {
  it('runs rungs as job arrays; a cancelled task is re-submitted alone by --resume; the leaderboard equals the local one', async () => {
    const dir = tempDir('xlatent-slurm-');
    const data = synthCsv(dir, 240);
    tinyConfig(dir, data);
    const search = join(dir, 'search.yaml');
    writeFileSync(
      search,
      `base: tiny.yaml
seed: 5
trials: 3
space:
  optimizer.lr: { logRange: [3.0e-4, 3.0e-3] }
  losses.rank.weight: { range: [0.5, 2] }
halving: { minEpochs: 8, maxEpochs: 12, reduction: 3 }
launcher:
  kind: slurm
  workers: 1
  slurm: { pollSeconds: 0.3, time: "00:10:00", mem: 1G }
ensemble: { top: 2 }
`,
    );
    // The reference: the same search in this machine's processes, run meanwhile.
    const local = join(dir, 'local');
    const localRun = exited(xlatentAsync(['search', '--config', search, '--launcher', 'local', '--out', local]));

    const out = join(dir, 'slurm');
    const first = xlatentAsync(['search', '--config', search, '--out', out]);
    const firstDone = exited(first);
    const record = join(out, 'slurm', 'rung-0.jobs.json');
    await waitFor(() => existsSync(record), 'the job array of rung 0', 120);
    const jobId: string = JSON.parse(read(record)).submissions[0].jobId;
    jobs.push(jobId);
    const trial1 = join(out, 'trials', 't-01', 'trials', 'trial-0');
    await waitFor(() => existsSync(join(trial1, 'last')), 'task 1 to write its first checkpoint', 120);
    expect(existsSync(join(trial1, 'result.json')), 'task 1 finished before it could be cancelled').toBe(false);
    const cancel = spawnSync('scancel', [`${jobId}_1`], { encoding: 'utf8' });
    expect(cancel.status, cancel.stderr).toBe(0);
    const { code, stderr } = await firstDone;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/rung-0 \(job \d+\): .*running/); // progress from squeue while the array ran
    expect(stderr).toMatch(/rung 0: t-01: ended without a result|rung 0: t-01: CANCELLED/);
    expect(stderr).toMatch(/--resume/);
    expect(existsSync(join(trial1, 'result.json'))).toBe(false);
    for (const t of ['t-00', 't-02']) expect(existsSync(join(out, 'trials', t, 'trials', 'trial-0', 'result.json'))).toBe(true);

    const resumed = xlatent(['search', '--config', search, '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const subs = JSON.parse(read(record)).submissions;
    expect(subs).toHaveLength(2);
    jobs.push(subs[1].jobId);
    expect(subs[1].units.map((u: { label: string }) => u.label)).toEqual(['t-01']); // only the cancelled trial again
    const log = readdirSync(join(out, 'slurm', 'logs')).find((f) => f.startsWith(`rung-0-${subs[1].jobId}_0`));
    expect(read(join(out, 'slurm', 'logs', log!))).toMatch(/t-01: resumed after epoch \d+/); // from its checkpoint, not afresh
    const rung1 = JSON.parse(read(join(out, 'slurm', 'rung-1.jobs.json'))).submissions;
    expect(rung1).toHaveLength(1);
    expect(rung1[0].units).toHaveLength(1);

    const ref = await localRun;
    expect(ref.code, ref.stderr).toBe(0);
    expect(read(join(out, 'leaderboard.csv'))).toBe(read(join(local, 'leaderboard.csv')));
    expect(read(join(out, 'leaderboard.json'))).toBe(read(join(local, 'leaderboard.json')));

    // The top two trials, trained by Slurm tasks (one of them resumed), form the ensemble embed uses: the same as the local one.
    const members = JSON.parse(read(join(out, 'leaderboard.json'))).ensemble.members;
    expect(members).toHaveLength(2);
    const sources = JSON.parse(read(join(out, 'model', 'metadata.json'))).ensemble.members.map((m: { source: { run: string } }) => m.source.run);
    expect(sources).toEqual(members.map((t: string) => join(out, 'trials', t)));
    const embedded = [out, local].map((o) => {
      const e = xlatent(['embed', '--model', join(o, 'model'), '--data', data, '--out', join(o, 'embedded.csv')]);
      expect(e.code, e.stderr).toBe(0);
      return read(join(o, 'embedded.csv'));
    });
    expect(embedded[0].split('\n')[0]).toContain('pred_OS_std');
    expect(embedded[0]).toBe(embedded[1]);
  });
});
