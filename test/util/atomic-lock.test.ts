import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceDirByLink } from '../../src/util/atomic.js';
import { lockDir } from '../../src/util/dir-lock.js';
import { flockMissing, requireOrSkip } from '../require.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'xlatent-atomic-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hasFlock = requireOrSkip('flock(1), which locks run directories', flockMissing());

describe('replaceDirByLink', () => {
  it('switches versions through a link, so the path always resolves, and removes old and stale versions', async () => {
    const parent = join(root, 'run');
    const model = join(parent, 'model');
    // A plain directory from before the link scheme is converted.
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'v.txt'), 'legacy');
    // A content directory left by a writer killed before it switched.
    mkdirSync(join(parent, '.model-deadbeef0000'));
    for (const version of ['one', 'two']) {
      await replaceDirByLink(model, async (dir) => {
        // While the new version is written, the current one is in place.
        expect(existsSync(join(model, 'v.txt'))).toBe(true);
        mkdirSync(dir);
        writeFileSync(join(dir, 'v.txt'), version);
      });
      expect(lstatSync(model).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(model, 'v.txt'), 'utf8')).toBe(version);
      expect(readdirSync(parent).filter((e) => e.startsWith('.model')).length).toBe(1);
    }
    // A failed write leaves the current version alone.
    await expect(
      replaceDirByLink(model, async (dir) => {
        mkdirSync(dir);
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readFileSync(join(model, 'v.txt'), 'utf8')).toBe('two');
    expect(readdirSync(parent).sort()).toEqual([readdirSync(parent).find((e) => e.startsWith('.model-'))!, 'model'].sort());
  });
});

describe.skipIf(!hasFlock)('lockDir', () => {
  it('refuses a second holder with the first one named, and frees the lock on release', async () => {
    const dir = join(root, 'locked');
    const first = await lockDir(dir, { busy: 'busy here', what: 'testing' });
    expect(first.held).toBe(true);
    await expect(lockDir(dir, { busy: 'busy here', hint: 'try later', what: 'testing again', waitSeconds: 0.2 })).rejects.toThrow(new RegExp(`busy here \\(testing: pid ${process.pid} on .*\\); try later`));
    await first.release();
    const second = await lockDir(dir, { busy: 'busy here', what: 'testing' });
    expect(second.held).toBe(true);
    await second.release();
  });

  it('is freed by the kernel when its holder is killed with SIGKILL', async () => {
    const dir = join(root, 'killed');
    const holder = `import { lockDir } from ${JSON.stringify(join(__dirname, '../../dist/util/dir-lock.js'))};
      await lockDir(${JSON.stringify(dir)}, { busy: 'busy', what: 'holding' });
      process.stdout.write('held\\n');
      setInterval(() => {}, 1000);`;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve()));
    await expect(lockDir(dir, { busy: 'busy', what: 'second', waitSeconds: 0.2 })).rejects.toThrow(/busy \(holding: pid \d+/);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const lock = await lockDir(dir, { busy: 'busy', what: 'after the kill', waitSeconds: 2 });
    expect(lock.held).toBe(true);
    await lock.release();
  });
});
