import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule } from 'yargs';
import { BackendSchema } from '../config/schema.js';
import { reportAndExit } from '../util/exit.js';
import { commands, networkCommands } from './commands.js';

/**
 * Entry point of the `xlatent` command; errors follow the exit policy of
 * src/util/exit.ts (one line and exit 2 for user errors).
 */
export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('xlatent')
    .usage('$0 <command> [options]\n\nPhysically organized latent spaces of X-ray spectra.')
    .strict()
    .demandCommand(1, 'Name a command; `xlatent --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) reportAndExit(err);
      // yargs' own parse problems (unknown flag, missing value) are user errors too.
      process.stderr.write(`xlatent: error: ${msg}\nRun with --help for usage.\n`);
      process.exit(2);
    });
  for (const c of commands) cli = cli.command(c as CommandModule);
  // Commands that run networks (all but train, which selects from its config, and the
  // pure-data ones) get the fastest available backend unless --backend names one.
  // TF.js and the backends load only then.
  cli = cli
    .option('backend', { type: 'string', global: true, describe: `Compute backend: ${BackendSchema.options.join('|')}` })
    .middleware(async (argv) => {
      if (!networkCommands.has(String(argv._[0] ?? ''))) return;
      const { parseBackendArg, selectBackend } = await import('../backends/select.js');
      await selectBackend(parseBackendArg(argv.backend ?? 'auto'));
    });
  try {
    await cli.help().alias('h', 'help').version().parseAsync();
  } catch (err) {
    reportAndExit(err);
  }
}

await main(hideBin(process.argv));
