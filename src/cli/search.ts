import type { CommandModule } from 'yargs';
import { untilInterrupted } from './interrupt.js';

interface SearchArgs {
  config: string;
  out?: string;
  launcher?: string;
  workers?: number;
  resume: boolean;
  'dry-run': boolean;
  json: boolean;
  backend?: string;
}

const command: CommandModule<object, SearchArgs> = {
  command: 'search',
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'Search file (.yaml/.yml/.json): base config, space, sampler, halving, launcher' })
      .option('out', { type: 'string', describe: 'Search directory; overrides output' })
      .option('launcher', { type: 'string', choices: ['local', 'slurm'], describe: 'Where trials run; overrides launcher.kind' })
      .option('workers', { type: 'number', describe: 'Local trial processes (0 = one per core, 1 = in this process); overrides launcher.workers' })
      .option('resume', { type: 'boolean', default: false, describe: 'Continue a stopped search: finished trials are kept, unfinished ones (cancelled jobs, dead nodes) run again from their checkpoints' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Check the search file and every drawn config against the data, list the trials, train nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the leaderboard as JSON' })
      .example('$0 search --config configs/search-quickstart.yaml', 'random search with successive halving on the bundled sample')
      .example('$0 search --config search.yaml --launcher slurm', 'one Slurm job array per rung')
      .example('$0 search --config search.yaml --resume', 'continue after a cancelled job or a lost node'),
  handler: async (a) => {
    const [{ planSearch }, { runSearch, preflight }, { leaderboardText }, { describeBackend, parseBackendArg, selectBackend }, { formatEvaluation }, { formatValue }, { validate }, { LauncherSchema }] =
      await Promise.all([
        import('../search/plan.js'),
        import('../search/run-search.js'),
        import('../search/leaderboard.js'),
        import('../backends/select.js'),
        import('../metrics/evaluation.js'),
        import('../search/space.js'),
        import('../config/load.js'),
        import('../search/schema.js'),
      ]);
    if (a.workers !== undefined) validate({ workers: a.workers }, LauncherSchema, 'command-line flags');
    const plan = planSearch(a.config, {
      out: a.out,
      backend: a.backend === undefined ? undefined : parseBackendArg(a.backend),
      launcher: a.launcher as 'local' | 'slurm' | undefined,
      workers: a.workers,
    });
    const log = (line: string) => process.stderr.write(line + '\n');
    if (a['dry-run']) {
      const { warnings } = await preflight(plan);
      for (const w of warnings) log(`warning: ${w}`);
      const lines = plan.trials.map((t) => `${t.id}  ${Object.entries(t.params).map(([p, v]) => `${p}=${formatValue(v)}`).join('  ')}`);
      process.stdout.write(`${plan.trials.length} trials, rungs of ${plan.budgets.join(', ')} epochs, output ${plan.out}; every config checked\n${lines.join('\n')}\n`);
      return;
    }
    // Search trains (asynchronous reads only), so `auto` may pick a GPU (webgpu), as `xlatent train` does.
    const selected = await selectBackend(plan.base.backend, { training: true });
    const backend = { ...describeBackend(), requested: plan.base.backend, reason: selected.reason };
    log(`backend: ${selected.name} (${selected.reason})`);
    const result = await untilInterrupted(log, (signal) => runSearch(plan, { resume: a.resume, backend, log, signal }));
    const { leaderboard, best, paths, evaluation, modelDir, ensemble } = result;
    if (a.json) {
      process.stdout.write(JSON.stringify(leaderboard) + '\n');
      return;
    }
    process.stdout.write(`${leaderboardText(leaderboard)}\n\n`);
    process.stdout.write(`best: ${best.trial}, score ${best.score?.toFixed(4) ?? '-'} after ${best.epochs} epochs (best epoch ${best.bestEpoch ?? '-'})\n\n`);
    process.stdout.write(formatEvaluation(ensemble?.evaluation ? { ...evaluation, ensemble: ensemble.evaluation } : evaluation) + '\n\n');
    process.stdout.write(`leaderboard: ${paths.leaderboardCsv} (also .json, .html)\n`);
    process.stdout.write(`best config: ${paths.bestConfig}\n`);
    process.stdout.write(`model:       ${modelDir}${ensemble ? ` (ensemble of ${ensemble.members.join(', ')})` : ''}\n`);
  },
};
export default command;
