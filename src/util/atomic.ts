import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from './errors.js';
import { checkNotInput } from './io-guard.js';

/** A temporary sibling of `path` (same folder, so the final rename stays on one filesystem). */
function tempSibling(path: string): string {
  return join(dirname(path), temporaryName(basename(path)));
}

/** Strings are gathered up to this many characters before one write. */
const STRING_BATCH = 1 << 20;

/**
 * A file written piece by piece (so no output has to exist as one string or
 * buffer in memory) that appears under its name only when complete: the
 * pieces go to a temporary sibling, renamed over the target by
 * {@link commit}; {@link abort} removes it. An output that is an input of
 * the running command (util/io-guard.ts) or a directory is refused at once.
 */
export class AtomicFileWriter {
  /** The temporary file being written. */
  readonly tmp: string;
  private fd: number | null;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(readonly path: string) {
    checkNotInput(path);
    let st;
    try {
      st = statSync(path);
    } catch {
      /* new file */
    }
    if (st?.isDirectory()) throw new UserError('is a directory; expected the name of a file to write', path);
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = tempSibling(path);
    this.fd = openSync(this.tmp, 'w');
  }

  /** Appends text (UTF-8) or bytes. */
  write(data: string | Uint8Array): void {
    if (typeof data === 'string') {
      this.pending.push(data);
      this.pendingLength += data.length;
      if (this.pendingLength >= STRING_BATCH) this.flush();
      return;
    }
    this.flush();
    this.writeBytes(data);
  }

  private writeBytes(data: Uint8Array): void {
    let off = 0;
    try {
      while (off < data.byteLength) off += writeSync(this.fd!, data, off, data.byteLength - off);
    } catch (e) {
      // write(2) errors (a full disk) carry no path; name the file the user asked for.
      (e as NodeJS.ErrnoException).path ??= this.path;
      throw e;
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    this.writeBytes(Buffer.from(text, 'utf8'));
  }

  /** Writes what is pending and renames the file into place. */
  commit(): void {
    this.flush();
    closeSync(this.fd!);
    this.fd = null;
    checkNotInput(this.path);
    renameSync(this.tmp, this.path);
  }

  /** Drops the temporary file (after a failure); the target is left as it was. */
  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
    rmSync(this.tmp, { force: true });
  }
}

/** Runs `fill` on an {@link AtomicFileWriter} for `path`, committing on success and aborting on failure. */
export async function writeFileStreaming(path: string, fill: (w: AtomicFileWriter) => void | Promise<void>): Promise<void> {
  const w = new AtomicFileWriter(path);
  try {
    await fill(w);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Fills a writer and commits it, or aborts it (dropping what was written) when anything fails. */
export function commitOrAbort<W extends { commit(): void; abort(): void }>(w: W, fill: (w: W) => void): void {
  try {
    fill(w);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/**
 * A unique temporary name for writing `base` beside it:
 * `.<base>.<pid>.<random>.tmp`. Directories renamed aside while being
 * replaced get `.old` appended; `atomicTempSiblings` finds both.
 */
export function temporaryName(base: string): string {
  return `.${base}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

const TEMPORARY = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp(\.old)?$/;

/** Paths of the temporary siblings of `parent/name` that writeFileAtomic / writeDirAtomic create (all of them without `name`). */
export function atomicTempSiblings(parent: string, name?: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  return entries
    .filter((e) => {
      const m = TEMPORARY.exec(e);
      return m !== null && (name === undefined || m[1] === name);
    })
    .map((e) => join(parent, e));
}

/**
 * Removes what writers killed midway left in `dir`: every temporary file or
 * directory of writeFileAtomic and writeDirAtomic. Only for a folder the
 * caller owns (a locked run or trial), where no writer is live.
 */
export function removeAtomicTemps(dir: string): void {
  for (const p of atomicTempSiblings(dir)) rmSync(p, { recursive: true, force: true });
}

/**
 * Writes a file so that readers never see a half-written one: the bytes go to
 * a temporary sibling first, which is then renamed over the target (rename is
 * atomic within one filesystem).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  commitOrAbort(new AtomicFileWriter(path), (w) => w.write(data));
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Builds a whole directory under a temporary name, then renames the old one
 * aside and the new one into place. A killed process leaves the old or the
 * new directory complete, but a kill between the two renames leaves `path`
 * absent with both complete under temporary names (see atomicTempSiblings;
 * checkpoints are recovered from there by recoverCheckpoint). Where `path`
 * must never be absent, use replaceDirByLink.
 * `fill` receives the temporary directory path.
 */
export async function writeDirAtomic(path: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  checkNotInput(path, 'output folder', true);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
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

/**
 * Replaces a directory so that `path` is never absent, not even for an
 * instant: `path` is a symbolic link to a sibling `.<name>-<random>` holding
 * the content, and a new version is switched in by renaming a new link over
 * the old one (atomic on POSIX filesystems). `write` receives the path of the
 * new content directory, which does not exist yet, and must create it.
 * Afterwards every other `.<name>-*` sibling (old versions, and leftovers of
 * killed writers) is removed, so the caller must own the parent folder (the
 * run lock). A real directory at `path` (written before this scheme) is
 * renamed aside first: the one moment `path` is absent. Where symbolic links
 * cannot be made (e.g. Windows without the privilege) the directory is
 * swapped by renames as writeDirAtomic does.
 */
export async function replaceDirByLink(path: string, write: (contentDir: string) => Promise<void>): Promise<void> {
  const parent = dirname(path);
  const name = basename(path);
  const contentName = `.${name}-${randomBytes(6).toString('hex')}`;
  const content = join(parent, contentName);
  mkdirSync(parent, { recursive: true });
  try {
    await write(content);
  } catch (e) {
    rmSync(content, { recursive: true, force: true });
    throw e;
  }
  const link = join(parent, temporaryName(name));
  let linked = true;
  try {
    symlinkSync(contentName, link, 'dir');
  } catch {
    linked = false;
  }
  const current = lstatIfExists(path);
  if (current?.isDirectory() || (!linked && current)) renameSync(path, join(parent, `.${name}-${randomBytes(6).toString('hex')}`));
  renameSync(linked ? link : content, path);
  const keep = linked ? contentName : undefined;
  for (const e of readdirSync(parent)) {
    if (e.startsWith(`.${name}-`) && e !== keep) rmSync(join(parent, e), { recursive: true, force: true });
  }
}

function lstatIfExists(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

