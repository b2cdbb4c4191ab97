import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restorePrevious, runPaths, setAsidePrevious } from '../../src/pipeline/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'xlatent-rundir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeRun(out: string, tag: string): void {
  mkdirSync(join(out, 'trials', 'trial-0'), { recursive: true });
  writeFileSync(join(out, 'run.json'), tag);
  writeFileSync(join(out, 'config.resolved.json'), tag);
  writeFileSync(join(out, 'trials', 'trial-0', 'result.json'), tag);
}
const read = (out: string, rel: string) => readFileSync(join(out, rel), 'utf8');

describe('setting an earlier run aside', () => {
  it('keeps the earlier run through a failed replacement, however often a replacement is started and killed', () => {
    const paths = runPaths(join(root, 'a'));
    writeRun(paths.out, 'old');
    mkdirSync(paths.model);
    expect(setAsidePrevious(paths)).toBe(true);
    expect(existsSync(paths.trials)).toBe(false);
    expect(existsSync(paths.model)).toBe(true); // the model stays usable until a new one replaces it
    // A replacement killed midway; the next fresh run discards its partial state, never the earlier run.
    writeRun(paths.out, 'killed replacement');
    expect(setAsidePrevious(paths)).toBe(true);
    expect(existsSync(paths.trials)).toBe(false);
    writeRun(paths.out, 'failed replacement');
    restorePrevious(paths);
    for (const rel of ['run.json', 'config.resolved.json', 'trials/trial-0/result.json']) expect(read(paths.out, rel)).toBe('old');
    expect(existsSync(paths.previous)).toBe(false);
  });

  it('recovers from a kill in the middle of putting the earlier run back', () => {
    const paths = runPaths(join(root, 'b'));
    writeRun(paths.out, 'old');
    setAsidePrevious(paths);
    writeRun(paths.out, 'new');
    // As if killed after trials/ was put back but before run.json and config.resolved.json were.
    rmSync(paths.trials, { recursive: true });
    renameSync(join(paths.previous, 'trials'), paths.trials);
    setAsidePrevious(paths);
    restorePrevious(paths);
    for (const rel of ['run.json', 'config.resolved.json', 'trials/trial-0/result.json']) expect(read(paths.out, rel)).toBe('old');
  });

  it('has nothing to set aside in a new directory', () => {
    expect(setAsidePrevious(runPaths(join(root, 'new')))).toBe(false);
  });
});
