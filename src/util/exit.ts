import { asUserError } from './errors.js';

/**
 * A run stopped on request (Ctrl-C, SIGTERM from a scheduler) after saving
 * what it needs to continue: not a failure, so it gets its own exit code
 * (130, as shells report SIGINT) and the message says how to resume.
 */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * The exit policy of every xlatent process (the CLI and trial workers).
 * Expected failures print one line, `xlatent: error: <where>: <what>`, and
 * exit with code 2: UserErrors (bad files, configs, parameters, found
 * wherever they are found), system errors of the environment (disk full,
 * read-only file system, permission denied, a path naming a directory where
 * a file is expected and the reverse: see asUserError) and inputs too large
 * for memory. An interrupted run prints one line and exits 130. Anything else
 * is a bug and keeps its stack trace (exit 1).
 */
export function reportAndExit(err: unknown): never {
  if (err instanceof InterruptedError) {
    process.stderr.write(`xlatent: interrupted: ${err.message}\n`);
    process.exit(INTERRUPTED_EXIT_CODE);
  }
  const user = asUserError(err);
  if (user) {
    process.stderr.write(`xlatent: error: ${user.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`xlatent: internal error (please report): ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}
