import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSpec } from '../model/spec.js';
import { tfjsBrowserBundlePath } from '../export/bundle.js';
import { interpolateRows, loadModelContext, referenceLatents, type ReferenceLatents } from '../analysis/model-context.js';
import { clusterStudy, type ClusterStudyOptions } from '../analysis/cluster-study.js';
import { readSpectra } from '../data/formats/index.js';
import { embedSpectra, type EmbedResult, type PrepareOptions } from '../export/embed.js';
import { agreementSvg, clusterScatterSvg, clusterSpectraSvg, silhouetteSvg } from './cluster-figures.js';
import { defaultRelevanceWindow, maskingRelevance } from '../analysis/relevance.js';
import { decoderSweep } from '../analysis/sweep.js';
import { interpolationSvg } from './interpolation-figure.js';
import { relevanceSvg } from './relevance-figure.js';
import { percentiles } from '../util/quantile.js';
import { spearman } from '../metrics/correlation.js';
import { linearR2, quadraticR2 } from '../metrics/regression.js';
import { shapiroWilk } from '../metrics/normality.js';
import { bestAlignedAxes, column } from '../metrics/axes.js';
import { accuracy, confusionMatrix, fitThresholdClassifier, predictThreshold } from '../metrics/classification.js';
import { environmentInfo, xlatentVersion } from '../util/versions.js';
import { UserError, check } from '../util/errors.js';
import { scatterPlotSvg, scatterSubsample } from './plot/scatter.js';
import { heatmapSvg } from './plot/heatmap.js';
import { qqPlotSvg } from './plot/qq.js';
import { svgToPng } from './plot/png.js';
import { formatNumber } from './plot/svg.js';
import { sweepFamilySvg, sweepInDisplayUnits } from './sweep-figures.js';
import { findMetricsFile, readMetricsFile } from './metrics-file.js';
import { trainingCurveFigures, type Figure } from './training-curves.js';
import { escapeHtml, figureHtml, inlineScript, jsonScript, pageHtml, sectionHtml, tableHtml } from './html.js';
import { EXPLORER_SCRIPT } from './explorer-script.js';

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** Model directory (readModelDir verifies it). */
  modelDir: string;
  /** Spectra with descriptors for the scatter, confusion and Q-Q sections (default: the training file named in the model's config, when present). */
  dataPath?: string;
  /** How the --data spectra enter the model's preprocessing pipeline (measured by default). */
  prepare?: PrepareOptions;
  /** metrics.jsonl to plot (default: searched next to the model, see findMetricsFile). */
  metricsPath?: string;
  /** Output folder of `xlatent compare` whose baselines.json goes into a Baselines section. */
  compareDir?: string;
  /** Steps of each decoder sweep family (default 15). */
  sweepSteps?: number;
  /**
   * Points of the hover scatter in the explorer, each carrying its spectrum
   * and reconstruction (default 2000): a fixed-seed subsample, so a
   * 50,000-spectrum report stays a few MB.
   */
  hoverPoints?: number;
  /** Most points in each static scatter figure (default 20,000; see scatterPlotSvg). */
  scatterPoints?: number;
  /** Folder name, relative to the report, where PNG copies of the figures go (default "report_assets"). */
  assetsDir?: string;
  /** Render PNG copies (default true). */
  png?: boolean;
  /** Clustering of the reference latents for the Clusters section (default k-means, k by silhouette); false leaves the section out. */
  cluster?: ClusterStudyOptions | false;
  /** Measured spectra to project into the model: a Measured section (latents, OOD score, descriptor estimates, cluster) and marks in the cluster map. */
  measuredPath?: string;
}

/** The built report: the HTML text plus the PNG assets to write next to it. */
export interface Report {
  html: string;
  /** file name (inside assetsDir) -> PNG bytes */
  assets: Map<string, Uint8Array>;
  /** Things the reader should know (missing data, fallbacks). */
  notes: string[];
}

