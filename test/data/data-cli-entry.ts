/**
 * A minimal `xlatent` entry holding only the `data` command, so the data CLI
 * tests do not depend on every other command importing cleanly. Error
 * handling mirrors src/cli/main.ts: UserError -> one line, exit code 2.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import data from '../../src/cli/data.js';
import { UserError } from '../../src/util/errors.js';

function fail(err: unknown): never {
  if (err instanceof UserError) {
    process.stderr.write(`xlatent: error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`xlatent: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}

try {
  await yargs(hideBin(process.argv))
    .scriptName('xlatent')
    .strict()
    .command(data)
    .demandCommand(1)
    .fail((msg, err) => {
      if (err) fail(err);
      process.stderr.write(`xlatent: error: ${msg}\n`);
      process.exit(2);
    })
    .parseAsync();
} catch (err) {
  fail(err);
}
