import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exited, sameWeights, synthCsv, tempDir, tinyConfig, waitFor, xlatent, xlatentAsync } from './helpers.js';

/** Ctrl-C and kills at awkward moments, through the built binary; --resume must end where an uninterrupted run ends. */

let dir: string;
let data: string;

beforeAll(() => {
  dir = tempDir();
  data = synthCsv(dir, 200);
});

describe('interrupting and resuming', () => {
  it('Ctrl-C finishes the epoch, writes last/, exits 130, and --resume ends with the weights of an uninterrupted run', async () => {
    const cfg = tinyConfig(dir, data);
    const straight = join(dir, 'straight');
    expect(xlatent(['train', '--config', cfg, '--epochs', '5', '--out', straight]).code).toBe(0);
    const out = join(dir, 'ctrl-c');
    const child = xlatentAsync(['train', '--config', cfg, '--epochs', '5', '--out', out]);
    const done = exited(child);
    await waitFor(() => existsSync(join(out, 'trials', 'trial-0', 'last')), 'the first checkpoint');
    child.kill('SIGINT');
    const { code, stderr } = await done;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupt: finishing this epoch/);
    expect(stderr).toMatch(/--resume/);
    expect(existsSync(join(out, 'trials', 'trial-0', 'result.json'))).toBe(false);
    const trial = join(out, 'trials', 'trial-0');
    const state = JSON.parse(readFileSync(join(trial, 'last', 'state.json'), 'utf8'));
    // Epochs remain to be trained, so the resume below has work to do.
    expect(state.epoch).toBeGreaterThanOrEqual(1);
    expect(state.epoch).toBeLessThan(5);
    const interrupted = join(dir, 'interrupted-last');
    cpSync(join(trial, 'last'), interrupted, { recursive: true });
    const resumed = xlatent(['train', '--config', cfg, '--epochs', '5', '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resumed after epoch ${state.epoch}`);
    expect(JSON.parse(readFileSync(join(trial, 'last', 'state.json'), 'utf8')).epoch).toBe(5);
    sameWeights(straight, out);

    // A kill between the two renames of the checkpoint write leaves last/ only under a temporary name:
    // --resume still continues from it (not from scratch) and cleans the temporaries. The checkpoint
    // put there is the interrupted one, so the resume has to train epochs state.epoch + 1 .. 5 again.
    // (As if also killed before the trial's result was written.)
    rmSync(join(trial, 'result.json'));
    rmSync(join(trial, 'last'), { recursive: true });
    renameSync(interrupted, join(trial, '.last.99999.00c0ffee.tmp'));
    // Temporary files of other writers killed midway are cleaned too.
    writeFileSync(join(trial, '.metrics.csv.99999.0badf00d.tmp'), 'partial');
    writeFileSync(join(out, '.run.json.99999.0badf00d.tmp'), 'partial');
    const again = xlatent(['train', '--config', cfg, '--epochs', '5', '--out', out, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resumed after epoch ${state.epoch}`);
    expect(JSON.parse(readFileSync(join(trial, 'last', 'state.json'), 'utf8')).epoch).toBe(5);
    expect(existsSync(join(trial, 'result.json'))).toBe(true);
    expect(readdirSync(trial).filter((e) => e.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(out).filter((e) => e.endsWith('.tmp'))).toEqual([]);
    sameWeights(straight, out);
  });

  it('Ctrl-C stops trials in worker processes too, each checkpointed, and --resume finishes them', async () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'ctrl-c-workers');
    const child = xlatentAsync(['train', '--config', cfg, '--epochs', '6', '--trials', '2', '--workers', '2', '--out', out]);
    const done = exited(child);
    const last = (t: number) => join(out, 'trials', `trial-${t}`, 'last');
    await waitFor(() => existsSync(last(0)) && existsSync(last(1)), 'both trials to checkpoint', 120);
    child.kill('SIGINT');
    const { code, stderr } = await done;
    expect(code, stderr).toBe(130);
    for (const t of [0, 1]) expect(existsSync(join(out, 'trials', `trial-${t}`, 'result.json'))).toBe(false);
    const resumed = xlatent(['train', '--config', cfg, '--epochs', '6', '--trials', '2', '--workers', '2', '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const t of [0, 1]) {
      const after = Number(new RegExp(`trial ${t}: resumed after epoch (\\d+)`).exec(resumed.stderr)?.[1]);
      expect(after, resumed.stderr).toBeGreaterThanOrEqual(1);
      expect(after).toBeLessThan(6);
      expect(JSON.parse(readFileSync(join(last(t), 'state.json'), 'utf8')).epoch).toBe(6);
    }
  });
});
