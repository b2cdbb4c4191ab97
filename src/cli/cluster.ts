import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { clusterStudy, type ClusterStudy } from '../analysis/cluster-study.js';
import type { ClusterMethod } from '../analysis/clustering.js';
import { loadModelContext, referenceLatents } from '../analysis/model-context.js';
import { readSpectra } from '../data/formats/index.js';
import { csvField } from '../data/formats/csv-table.js';
import { embedSpectra } from '../export/embed.js';
import { agreementSvg, agreementText, clusterScatterSvg, clusterSpectraSvg, silhouetteSvg } from '../report/cluster-figures.js';
import { formatNumber } from '../report/plot/svg.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError, check } from '../util/errors.js';
import { writeFigure } from './figure.js';
import { modelOption, pngOption } from './options.js';

interface ClusterArgs {
  model: string;
  data?: string;
  method: string;
  k?: number;
  'k-range': string;
  'min-cluster-size'?: number;
  'min-samples'?: number;
  compare?: string;
  measured?: string;
  seed: number;
  out: string;
  png: boolean;
}

function parseRange(text: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`expected FROM:TO, e.g. 2:10, found "${text}"`, '--k-range');
  return [Number(m[1]), Number(m[2])];
}

/** clusters.csv: id, cluster, latent coordinates, one row per reference spectrum. */
function clustersCsv(s: ClusterStudy): string {
  const d = s.fit.d;
  const lines = [['id', 'cluster', ...Array.from({ length: d }, (_, a) => `z${a}`)].join(',')];
  for (let i = 0; i < s.n; i++) lines.push([csvField(s.ids[i]), s.fit.labels[i], ...Array.from(s.latents.subarray(i * d, (i + 1) * d), (v) => String(v))].join(','));
  return lines.join('\n') + '\n';
}

function measuredCsv(s: ClusterStudy): string {
  const mk = s.measured!;
  const d = s.fit.d;
  const num = (v: number) => (Number.isFinite(v) ? String(v) : '');
  const lines = [['id', 'cluster', 'cluster_distance', 'ood_percentile', 'ood_flag', ...Array.from({ length: d }, (_, a) => `z${a}`)].join(',')];
  mk.ids.forEach((id, i) =>
    lines.push([csvField(id), mk.labels[i], num(mk.distance[i]), num(mk.oodPercentile[i]), num(mk.oodFlag[i]), ...Array.from(mk.latents.subarray(i * d, (i + 1) * d), (v) => String(v))].join(',')),
  );
  return lines.join('\n') + '\n';
}

