
/**
 * Errors a user can fix (bad file, bad config, bad parameter, a full disk).
 * The CLI prints `message` as one line and exits with code 2; anything else
 * is a bug and keeps its stack trace.
 *
 * The message is made terminal-safe here, once for every producer: control
 * bytes and escape sequences are shown escaped (a file's bytes never reach
 * the terminal raw), line breaks too (one line), and a runaway message is cut.
 * Producers quote input text with {@link quote} so that each quoted piece is
 * short as well.
 */
export class UserError extends Error {
  /** Where the problem is, e.g. a file path with `:line:column`, or a config key path. */
  readonly where?: string;
  constructor(message: string, where?: string) {
    super(terminalSafe(where ? `${where}: ${message}` : message, MAX_MESSAGE));
    this.name = 'UserError';
    this.where = where;
  }
}

/** Throws a UserError unless `cond` holds; keeps parameter validation to one line. */
export function check(cond: unknown, message: string, where?: string): asserts cond {
  if (!cond) throw new UserError(message, where);
}

/** Formats `file:line:column` (1-based) for error locations. */
export function at(file: string, line?: number, column?: number | string): string {
  let s = file;
  if (line !== undefined) s += `:${line}`;
  if (column !== undefined) s += typeof column === 'number' ? `:${column}` : ` (column ${quote(column)})`;
  return s;
}

/** Longest message a UserError keeps (a backstop: quoted input is already cut by {@link quote}). */
const MAX_MESSAGE = 2000;
/** Characters of input text a message quotes. */
export const QUOTE_MAX = 80;

// C0 and C1 controls, DEL, line/paragraph separators and the bidirectional overrides
// ("Trojan source"): none may reach a terminal or log raw.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default: {
      const code = c.charCodeAt(0);
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/** `text` with control characters escaped (`\x1b`, `\n`, `\u202e`) and cut to `max` characters. */
export function terminalSafe(text: string, max = Infinity): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const safe = cut.replace(UNSAFE, escapeChar);
  return text.length > max ? `${safe}... (${text.length - max} more characters)` : safe;
}

/**
 * Input text as an error message quotes it: in double quotes, control bytes
 * and escape sequences escaped, at most {@link QUOTE_MAX} characters (longer
 * text is cut and says how long it was). The one helper every message that
 * quotes a cell, header, key or line of a user's file goes through.
 */
export function quote(text: string, max = QUOTE_MAX): string {
  const t = String(text);
  if (t.length <= max) return `"${terminalSafe(t)}"`;
  return `"${terminalSafe(t.slice(0, max))}..." (${t.length} characters)`;
}

/** Node system errors (fs, streams) that are the user's environment, not a bug, and what they mean. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for this file system',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory (expected a file)',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists and is not a directory',
  ENOTEMPTY: 'directory not empty',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EBUSY: 'resource busy',
  ETXTBSY: 'file busy',
  EXDEV: 'cannot move across file systems',
  EINVAL: 'invalid argument',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
};

/** Messages of RangeErrors that mean "this input needs more memory than a JavaScript process can have". */
const MEMORY_ERRORS = [/Array buffer allocation failed/, /Invalid string length/, /Cannot create a string longer than/, /Invalid (typed array|array buffer) length: \d{10,}/];

/**
 * The user path behind a temporary sibling written by the atomic writers
 * (`.name.<pid>.<hex>.tmp` -> `name`), so messages name the file the user asked for.
 */
function userPath(p: string): string {
  // String operations, not node:path: UserError is also part of the browser entry.
  const cut = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  const m = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp(\.old)?$/.exec(p.slice(cut + 1));
  return m ? p.slice(0, cut + 1) + m[1] : p;
}

/**
 * Turns an expected failure into a UserError: a system error (disk full,
 * read-only file system, a path naming a directory, ...) or a memory limit.
 * Returns undefined for anything else, which is a bug.
 */
export function asUserError(err: unknown): UserError | undefined {
  if (err instanceof UserError) return err;
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (e.code && SYSTEM_ERRORS[e.code] && (e.syscall || e.path)) {
    // A rename reports the temporary file as `path` and the user's file as `dest`.
    const target = e.dest ?? e.path;
    const action = e.syscall ? ` (${e.syscall})` : '';
    return new UserError(`${SYSTEM_ERRORS[e.code]} [${e.code}${action}]`, target ? userPath(target) : undefined);
  }
  if (e.code === 'ERR_STRING_TOO_LONG' || e.code === 'ERR_BUFFER_TOO_LARGE' || MEMORY_ERRORS.some((re) => re.test(e.message))) {
    return new UserError(`not enough memory for this input (${e.message.split('\n')[0]}); use a smaller input or fewer spectra at a time`);
  }
  return undefined;
}
