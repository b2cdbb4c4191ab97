import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { UserError, asUserError, at, quote } from './errors.js';
import { guardInput } from './io-guard.js';
import { isPlainRelativePath } from './relative-path.js';

export { isPlainRelativePath } from './relative-path.js';

/**
 * Reading files a user names, with limits: only regular files (a device
 * such as /dev/zero, a pipe or a socket never blocks or grows a read), at
 * most a stated number of bytes (the size is checked before reading, and the
 * read never goes past it), text that must be valid UTF-8, and gzip data
 * that must not decompress past a bound. Every failure is a UserError naming
 * the file.
 */

const MiB = 1024 * 1024;

/** Most bytes read whole for text formats: a JavaScript string holds at most ~512 Mi characters. */
export const TEXT_MAX_BYTES = 512 * MiB;
/** Most bytes read whole for binary formats (a Node Buffer holds up to 4 GiB; half leaves room to parse). */
export const BINARY_MAX_BYTES = 2048 * MiB;
/** Most bytes a gzip member may expand to. Real Athena projects are a few MB; 256 MiB is far beyond any. */
export const GUNZIP_MAX_BYTES = 256 * MiB;

function mib(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(bytes >= 10 * MiB ? 0 : 1)} MiB` : `${bytes} bytes`;
}

/** stat() of a path, with "not found" and friends as UserErrors. */
export function statInput(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError('file not found', path);
    throw asUserError(e) ?? e;
  }
}

/** Throws unless `st` is a regular file (directories, devices, pipes and sockets are refused). */
export function checkRegularFile(st: Stats, path: string, what = 'a file'): void {
  if (st.isDirectory()) throw new UserError(`expected ${what}, found a directory`, path);
  if (!st.isFile()) throw new UserError(`expected ${what}, found a device, pipe or socket (only regular files are read)`, path);
}

/**
 * The bytes of a regular file of at most `maxBytes`. Opened without
 * blocking (a FIFO swapped in after the check cannot stall the read) and
 * read up to the size fstat reports, never further.
 *
 * @param what how messages name the expected file ("a file", "a weight shard"...)
 */
export function readInputBytes(path: string, maxBytes = BINARY_MAX_BYTES, what = 'a file'): Buffer {
  checkRegularFile(statInput(path), path, what);
  guardInput(path);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw asUserError(e) ?? e;
  }
  try {
    const st = fstatSync(fd);
    checkRegularFile(st, path, what);
    if (st.size > maxBytes) {
      throw new UserError(`file is ${mib(st.size)}, more than the ${mib(maxBytes)} this reader takes at once`, path);
    }
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const r = readSync(fd, buf, got, st.size - got, got);
      if (r === 0) break;
      got += r;
    }
    return got === st.size ? buf : buf.subarray(0, got);
  } catch (e) {
    throw asUserError(e) ?? e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Position of the first byte of `bytes` that breaks UTF-8 (-1 if none): a
 * stray continuation byte, a truncated or overlong sequence, a surrogate or
 * a code point past U+10FFFF. Only called once `isUtf8` said no, to say where.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [len, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [len, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [len, min] = [4, 0x10000];
    else return i;
    if (i + len > n) return i;
    let cp = b & (0xff >> (len + 1));
    for (let t = 1; t < len; t++) {
      const c = bytes[i + t];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return -1;
}

/**
 * Refuses bytes that are not UTF-8, naming the line and column of the first
 * bad byte. xlatent reads every text format as UTF-8 and never guesses an
 * encoding: a Latin-1 "µ" or "°" in a header would otherwise turn into U+FFFD
 * silently, and names would no longer match.
 *
 * @param offset byte offset of `bytes` in the file, `line` the line it starts on and `column0`
 *   the column before its first byte (readers that check pieces of a file)
 */
export function checkUtf8(bytes: Uint8Array, source: string, offset = 0, line = 1, column0 = 0): void {
  if (isUtf8(bytes)) return;
  const bad = firstInvalidUtf8(bytes);
  if (bad < 0) return;
  let lineStart = -column0;
  for (let i = 0; i < bad; i++) {
    if (bytes[i] === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  throw new UserError(
    `not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')}${offset > 0 ? ` at byte ${offset + bad}` : ''}); xlatent reads text files as UTF-8: ` +
      're-save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT`',
    at(source, line, bad - lineStart + 1),
  );
}

/** UTF-8 text of bytes (a leading byte-order mark dropped); invalid UTF-8 is a UserError ({@link checkUtf8}). */
export function decodeText(bytes: Uint8Array, source: string): string {
  checkUtf8(bytes, source);
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  return b.toString('utf8', start);
}

/** A text file read whole as UTF-8, at most {@link TEXT_MAX_BYTES}. */
export function readInputText(path: string): string {
  return decodeText(readInputBytes(path, TEXT_MAX_BYTES), path);
}

/** Whether bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses gzip data, stopping (and failing) once the output would pass
 * `maxBytes`: zlib works in chunks, so a decompression bomb costs at most
 * the bound, never the gigabytes it would expand to.
 */
export function gunzipBounded(bytes: Uint8Array, source: string, maxBytes = GUNZIP_MAX_BYTES): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new UserError(
        `gzip data expands to more than ${mib(maxBytes)} (from ${mib(bytes.length)} compressed); refusing it as a likely decompression bomb`,
        source,
      );
    }
    throw new UserError(`gzip data is corrupt or truncated (${err.message.split('\n')[0]})`, source);
  }
}

/**
 * Reads `rel` inside folder `dir` when it is a plain relative path whose
 * real location (symbolic links resolved) is still inside `dir`, a regular
 * file, and at most `maxBytes` long (exactly `exactBytes` when given, checked
 * before reading). What a model directory's manifests name goes through here,
 * so `../../secret` or a link to /dev/zero is refused, never read.
 *
 * @param listedIn the file that named `rel`, for messages
 */
export function readFileInside(dir: string, rel: string, listedIn: string, limits: { maxBytes?: number; exactBytes?: number } = {}): Buffer {
  if (!isPlainRelativePath(rel)) throw new UserError(`path ${quote(rel)} is not a plain relative path inside the model directory; refusing to read it`, listedIn);
  const full = join(dir, rel);
  let real: string;
  let realDir: string;
  try {
    real = realpathSync(full);
    realDir = realpathSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`file not found (named in ${listedIn})`, full);
    throw asUserError(e) ?? e;
  }
  const r = relative(realDir, real);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) {
    throw new UserError(`is a link leading outside the model directory (to ${real}); refusing to read it`, full);
  }
  const st = statInput(full);
  checkRegularFile(st, full);
  if (limits.exactBytes !== undefined && st.size !== limits.exactBytes) {
    throw new UserError(`file is ${st.size} bytes but ${listedIn} says ${limits.exactBytes}`, full);
  }
  if (limits.maxBytes !== undefined && st.size > limits.maxBytes) {
    throw new UserError(`file is ${st.size} bytes, more than the ${limits.maxBytes} that ${listedIn} leaves for it`, full);
  }
  return readInputBytes(full, limits.exactBytes ?? limits.maxBytes ?? BINARY_MAX_BYTES);
}