const command: CommandModule<object, ClusterArgs> = {
  command: 'cluster',
  builder: (y: Argv) =>
    y
      .usage(
        '$0 cluster --model DIR [--data F] [--method kmeans|hdbscan] [--measured F] --out DIR2\n\n' +
          "Clusters the latent points of the reference spectra (--data, default the model's training file; for a baseline its fitted map), " +
          'compares the clusters with known labels (ARI and confusion table), draws each cluster\'s mean spectrum and spread, and assigns ' +
          'measured spectra to the clusters. k-means picks k by the highest mean silhouette unless --k is given; HDBSCAN finds the count itself.',
      )
      .option('model', { ...modelOption, describe: 'Model directory (`xlatent train` or `xlatent baseline`)' })
      .option('data', { type: 'string', describe: "reference spectra to cluster (default: the model's training file)" })
      .option('method', { type: 'string', choices: ['kmeans', 'hdbscan'], default: 'kmeans', describe: 'clustering method' })
      .option('k', { type: 'number', describe: 'k-means: number of clusters (default: chosen by silhouette over --k-range)' })
      .option('k-range', { type: 'string', default: '2:10', describe: 'k-means: k values tried, FROM:TO' })
      .option('min-cluster-size', { type: 'number', describe: 'HDBSCAN: smallest cluster (default max(5, n/50))' })
      .option('min-samples', { type: 'number', describe: 'HDBSCAN: neighbours of the core distance (default min-cluster-size)' })
      .option('compare', { type: 'string', describe: 'descriptors to compare the clusters with, comma-separated; a+b compares with their combination (default: the integer-valued ones and their combination)' })
      .option('measured', { type: 'string', describe: 'measured spectra to project and assign to the clusters (any format `xlatent data` reads)' })
      .option('seed', { type: 'number', default: 0, describe: 'seed of k-means++ and of the silhouette subsample' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (created; files in it are replaced)' })
      .option('png', pngOption) as unknown as Argv<ClusterArgs>,
  handler: async (args: ArgumentsCamelCase<ClusterArgs>) => {
    check(Number.isInteger(args.seed) && args.seed >= 0, `expected an integer >= 0, got ${args.seed}`, '--seed');
    const ctx = await loadModelContext(args.model);
    const ref = await referenceLatents(ctx, args.data);
    if (!ref) throw new UserError("no reference spectra: pass --data F (the model's training file was not found)");
    for (const w of ref.data.warnings) process.stderr.write(`xlatent cluster: warning: ${w}\n`);
    let measured;
    if (args.measured) {
      measured = embedSpectra(ctx.model, await readSpectra(args.measured));
      for (const w of measured.warnings) process.stderr.write(`xlatent cluster: warning: ${w}\n`);
    }
    const study = clusterStudy(
      ctx,
      ref,
      {
        method: args.method as ClusterMethod,
        k: args.k,
        kRange: parseRange(args['k-range']),
        minClusterSize: args['min-cluster-size'],
        minSamples: args['min-samples'],
        seed: args.seed,
        compare: args.compare?.split(',').map((s) => s.trim()).filter(Boolean),
      },
      measured,
    );
    const out = args.out;
    const fit = study.fit;
    writeFileAtomic(join(out, 'clusters.csv'), clustersCsv(study));
    if (study.measured) writeFileAtomic(join(out, 'measured.csv'), measuredCsv(study));
    writeFigure(out, 'clusters', clusterScatterSvg(study, ctx.axisNames, `${ctx.model.method.toUpperCase()} latent map: ${fit.k} clusters (${fit.method})`), args.png);
    if (fit.k > 0) writeFigure(out, 'cluster-spectra', clusterSpectraSvg(study, ctx.energies, { xLabel: ctx.abscissaLabel, yLabel: ctx.intensityLabel }), args.png);
    const sil = silhouetteSvg(study);
    if (sil) writeFigure(out, 'silhouette', sil, args.png);
    for (const a of study.agreement) writeFigure(out, `agreement-${a.descriptor.replace(/[^A-Za-z0-9_.-]+/g, '_')}`, agreementSvg(a), args.png);
    writeJsonAtomic(join(out, 'clusters.json'), {
      model: ctx.dir,
      reference: ref.source,
      method: fit.method,
      criterion: fit.criterion,
      k: fit.k,
      sizes: Array.from(fit.sizes),
      noise: fit.noise,
      silhouette: fit.silhouette,
      selection: fit.selection,
      centers: Array.from({ length: fit.k }, (_, c) => Array.from(fit.centers.subarray(c * fit.d, (c + 1) * fit.d))),
      agreement: study.agreement,
      measured: study.measured
        ? study.measured.ids.map((id, i) => ({ id, cluster: study.measured!.labels[i], distance: study.measured!.distance[i], oodPercentile: study.measured!.oodPercentile[i], oodFlag: study.measured!.oodFlag[i] }))
        : undefined,
    });
    const lines = [
      `${fit.method}: ${fit.k} clusters of ${study.n} spectra (${fit.criterion}); sizes ${Array.from(fit.sizes).join(', ')}${fit.noise ? `; ${fit.noise} noise` : ''}; mean silhouette ${formatNumber(fit.silhouette, 3)}`,
    ];
    for (const a of study.agreement) lines.push(`${a.descriptor}: ARI ${formatNumber(a.ari, 3)} over ${a.n} labelled spectra`, agreementText(a));
    if (study.measured) {
      const mk = study.measured;
      mk.ids.forEach((id, i) =>
        lines.push(`measured ${id}: cluster ${mk.labels[i] < 0 ? 'none (noise)' : mk.labels[i]}, OOD percentile ${Number.isFinite(mk.oodPercentile[i]) ? mk.oodPercentile[i].toFixed(1) : 'n/a'}${mk.oodFlag[i] === 1 ? ' (out of distribution)' : ''}`),
      );
    }
    lines.push(`wrote clusters.csv, clusters.json${study.measured ? ', measured.csv' : ''} and figures to ${out}`);
    process.stdout.write(lines.join('\n') + '\n');
  },
};
export default command;