function b64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** The decoder spec with weights as base64 float32, for the browser. */
function specPayload(spec: NetworkSpec): unknown {
  return {
    inputs: spec.inputs,
    outputs: spec.outputs,
    layers: spec.layers.map((l) => {
      switch (l.kind) {
        case 'dense':
          return { kind: 'dense', inputs: l.inputs, units: l.units, kernel: b64(l.kernel), bias: b64(l.bias) };
        case 'prelu':
          return { kind: 'prelu', alpha: b64(l.alpha) };
        case 'batchnorm':
          return { kind: 'batchnorm', mean: b64(l.mean), variance: b64(l.variance), epsilon: l.epsilon };
        case 'activation':
          return { kind: 'activation', fn: l.fn };
      }
    }),
  };
}

/** Whether a descriptor column looks discrete (few distinct values, all integers or declared so). */
function isDiscrete(values: Float64Array, declared: boolean | undefined): boolean {
  if (declared !== undefined) return declared;
  const set = new Set<number>();
  for (const v of values) if (Number.isFinite(v)) {
    set.add(v);
    if (set.size > 12) return false;
  }
  return set.size >= 2 && [...set].every((v) => Number.isInteger(v));
}

/** Baseline comparison (reducer metrics) when the model directory or its metadata carries one. */
/** The table `xlatent compare` left in DIR/baselines.json, as HTML. */
function baselineTable(compareDir: string): string {
  const p = join(compareDir, 'baselines.json');
  check(existsSync(p), 'no baselines.json here; pass the output folder of `xlatent compare`', p);
  let data: { columns?: unknown; rows?: unknown; test?: unknown };
  try {
    data = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, p);
  }
  const ok = Array.isArray(data.columns) && Array.isArray(data.rows) && data.rows.every((r) => Array.isArray(r));
  check(ok, 'expected {columns: [...], rows: [[...], ...]} as written by `xlatent compare`', p);
  return (
    tableHtml(data.columns as string[], (data.rows as unknown[][]).map((r) => r.map(String))) +
    `<p class="note">From ${escapeHtml(p)}: scores on the ${escapeHtml(String(data.test ?? '?'))} test spectra of the comparison.</p>`
  );
}

/**
 * Builds the one-file HTML report of a trained model: training curves,
 * axis-vs-descriptor scatters with Spearman and R², a confusion matrix for
 * discrete descriptors, latent Q-Q plots with Shapiro-Wilk W, decoder
 * sweeps, baseline comparison, config and versions, and the interactive
 * decoder explorer (TF.js inlined). Everything is inline; no network access
 * is needed to view it.
 */
