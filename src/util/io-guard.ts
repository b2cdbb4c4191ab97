import { realpathSync, statSync } from 'node:fs';
import { relative, isAbsolute, resolve } from 'node:path';
import { UserError } from './errors.js';

/**
 * Outputs never alias inputs. Once the command line turns the guard on,
 * every file a command reads (readers, model directories, configs: all go
 * through util/read-file.ts) is remembered by device and inode and by its
 * real path, and the atomic writers refuse to replace such a file, or a
 * directory holding one, before anything is renamed. Symbolic links and hard
 * links to an input count as the input. The library leaves the guard off:
 * a program may read a file and deliberately write it back.
 */

let enabled = false;
/** "dev:ino" -> the path the input was named by. */
const inputFiles = new Map<string, string>();
/** Real paths of the inputs (files and folders), for "a replaced folder holds an input". */
const inputReal = new Map<string, string>();

/** Turns the guard on for this process (the CLI does, before any command runs). */
export function enableInputGuard(on = true): void {
  enabled = on;
  if (!on) {
    inputFiles.clear();
    inputReal.clear();
  }
}

/** Remembers `path` (a file or folder that exists) as an input of this command. */
export function guardInput(path: string): void {
  if (!enabled) return;
  try {
    const st = statSync(path);
    if (st.isFile()) inputFiles.set(`${st.dev}:${st.ino}`, path);
    inputReal.set(realpathSync(path), path);
  } catch {
    /* not there: nothing to protect */
  }
}

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * Refuses to write `target` when it is (or, for a folder replaced as a
 * whole, holds) an input of this command; a folder to be replaced as a whole
 * must not be an existing file either (the file would be deleted).
 *
 * @param what how the message names the output, e.g. "--out"
 * @param replacedDir the whole folder `target` is replaced (writeDirAtomic), not one file in it
 */
export function checkNotInput(target: string, what = 'output', replacedDir = false): void {
  if (!enabled) return;
  let st;
  try {
    st = statSync(target);
  } catch {
    return; // a new path cannot be an existing input
  }
  if (st.isFile() && replacedDir) throw new UserError('is a file; expected the name of a folder to write', target);
  if (st.isFile()) {
    const input = inputFiles.get(`${st.dev}:${st.ino}`);
    if (input !== undefined) {
      const same = resolve(input) === resolve(target) ? '' : ` (the same file as input ${input})`;
      throw new UserError(`${what} ${target} is also an input of this command${same}; writing it would destroy the input. Choose another output path`);
    }
    return;
  }
  if (st.isDirectory() && replacedDir) {
    const real = realpathSync(target);
    for (const [r, input] of inputReal) {
      if (inside(real, r)) {
        throw new UserError(`${what} ${target} would be replaced as a whole, but it holds input ${input}; choose another output folder`);
      }
    }
  }
}
