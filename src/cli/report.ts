import { dirname, join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ClusterMethod } from '../analysis/clustering.js';
import { buildReport } from '../report/report.js';
import { writeFileAtomic } from '../util/atomic.js';
import { check } from '../util/errors.js';
import { modelOption, pngOption, prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

interface ReportArgs extends SpectraArgs {
  model: string;
  data?: string;
  metrics?: string;
  compare?: string;
  measured?: string;
  cluster: string;
  k?: number;
  out: string;
  'sweep-steps': number;
  'hover-points': number;
  png: boolean;
}

const command: CommandModule<object, ReportArgs> = {
  command: 'report',
  builder: (y: Argv) =>
    y
      .option('model', modelOption)
      .option('data', { type: 'string', describe: "spectra with descriptors for scatter/confusion/Q-Q/clusters (default: the model's training file if present)" })
      .options(spectraOptions)
      .option('metrics', { type: 'string', describe: 'metrics.jsonl of the training run (default: the one in the model directory)' })
      .option('compare', { type: 'string', describe: 'output folder of `xlatent compare` whose table becomes a Baselines section' })
      .option('measured', { type: 'string', describe: 'measured spectra to project: a Measured section (latents, OOD score, estimates, cluster) and marks in the cluster map' })
      .option('cluster', { type: 'string', choices: ['kmeans', 'hdbscan', 'none'], default: 'kmeans', describe: 'clustering of the Clusters section (k-means: k by silhouette, or --k)' })
      .option('k', { type: 'number', describe: 'k-means clusters for the Clusters section (default: chosen by silhouette over 2..10)' })
      .option('out', { type: 'string', default: 'report.html', describe: 'HTML file to write; PNG copies of the figures go to report_assets/ beside it' })
      .option('sweep-steps', { type: 'number', default: 15, describe: 'spectra per decoder sweep family' })
      .option('hover-points', { type: 'number', default: 2000, describe: 'spectra embedded for hovering in the explorer (fixed-seed subsample)' })
      .option('png', pngOption)
      .example('$0 report --model runs/fe --data fe.csv --out fe-report.html', '') as unknown as Argv<ReportArgs>,
  handler: async (args: ArgumentsCamelCase<ReportArgs>) => {
    check(Number.isInteger(args['sweep-steps']) && args['sweep-steps'] >= 2, `expected an integer >= 2, got ${args['sweep-steps']}`, '--sweep-steps');
    check(Number.isInteger(args['hover-points']) && args['hover-points'] >= 1, `expected an integer >= 1, got ${args['hover-points']}`, '--hover-points');
    const assetsDir = 'report_assets';
    const r = await buildReport({
      modelDir: args.model,
      dataPath: args.data,
      prepare: await prepareOptionsFrom(args),
      metricsPath: args.metrics,
      compareDir: args.compare,
      measuredPath: args.measured,
      cluster: args.cluster === 'none' ? false : { method: args.cluster as ClusterMethod, k: args.k },
      sweepSteps: args['sweep-steps'],
      hoverPoints: args['hover-points'],
      png: args.png,
      assetsDir,
    });
    for (const [name, bytes] of r.assets) writeFileAtomic(join(dirname(args.out), assetsDir, name), bytes);
    writeFileAtomic(args.out, r.html);
    for (const note of r.notes) process.stderr.write(`xlatent report: note: ${note}\n`);
    const mb = (Buffer.byteLength(r.html) / 1e6).toFixed(1);
    process.stdout.write(`wrote ${args.out} (${mb} MB)${r.assets.size ? ` and ${r.assets.size} PNG figures in ${join(dirname(args.out), assetsDir)}` : ''}\n`);
  },
};
export default command;
