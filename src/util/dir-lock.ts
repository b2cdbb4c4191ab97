import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { UserError } from './errors.js';

/** The lock file a locked directory holds (never removed: removing a lock file races with its next user). */
export const LOCK_FILE = '.lock';

/** flock(1)'s exit status when the lock is held elsewhere (asked for with --conflict-exit-code). */
const CONFLICT = 75;

export interface DirLock {
  /** False where the directory could not be locked: flock(1) missing, or a filesystem without locks. */
  readonly held: boolean;
  /** Why it is not held. */
  readonly why?: string;
  /** Gives the lock up and waits until it is free. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** What a refusal says, e.g. "another xlatent run is writing this run directory". */
  busy: string;
  /** What a refused user can do, appended to the refusal. */
  hint?: string;
  /** What the holder is doing, recorded in the lock file for others' refusals, e.g. "xlatent train". */
  what: string;
  /** How long to wait for a holder to let go before refusing. */
  waitSeconds?: number;
}

/** Who holds a lock, as the holder writes it into the lock file. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
  what: string;
}

/**
 * Locks `dir` for as long as this process lives, or until `release`.
 *
 * The lock is flock(2) on `dir/.lock`, taken by a flock(1) child (util-linux)
 * that keeps it while its command, `cat`, reads a pipe from this process.
 * The kernel releases the lock when the processes holding the file close it,
 * so a holder that dies in any way, SIGKILL included, frees it: its end of
 * the pipe closes, `cat` sees end of input and exits, and flock(1) with it.
 * A lock file with a pid in it, in contrast, would need guessing whether
 * the pid still means the same process. The child runs in its own process
 * group, so a Ctrl-C at the terminal (sent to the whole foreground group)
 * does not end it while this process finishes its epoch.
 *
 * A lock held elsewhere is waited for `waitSeconds` (a holder that just
 * exited may need a moment to let go), then refused with a UserError that
 * starts with `busy` and names the holder. Where flock(1) is missing
 * (e.g. macOS without util-linux) or fails (a filesystem without locks), the
 * returned lock has `held: false` and says why; the caller decides whether
 * to warn.
 *
 * @param dir directory to lock (created if missing)
 */
export function lockDir(dir: string, opts: LockOptions): Promise<DirLock> {
  const { busy, hint, what, waitSeconds = 1 } = opts;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const child = spawn('flock', ['--wait', String(waitSeconds), '--conflict-exit-code', String(CONFLICT), path, '/bin/sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  return new Promise<DirLock>((resolve, reject) => {
    let settled = false;
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (settled || !stdout.includes('locked')) return;
      settled = true;
      const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
      writeFileSync(path, JSON.stringify(owner) + '\n');
      // The child must not keep this process alive; the pipe to it stays open until release or exit.
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr] as (Writable | Readable)[]) (s as unknown as { unref?: () => void }).unref?.();
      resolve({
        held: true,
        release: async () => {
          child.ref();
          child.stdin.end();
          await exited;
        },
      });
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      resolve(notHeld(e.code === 'ENOENT' ? 'flock(1) from util-linux is not installed' : `flock(1) could not be started: ${e.message}`));
    });
    child.once('exit', (code) => {
      if (settled) return;
      settled = true;
      if (code === CONFLICT) reject(new UserError(`${busy}${describeOwner(path)}${hint ? `; ${hint}` : ''}`, dir));
      else resolve(notHeld(`flock(1) failed with exit code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}

function notHeld(why: string): DirLock {
  return { held: false, why, release: async () => {} };
}

function describeOwner(path: string): string {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return ` (${o.what}: pid ${o.pid} on ${o.host}, since ${o.since})`;
  } catch {
    return '';
  }
}
