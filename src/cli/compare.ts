import { dirname, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CompareConfigSchema } from '../config/baseline.js';
import { loadConfigFile } from '../config/load.js';
import { runCompare } from '../pipeline/compare.js';
import { UserError } from '../util/errors.js';

const command: CommandModule<object, { config: string; out?: string }> = {
  command: 'compare',
  builder: (y: Argv) =>
    y
      .usage(
        '$0 compare --config compare.yaml [--out DIR]\n\n' +
          'Config keys: data {file, format, descriptors, discrete, normalization, grid, split}, seed, components, ' +
          'methods (e.g. [pca, {method: tsne, params: {perplexity: 50}}]), model (RankAAE model directory), out, evaluation.\n' +
          "With a model, the split (fractions and seed) is the model's own, read from its training config: leave data.split out.\n" +
          'Writes DIR/metrics.json, DIR/comparison.md, DIR/baselines.json (for `xlatent report --compare DIR`), DIR/embeddings/<method>-{train,test}.csv and DIR/plots/<method>-<descriptor>.png.',
      )
      .option('config', { type: 'string', demandOption: true, describe: 'YAML or JSON comparison config' })
      .option('out', { type: 'string', describe: 'Output directory (overrides "out" in the config)' }),
  handler: async (a) => {
    const cfg = loadConfigFile(a.config, CompareConfigSchema);
    const baseDir = dirname(resolve(a.config));
    const out = a.out ? resolve(a.out) : cfg.out ? resolve(baseDir, cfg.out) : undefined;
    if (!out) throw new UserError('name the output directory with --out DIR or "out:" in the config', a.config);
    const log = (s: string) => process.stderr.write(`${s}\n`);
    await runCompare(cfg, out, baseDir, log);
    process.stdout.write(`wrote ${out}/comparison.md\n`);
  },
};
export default command;