export async function buildReport(opts: ReportOptions): Promise<Report> {
  const ctx = await loadModelContext(opts.modelDir);
  const md = ctx.model.metadata;
  const isReducer = md.kind === 'reducer';
  const methodName = isReducer ? `${ctx.model.method.toUpperCase()} baseline` : 'RankAAE';
  const notes: string[] = [];
  const assets = new Map<string, Uint8Array>();
  const assetsDir = opts.assetsDir ?? 'report_assets';
  const wantPng = opts.png ?? true;
  const m = ctx.energies.length;
  const d = ctx.d;
  const fig = (f: Figure): string => {
    let href: string | undefined;
    if (wantPng) {
      const name = `${f.id}.png`;
      assets.set(name, svgToPng(f.svg));
      href = `${assetsDir}/${name}`;
    }
    return figureHtml(f.svg, f.caption, href);
  };
  const sections: string[] = [];
  const nav: [string, string][] = [];
  const add = (id: string, label: string, title: string, body: string, intro?: string) => {
    nav.push([id, label]);
    sections.push(sectionHtml(id, title, body, intro));
  };

  // ---- reference data ----
  let ref: ReferenceLatents | null = null;
  ref = await referenceLatents(ctx, opts.dataPath, opts.prepare);
  if (!ref) notes.push('No data given (--data) and the training file named in the model config was not found: scatter, confusion and Q-Q sections are left out, sweep ranges come from the N(0,1) prior.');
  for (const w of ref?.data.warnings ?? []) notes.push(w);

  // ---- overview ----
  const overview: (string | number)[][] = [
    ['model directory', ctx.dir],
    ['model', `${methodName}${ctx.model.decode ? '' : ` (no decoder: ${ctx.model.noDecoder ?? 'no inverse map'})`}`],
    ['created', md.created],
    ['written by xlatent', md.xlatentVersion],
    ['latent axes (nStyle)', d],
    ['grid', `${m} points, ${formatNumber(ctx.energies[0])} – ${formatNumber(ctx.energies[m - 1])} (${md.axisKind})`],
    ['intensity normalization', md.normalization.kind],
    ['constrained descriptors', md.descriptors.map((x) => `${x.name} → z${x.axis} (${x.direction > 0 ? '+' : '−'}${x.discrete ? ', discrete' : ''})`).join('; ') || 'none'],
    ['training config SHA-256', md.training.sha256.slice(0, 16) + '…'],
    ['reference data', ref ? `${ref.source}, ${ref.n} spectra` : 'none'],
  ];
  add('overview', 'Overview', 'Overview', tableHtml(['', ''], overview) + (notes.length ? `<p class="note">${notes.map(escapeHtml).join('<br>')}</p>` : ''));

  // ---- training curves ----
  const metricsPath = opts.metricsPath ?? findMetricsFile(ctx.dir);
  if (metricsPath) {
    const records = readMetricsFile(metricsPath);
    const figs = trainingCurveFigures(records, md.descriptors.map((x) => x.name));
    add(
      'training',
      'Training',
      'Training curves',
      `<div class="figs">${figs.map(fig).join('')}</div><p class="note">From ${escapeHtml(metricsPath)} (${records.length} epochs).</p>`,
      'Mean unweighted loss of each term per epoch, and the validation metrics the best epoch was chosen by.',
    );
  } else if (!isReducer) {
    notes.push('No metrics.jsonl found next to the model: training curves left out (pass --metrics).');
  }

  // ---- axes vs descriptors, classification, Q-Q ----
  if (ref) {
    const ds = ref.data.dataset;
    const names = ds.descriptorNames;
    const k = names.length;
    const Z = ref.latents;
    const n = ref.n;
    if (k > 0) {
      const aligned = bestAlignedAxes(Z, n, d, ds.descriptors, names);
      const rows: (string | number)[][] = [];
      const figs: string[] = [];
      const confusion: string[] = [];
      names.forEach((name, c) => {
        const tied = md.descriptors.find((x) => x.name === name);
        const axis = tied ? tied.axis : aligned[c].axis;
        if (axis < 0) return;
        const y = column(ds.descriptors, n, k, c);
        const z = column(Z, n, d, axis);
        const rho = spearman(z, y);
        const r2 = linearR2(z, y);
        const r2q = quadraticR2(z, y);
        const labelled = y.reduce((a, v) => a + (Number.isFinite(v) ? 1 : 0), 0);
        const discrete = isDiscrete(y, tied?.discrete);
        rows.push([name, ctx.axisNames[axis], tied ? 'constrained' : 'best |ρ|', formatNumber(rho, 3), formatNumber(r2, 3), formatNumber(r2q, 3), labelled]);
        figs.push(
          fig({
            id: `scatter_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`,
            title: `${name} vs ${ctx.axisNames[axis]}`,
            svg: scatterPlotSvg({
              x: y,
              y: z,
              color: discrete ? undefined : y,
              colorLabel: name,
              title: `${ctx.axisNames[axis]} vs ${name}`,
              xLabel: name,
              yLabel: ctx.axisNames[axis],
              annotation: `Spearman ρ = ${formatNumber(rho, 3)}\nR² (linear) = ${formatNumber(r2, 3)}`,
              maxPoints: opts.scatterPoints,
              width: 460,
              height: 380,
            }),
          }),
        );
        if (discrete && labelled >= 4) {
          // two-fold cross-validation (even / odd rows): every spectrum is classified by cut points fitted without it
          const pred = new Float64Array(n).fill(NaN);
          for (const fold of [0, 1]) {
            const fitRows: number[] = [];
            const testRows: number[] = [];
            for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) (i % 2 === fold ? testRows : fitRows).push(i);
            if (fitRows.length === 0 || testRows.length === 0) continue;
            const model = fitThresholdClassifier(Float64Array.from(fitRows, (i) => z[i]), Float64Array.from(fitRows, (i) => y[i]));
            const p = predictThreshold(model, Float64Array.from(testRows, (i) => z[i]));
            testRows.forEach((i, j) => (pred[i] = p[j]));
          }
          const keep: number[] = [];
          for (let i = 0; i < n; i++) if (Number.isFinite(y[i]) && Number.isFinite(pred[i])) keep.push(i);
          const yt = Float64Array.from(keep, (i) => y[i]);
          const yp = Float64Array.from(keep, (i) => pred[i]);
          const cm = confusionMatrix(yt, yp);
          const acc = accuracy(yt, yp);
          const L = cm.labels.map((l) => formatNumber(l));
          confusion.push(
            fig({
              id: `confusion_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`,
              title: `${name} confusion`,
              svg: heatmapSvg({
                values: cm.matrix,
                rows: L.length,
                cols: L.length,
                rowLabels: L,
                colLabels: L,
                title: `${name} from ${ctx.axisIds[axis]} (accuracy ${(100 * acc).toFixed(1)}%)`,
                xLabel: `predicted ${name}`,
                yLabel: `true ${name}`,
                colorLabel: 'spectra',
                width: 440,
                height: 400,
              }),
              caption: `Monotone cut points on ${ctx.axisIds[axis]}, two-fold cross-validated (even/odd rows), ${keep.length} labelled spectra.`,
            }),
          );
        }
      });
      const corr = tableHtml(
        ['descriptor', ...ctx.axisNames],
        aligned.map((a) => [a.descriptor, ...a.perAxis.map((r) => formatNumber(r, 3))]),
      );
      add(
        'descriptors',
        'Axes vs descriptors',
        'Latent axes vs. descriptors',
        tableHtml(['descriptor', 'axis', 'axis chosen as', 'Spearman ρ', 'R² linear', 'R² quadratic', 'labelled'], rows) +
          `<div class="figs">${figs.join('')}</div><h3>Spearman ρ of every axis with every descriptor</h3>${corr}`,
        `Each descriptor against its constrained axis (or, for descriptors not constrained in training, the axis with the largest |Spearman ρ|), over ${n} spectra of the reference data.`,
      );
      if (confusion.length) {
        add('classification', 'Classification', 'Discrete descriptors from one axis', `<div class="figs">${confusion.join('')}</div>`, 'How well a single latent axis separates the levels of a discrete descriptor (e.g. coordination number): cut points that keep the classes in order along the axis.');
      }
    }
    const qq: string[] = [];
    const swRows: (string | number)[][] = [];
    // A baseline has no prior its coordinates should follow: the section is the autoencoder's.
    for (let a = 0; a < (isReducer ? 0 : d); a++) {
      const z = column(Z, n, d, a);
      const sw = shapiroWilk(z);
      let mean = 0;
      for (const v of z) mean += v / n;
      let v2 = 0;
      for (const v of z) v2 += (v - mean) ** 2 / Math.max(1, n - 1);
      swRows.push([ctx.axisNames[a], formatNumber(mean, 3), formatNumber(Math.sqrt(v2), 3), formatNumber(sw.w, 4), sw.p < 1e-4 ? sw.p.toExponential(1) : formatNumber(sw.p, 3), `${sw.n}${sw.subsampled ? ' (subsample)' : ''}`]);
      qq.push(fig({ id: `qq_z${a}`, title: `Q-Q ${ctx.axisNames[a]}`, svg: qqPlotSvg({ sample: z, title: ctx.axisNames[a], annotation: `Shapiro–Wilk W = ${formatNumber(sw.w, 4)}`, width: 340, height: 320 }) }));
    }
    if (!isReducer) add(
      'latents',
      'Latent distribution',
      'Latent distribution vs. the N(0, 1) prior',
      tableHtml(['axis', 'mean', 'std', 'Shapiro–Wilk W', 'p', 'n'], swRows) + `<div class="figs">${qq.join('')}</div>`,
      'The adversarial term pushes each latent coordinate towards a standard normal; points on the dashed line y = x match the prior in shape and scale. W near 1 means close to normal (at thousands of points the p-value rejects even harmless deviations).',
    );
  }

  // ---- sweeps ----
  const steps = opts.sweepSteps ?? 15;
  const decode = ctx.decode;
  const sweep = decode ? decoderSweep(decode, d, ref?.latents ?? new Float32Array(0), ref?.n ?? 0, {
    energies: ctx.energies,
    steps,
    range: [5, 95],
    axisNames: ctx.axisNames,
  }) : null;
  const display = sweep ? sweepInDisplayUnits(sweep, ctx.toDisplay) : [];
  const labels = { xLabel: ctx.abscissaLabel, yLabel: ctx.intensityLabel };
  const sweepFigs = (sweep?.axes ?? []).map((ax, i) =>
    fig({
      id: `sweep_z${ax.axis}`,
      title: `Sweep ${ax.axisName}`,
      svg: sweepFamilySvg(ax, sweep!.energies, labels, display[i].spectra, { width: 620, height: 380 }),
      caption: `Largest response at ${formatNumber(ax.peakEnergy)}; windows ${ax.topWindows.map((w) => `${formatNumber(w.from)}–${formatNumber(w.to)} (${(100 * w.share).toFixed(0)}%)`).join(', ')}`,
    }),
  );
  if (!sweep) notes.push(`No decoder sweeps, interpolation or explorer: ${ctx.model.noDecoder ?? 'the model has no decoder'}.`);
  else add(
    'sweeps',
    'Decoder sweeps',
    'Decoder sweeps',
    `<div class="figs">${sweepFigs.join('')}</div>`,
    `Each latent axis swept over ${ref ? 'the 5th–95th percentile of the reference latents' : 'the 5th–95th percentile of the N(0,1) prior'} in ${steps} steps, other axes at 0; colour gives the axis value.`,
  );

  // ---- relevance and interpolation (need reference spectra) ----
  if (ref) {
    const rel = maskingRelevance(ctx.encode, d, ref.data.input, ref.n, {
      energies: ctx.energies,
      window: defaultRelevanceWindow(md.axisKind, ctx.energies),
      // At most ~150 window positions: the curve stays smooth and a long grid stays quick.
      stride: Math.max(1, Math.ceil(m / 150)),
      axisNames: ctx.axisNames,
      maxSpectra: 500,
    });
    const mean = new Float64Array(m);
    const ds = ref.data.dataset;
    for (let i = 0; i < ds.n; i++) for (let j = 0; j < m; j++) mean[j] += ds.spectra[i * m + j] / ds.n;
    const peaks = Array.from({ length: d }, (_, a) => {
      let best = 0;
      for (let q = 1; q < rel.positions; q++) if (rel.relativeShift[q * d + a] > rel.relativeShift[best * d + a]) best = q;
      return `${ctx.axisNames[a]} at ${formatNumber(rel.centers[best])}`;
    });
    add(
      'relevance',
      'Relevance',
      'Peak-masking relevance',
      fig({ id: 'relevance', title: 'Relevance vs energy', svg: relevanceSvg(rel, ctx.abscissaLabel, mean, ctx.energies), caption: `Largest shift: ${peaks.join('; ')}` }),
      `A ${rel.windowPoints}-point window slides over the grid; inside it each spectrum is replaced by a straight line, the spectra are encoded again, and the mean shift of each latent coordinate (in units of its spread) is plotted at the window centre. ${Math.min(ref.n, 500)} reference spectra.`,
    );
    // Interpolate between the spectra at the two ends of the first constrained descriptor.
    const first = md.descriptors[0]?.name;
    const col = first ? ds.descriptorNames.indexOf(first) : -1;
    let ia = 0;
    let ib = ds.n - 1;
    if (col >= 0) {
      const k = ds.descriptorNames.length;
      for (let i = 0; i < ds.n; i++) {
        const v = ds.descriptors[i * k + col];
        if (!Number.isFinite(v)) continue;
        if (!(v >= ds.descriptors[ia * k + col])) ia = i;
        if (!(v <= ds.descriptors[ib * k + col])) ib = i;
      }
    }
    if (ds.n >= 2 && ia !== ib && ctx.decode) {
      const { path: r, shown, ends } = interpolateRows(ctx, ref.data, ia, ib, 11);
      const names = { from: ds.ids[ia], to: ds.ids[ib], xLabel: ctx.abscissaLabel, yLabel: ctx.intensityLabel };
      add(
        'interpolation',
        'Interpolation',
        'Latent interpolation',
        fig({ id: 'interpolation', title: 'Interpolation', svg: interpolationSvg(r, ctx.energies, names, shown, ends) }),
        `Both spectra encoded, the straight latent path between them decoded in 11 steps${col >= 0 ? ` (the spectra with the lowest and highest ${first})` : ''}; dashed: the measured end spectra.`,
      );
    }
  }

  // ---- baselines ----
  if (opts.compareDir) add('baselines', 'Baselines', 'Comparison with baseline reducers', baselineTable(opts.compareDir));

  // ---- clusters and measured spectra ----
  let measured: EmbedResult | undefined;
  if (opts.measuredPath) {
    // Measured spectra take the model's measured-role preprocessing (its stored energy shift).
    measured = embedSpectra(ctx.model, await readSpectra(opts.measuredPath), undefined, { role: 'measured' });
    notes.push(...measured.warnings.map((w) => `measured spectra: ${w}`));
  }
  let measuredClusters: Int32Array | undefined;
  if (ref && opts.cluster !== false) {
    const study = clusterStudy(ctx, ref, opts.cluster ?? {}, measured);
    measuredClusters = study.measured?.labels;
    const fit = study.fit;
    const figs = [fig({ id: 'clusters', title: 'Clusters', svg: clusterScatterSvg(study, ctx.axisNames, `${fit.k} clusters (${fit.method})${measured ? ', measured spectra as diamonds' : ''}`) })];
    if (fit.k > 0) figs.push(fig({ id: 'cluster_spectra', title: 'Cluster spectra', svg: clusterSpectraSvg(study, ctx.energies, { xLabel: ctx.abscissaLabel, yLabel: ctx.intensityLabel }) }));
    const sil = silhouetteSvg(study);
    if (sil) figs.push(fig({ id: 'silhouette', title: 'Silhouette', svg: sil }));
    for (const ag of study.agreement) figs.push(fig({ id: `agreement_${ag.descriptor.replace(/[^A-Za-z0-9_-]/g, '_')}`, title: `${ag.descriptor} vs clusters`, svg: agreementSvg(ag) }));
    const rows = Array.from({ length: fit.k }, (_, c) => [`cluster ${c}`, fit.sizes[c], ...Array.from(fit.centers.subarray(c * d, (c + 1) * d), (v) => formatNumber(v, 3))]);
    add(
      'clusters',
      'Clusters',
      'Clusters of the latent map',
      tableHtml(['', 'spectra', ...ctx.axisIds.map((a) => `centre ${a}`)], rows) +
        `<p class="note">${escapeHtml(fit.criterion)}; mean silhouette ${escapeHtml(formatNumber(fit.silhouette, 3))}${fit.noise ? `; ${fit.noise} spectra left as noise` : ''}. ` +
        `Agreement with labels: ${study.agreement.map((ag) => `${escapeHtml(ag.descriptor)} ARI ${escapeHtml(formatNumber(ag.ari, 3))}`).join(', ') || 'no integer-valued labels to compare with'}.</p>` +
        `<div class="figs">${figs.join('')}</div>`,
      `The ${ref.n} reference spectra clustered in the latent space. Each cluster's spectra are summarized by their mean and spread; the adjusted Rand index (ARI) says how well the clusters reproduce a known label (1: the same partition; 0: chance).`,
    );
  }
  if (measured) {
    const mr = measured;
    const preds = Object.keys(mr.predicted);
    const rows = mr.ids.map((id, i) => [
      id,
      ...Array.from(mr.latent.subarray(i * d, (i + 1) * d), (v) => formatNumber(v, 3)),
      ...preds.map((p) => formatNumber(mr.predicted[p][i], 3)),
      measuredClusters ? (measuredClusters[i] < 0 ? 'noise' : String(measuredClusters[i])) : '–',
      Number.isFinite(mr.oodPercentile[i]) ? mr.oodPercentile[i].toFixed(1) : 'n/a',
      mr.oodFlag[i] === 1 ? 'yes' : mr.oodFlag[i] === 0 ? 'no' : 'n/a',
    ]);
    const what = mr.oodMetric === 'knn-distance' ? 'mean distance to the nearest training spectra' : 'reconstruction error';
    add(
      'measured',
      'Measured',
      'Measured spectra in the model',
      tableHtml(['spectrum', ...ctx.axisIds, ...preds.map((p) => `${p} (estimate)`), 'cluster', 'OOD percentile', 'out of distribution'], rows),
      `${mr.n} spectra from ${opts.measuredPath} resampled onto the model's grid, normalized as in training and projected. The OOD percentile ranks each spectrum's ${what} among the training spectra; above 99 it is flagged: its position in the map deserves less trust.`,
    );
  }

  // ---- explorer (needs the decoder as a network the page can run) ----
  const networks = ctx.model.networks;
  const decodeFn = ctx.decode;
  // Without it the page carries no script at all.
  let tail = '';
  if (networks && decodeFn) {
    const axesPayload = Array.from({ length: d }, (_, a) => {
      let lo = -3;
      let hi = 3;
      if (ref) {
        const [p05, p995] = percentiles(column(ref.latents, ref.n, d, a), [0.5, 99.5]);
        lo = Math.min(p05, -0.5);
        hi = Math.max(p995, 0.5);
      }
      return { name: ctx.axisNames[a], min: lo, max: hi, value0: Math.max(lo, Math.min(hi, 0)) };
    });
    let yLo = Infinity;
    let yHi = -Infinity;
    for (const s of display) for (const v of s.spectra) {
      if (v < yLo) yLo = v;
      if (v > yHi) yHi = v;
    }
    let points: unknown = null;
    if (ref) {
      const ds = ref.data.dataset;
      const rows = scatterSubsample(ref.n, opts.hoverPoints ?? 2000);
      const h = rows.length;
      const k = ds.descriptorNames.length;
      const z = new Float32Array(h * d);
      const normIn = new Float32Array(h * m);
      const measured = new Float32Array(h * m);
      const desc = new Float32Array(h * k);
      const ids: string[] = [];
      rows.forEach((i, r) => {
        z.set(ref!.latents.subarray(i * d, (i + 1) * d), r * d);
        normIn.set(ref!.data.input.subarray(i * m, (i + 1) * m), r * m);
        measured.set((ctx.invertible ? ds.spectra : ref!.data.input).subarray(i * m, (i + 1) * m), r * m);
        for (let c = 0; c < k; c++) desc[r * k + c] = ds.descriptors[i * k + c];
        ids.push(ds.ids[i]);
      });
      const recon = ctx.toDisplay(networks.decoder ? decodeFn(z, h) : z, h);
      for (const a of [measured, recon]) for (const v of a) {
        if (v < yLo) yLo = v;
        if (v > yHi) yHi = v;
      }
      points = { n: h, total: ref.n, ids, descriptorNames: ds.descriptorNames, z: b64(z), spectra: b64(measured), recon: b64(recon), descriptors: b64(desc) };
    }
    const pad = (yHi - yLo) * 0.06 || 1;
    const payload = {
      energies: Array.from(ctx.energies),
      axes: axesPayload,
      decoder: specPayload(networks.decoder),
      display: ctx.normalization.kind === 'standardize' ? ctx.normalization : { kind: 'none' },
      yRange: [yLo - pad, yHi + pad],
      xLabel: ctx.abscissaLabel,
      yLabel: ctx.intensityLabel,
      points,
    };
    const hoverNote = ref
      ? `${(points as { n: number }).n.toLocaleString('en-US')} of ${ref.n.toLocaleString('en-US')} spectra (fixed-seed subsample) carry their spectra for hovering.`
      : '';
    const explorer =
      `<div class="explorer"><div><div id="xl-sliders"></div><button id="xl-reset">Reset to 0</button><div id="xl-status">Loading TF.js…</div>` +
      `<p class="note">Each slider sets one latent coordinate; the decoder runs in your browser (TF.js) and redraws the spectrum. Range: 0.5–99.5th percentile of the reference latents (or ±3).</p></div>` +
      `<svg id="xl-spectrum" xmlns="http://www.w3.org/2000/svg" width="760" height="380" font-family="DejaVu Sans, Helvetica, Arial, sans-serif"></svg></div>` +
      (ref
        ? `<div class="scatterbox"><div><div class="controls">x <select id="xl-x"></select> y <select id="xl-y"></select> colour <select id="xl-c"></select></div>` +
          `<canvas id="xl-scatter" width="460" height="400" style="border:1px solid #ddd"></canvas><div id="xl-crange"></div><p class="note">${escapeHtml(hoverNote)} Hover a point to see it; click to load its latent into the sliders.</p></div>` +
          `<div><svg id="xl-hover" xmlns="http://www.w3.org/2000/svg" width="620" height="330" font-family="DejaVu Sans, Helvetica, Arial, sans-serif"></svg><div id="xl-info"></div></div></div>`
        : '');
    add('explorer', 'Explorer', 'Interactive decoder explorer', explorer);
    const tfPath = tfjsBrowserBundlePath();
    if (!existsSync(tfPath)) throw new UserError('TF.js browser bundle missing from the installation', tfPath);
    tail = inlineScript(readFileSync(tfPath, 'utf8')) + jsonScript('xl-data', payload) + inlineScript(EXPLORER_SCRIPT);

  }

  // ---- config and versions ----
  const versions = { report: environmentInfo(), modelWrittenBy: md.xlatentVersion, reportWrittenBy: xlatentVersion(), trainingBackend: md.backend };
  add(
    'config',
    'Config',
    'Run configuration and versions',
    `<h3>Resolved training config</h3><pre>${escapeHtml(JSON.stringify(md.training.config, null, 2))}</pre>` +
      `<h3>Versions and environment</h3><pre>${escapeHtml(JSON.stringify(versions, null, 2))}</pre>` +
      (Object.keys(md.metrics).length ? `<h3>Stored evaluation metrics</h3><pre>${escapeHtml(JSON.stringify(md.metrics, null, 2))}</pre>` : ''),
  );

  const title = `xlatent report: ${ctx.dir.replace(/\/+$/, '').split('/').pop()}`;
  const meta = `${d} latent axes · ${m}-point ${md.axisKind} grid · model created ${md.created} · report by xlatent ${xlatentVersion()}`;
  return { html: pageHtml(title, meta, nav, sections.join(''), tail), assets, notes };
}
