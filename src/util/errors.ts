/**
 * Errors a user can fix (bad file, bad config, bad parameter). The CLI prints
 * `message` as one line and exits with code 2; anything else is a bug and
 * keeps its stack trace.
 */
export class UserError extends Error {
  /** Where the problem is, e.g. a file path with `:line:column`, or a config key path. */
  readonly where?: string;
  constructor(message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
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
  if (column !== undefined) s += typeof column === 'number' ? `:${column}` : ` (column "${column}")`;
  return s;
}
