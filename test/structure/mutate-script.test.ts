import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'mutate.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

// Only the refusals are tested here: a mutation run takes minutes to an hour, and is a benchmark-like script (README, Development).
describe('npm run mutate arguments', () => {
  it('refuses an unknown argument with the usage, --incremental included, and exit 2', () => {
    const r = run('--fast');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^mutate: unknown argument --fast; usage: npm run mutate -- \[--module [a-z-|]+\]\.\.\. \[--incremental\]$/);
  });

  it('refuses an unknown module, naming the modules it has', () => {
    const r = run('--incremental', '--module', 'readers-tables,nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mutate: unknown module "nope"; modules: .*readers-tables/);
  });
});
