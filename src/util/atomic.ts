import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a file so that readers never see a half-written one: the bytes go to
 * a temporary sibling first, which is then renamed over the target (rename is
 * atomic within one filesystem).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Builds a whole directory under a temporary name and renames it into place,
 * so a killed process leaves either the old directory or the new one.
 * `fill` receives the temporary directory path.
 */
export async function writeDirAtomic(path: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
    const old = `${tmp}.old`;
    let hadOld = false;
    try {
      renameSync(path, old);
      hadOld = true;
    } catch {
      /* no previous directory */
    }
    renameSync(tmp, path);
    if (hadOld) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
