import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule } from 'yargs';
import { BackendSchema } from '../config/schema.js';
import { checkNotInput, enableInputGuard, guardInput } from '../util/io-guard.js';
import { reportAndExit } from '../util/exit.js';
import { commands, networkCommands } from './commands.js';

/** Options that name files or folders a command reads, and those it writes. */
const INPUT_OPTIONS = ['model', 'data', 'config', 'input', 'file', 'compare', 'metrics'];
const OUTPUT_OPTIONS = ['out', 'output', 'plot'];
/** Commands whose --out folder is replaced as a whole. */
const REPLACED_OUT = new Set(['export', 'baseline']);

/**
 * Refuses, before any work, an output path that is one of the inputs named
 * on the command line (or a folder replaced as a whole that holds one). The
 * atomic writers check again at the moment of writing, against every file
 * the command actually read (util/io-guard.ts).
 */
function checkOutputsAgainstInputs(argv: Record<string, unknown>): void {
  for (const k of INPUT_OPTIONS) {
    const v = argv[k];
    for (const p of Array.isArray(v) ? v : [v]) if (typeof p === 'string') guardInput(p);
  }
  const command = String((argv._ as unknown[])[0] ?? '');
  for (const k of OUTPUT_OPTIONS) {
    const v = argv[k];
    if (typeof v === 'string') checkNotInput(v, k === 'output' ? 'output' : `--${k}`, k === 'out' && REPLACED_OUT.has(command));
  }
}

/**
 * Entry point of the `xlatent` command. Errors follow the one exit policy of
 * src/util/exit.ts: every expected failure prints one line and exits 2.
 */
export async function main(argv: string[]): Promise<void> {
  enableInputGuard();
  process.on('uncaughtException', reportAndExit);
  process.on('unhandledRejection', reportAndExit);
  // `xlatent ... | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    reportAndExit(e);
  });
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
    .middleware((argv) => checkOutputsAgainstInputs(argv as Record<string, unknown>))
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
