/**
 * Manual check of the readers and the XAS normalization on the public
 * development datasets (README.txt in the datasets folder lists what each
 * holds). Not a test: it needs ../shared/datasets/dev, which tests must not
 * read. Run from the repository root:
 *
 *   npx tsx scripts/check-dev-datasets.ts [datasets-dir]
 *
 * Prints one table row per dataset: spectra expected, loaded, how many
 * normalize to an edge step of 1 (mean of the flattened normalized mu over
 * the post-edge range within 1 +- 0.05, mean over the pre-edge range within
 * 0 +- 0.05), the median fitted edge step, and the time taken.
 * Exit code 1 when any count or normalization check fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawSpectrum } from '../src/data/dataset.js';
import { readAthenaFile } from '../src/data/formats/athena.js';
import { readColumnsFile } from '../src/data/formats/columns.js';
import { parseLabelTable, readFolder } from '../src/data/formats/folder.js';
import { readSpectra } from '../src/data/formats/index.js';
import { normalizeXas, type NormalizationResult } from '../src/data/xas/normalize.js';
import { linearAxis } from '../src/data/grid.js';
import { preprocessXrd, qToTwoTheta, twoThetaToQ } from '../src/data/xrd.js';
import { npyToSpectra, readNpyFile } from '../src/data/formats/npy.js';

const root = process.argv[2] ?? join(process.cwd(), '..', 'shared', 'datasets', 'dev');
if (!existsSync(join(root, 'README.txt'))) {
  console.error(`datasets folder not found: ${root} (pass it as the first argument)`);
  process.exit(2);
}

interface Row { dataset: string; expected: number; loaded: number; normOk: string; stepMedian: string; seconds: string; notes: string }
const rows: Row[] = [];
let failed = false;

/** Normalizes every spectrum; counts those whose post-edge sits at 1 and pre-edge at 0. */
function normalizationCheck(spectra: RawSpectrum[]): { ok: number; failures: string[]; steps: number[]; results: NormalizationResult[] } {
  let ok = 0;
  const failures: string[] = [];
  const steps: number[] = [];
  const results: NormalizationResult[] = [];
  for (const s of spectra) {
    try {
      const r = normalizeXas(s.energy, s.mu);
      results.push(r);
      steps.push(r.edgeStep);
      let post = 0, np = 0, pre = 0, nb = 0;
      for (let i = 0; i < r.energy.length; i++) {
        const de = r.energy[i] - r.e0;
        if (de >= r.ranges.norm1 && de <= r.ranges.norm2) { post += r.flat[i]; np++; }
        if (de >= r.ranges.pre1 && de <= r.ranges.pre2) { pre += r.norm[i]; nb++; }
      }
      if (Math.abs(post / np - 1) < 0.05 && Math.abs(pre / nb) < 0.05) ok++;
      else failures.push(`${s.id} (post ${(post / np).toFixed(3)}, pre ${(pre / nb).toFixed(3)})`);
    } catch (e) {
      failures.push(`${s.id}: ${(e as Error).message}`);
    }
  }
  return { ok, failures, steps, results };
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[s.length >> 1] : NaN;
}

async function check(dataset: string, expected: number, load: () => Promise<{ spectra: RawSpectrum[]; notes: string[] }> | { spectra: RawSpectrum[]; notes: string[] }, normalize: boolean): Promise<void> {
  const t0 = performance.now();
  try {
    const { spectra, notes } = await load();
    let normOk = '-';
    let stepMedian = '-';
    if (normalize) {
      const n = normalizationCheck(spectra);
      normOk = `${n.ok}/${spectra.length}`;
      stepMedian = median(n.steps).toPrecision(3);
      if (n.failures.length) notes.push(`not at step 1: ${n.failures.slice(0, 3).join('; ')}${n.failures.length > 3 ? ` ... (${n.failures.length})` : ''}`);
      if (n.ok !== spectra.length) failed = true;
    }
    if (spectra.length !== expected) failed = true;
    rows.push({ dataset, expected, loaded: spectra.length, normOk, stepMedian, seconds: ((performance.now() - t0) / 1000).toFixed(2), notes: notes.join('; ') });
  } catch (e) {
    failed = true;
    rows.push({ dataset, expected, loaded: 0, normOk: '-', stepMedian: '-', seconds: ((performance.now() - t0) / 1000).toFixed(2), notes: `ERROR ${(e as Error).message}` });
  }
}

// 1) FDMNES: 4,329 simulated Fe K-edge spectra in a tar.gz; labels joined by name
const fdmnesDir = join(tmpdir(), 'xlatent-dev-fdmnes');
await check('FDMNES Fe (tar.gz, folder + labels)', 4329, () => {
  if (!existsSync(join(fdmnesDir, 'preconv'))) {
    mkdirSync(fdmnesDir, { recursive: true });
    execFileSync('tar', ['-xzf', join(root, 'xas_fe_molecular_sim_xanesnet', 'xanesnet_fe_preconv.tar.gz'), '-C', fdmnesDir]);
  }
  const labels = join(root, 'xas_fe_molecular_sim_xanesnet', 'fe_labels_derived.csv');
  const spectra: RawSpectrum[] = [];
  const notes: string[] = [];
  for (const part of ['xanes_train', 'xanes_test']) {
    const r = readFolder(join(fdmnesDir, 'preconv', part), { labels, key: 'name', unlabeled: 'error', labelColumns: ['cn', 'cn_no_H', 'mean_fe_l_dist', 'complex_charge'] });
    spectra.push(...r.spectra);
    const nanCn = r.spectra.filter((s) => Number.isNaN(s.labels.cn)).length;
    notes.push(`${part}: ${r.spectra.length} (${nanCn} without cn)`);
  }
  const e = spectra[0].energy;
  notes.push(`grid ${e[0]}..${e[e.length - 1]} eV, ${e.length} pts`);
  return { spectra, notes };
}, true);

// 2) Ni NMC: 16 experimental spectra in a pandas-style JSON (dict of dicts); energies from the README
await check('Ni NMC (pandas JSON)', 16, () => {
  const j = JSON.parse(readFileSync(join(root, 'xas_ni_nmc_exp_featurexas', 'nmc_exp_xas.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const spectra: RawSpectrum[] = Object.entries(j.intensity).map(([k, v]) => {
    const mu = Float64Array.from(v as number[]);
    const volt = j.voltage[k];
    return {
      id: `${j.composition[k]}_${k}`,
      energy: linearAxis(8330, 0.4, mu.length),
      mu,
      labels: { voltage: volt === 'N/A' ? NaN : Number(volt) },
      source: 'nmc_exp_xas.json',
    };
  });
  return { spectra, notes: [`${spectra[0].mu.length} pts 8330..${(8330 + 0.4 * (spectra[0].mu.length - 1)).toFixed(1)} eV (already normalized upstream)`] };
}, true);

// 3) Athena project: 28 V K-edge groups; labels by group label
await check('V glasses (Athena .prj + labels)', 28, () => {
  const dir = join(root, 'xas_v_glasses_exp_xraylarch');
  const p = readAthenaFile(join(dir, 'Vglasses.prj'));
  const table = parseLabelTable(readFileSync(join(dir, 'v_glasses_labels_derived.csv'), 'utf8'), 'v_glasses_labels_derived.csv');
  const byLabel = new Map(table.rows.map((r) => [r[0], Number(r[1])]));
  const unmatched = p.spectra.filter((s) => !byLabel.has(s.id)).length;
  const viaFolder = readFolder(dir, { labels: join(dir, 'v_glasses_labels_derived.csv'), key: 'prj_label', labelColumns: ['delta_NNO_log_fO2'] });
  return { spectra: p.spectra, notes: [`${p.skipped.length} non-mu(E) groups`, `labels matched ${p.spectra.length - unmatched}/${p.spectra.length}`, `folder reader: ${viaFolder.spectra.length}`] };
}, true);

// 4) XRD: 231 patterns (231 x 650 float64, Fortran order) on q = 15.0..79.9 1/nm
await check('XRD AlFeLi (.npy)', 231, () => {
  const src = join(root, 'xrd_alfeli_sim_crystalshift', 'alfeli.npy');
  const m = readNpyFile(src);
  const q = linearAxis(15, 0.1, m.cols);
  const spectra = npyToSpectra(m, q, src);
  const tth = qToTwoTheta(q, 'CuKa1', '1/nm');
  const back = twoThetaToQ(tth, 'CuKa1', '1/nm');
  let err = 0;
  for (let i = 0; i < q.length; i++) err = Math.max(err, Math.abs(back[i] - q[i]));
  let minMax = Infinity, maxMax = -Infinity;
  for (const s of spectra) { const mx = Math.max(...s.mu); minMax = Math.min(minMax, mx); maxMax = Math.max(maxMax, mx); }
  const pre = preprocessXrd(spectra[0], { inputAxis: 'q', qUnit: '1/nm', axis: 'twotheta', wavelength: 'CuKa1', background: { halfWidth: 15 }, normalize: 'max' });
  return { spectra, notes: [`${m.rows} x ${m.cols}`, `2theta (CuKa1) ${tth[0].toFixed(2)}..${tth[tth.length - 1].toFixed(2)} deg`, `q round trip err ${err.toExponential(1)}`, `row maxima ${minMax.toFixed(3)}..${maxMax.toFixed(3)}`, `preprocessed #1 on ${pre.energy.length} pts`] };
}, false);

// 5) XDI library: 82 files in sub-folders; labels by relative path
await check('XDI library (folder + labels)', 82, () => {
  const dir = join(root, 'xas_xdi_library_exp');
  const r = readFolder(dir, { labels: join(dir, 'labels_derived.csv'), key: 'file' });
  const nanOs = r.spectra.filter((s) => Number.isNaN(s.labels.oxidation_state)).length;
  return { spectra: r.spectra, notes: [`labels ${r.labelNames.join(',')}`, `${nanOs} without oxidation_state`, `${r.warnings.length} warnings`] };
}, true);

// 6) Two-column text: every XDI spectrum written as "energy mu" text and read back
await check('two-column text (XDI mu re-written)', 82, async () => {
  const dir = join(root, 'xas_xdi_library_exp');
  const out = join(tmpdir(), 'xlatent-dev-twocol');
  mkdirSync(out, { recursive: true });
  const src = readFolder(dir).spectra;
  const spectra: RawSpectrum[] = [];
  for (const s of src) {
    const p = join(out, `${s.id}.dat`);
    writeFileSync(p, `! ${s.id}\n! energy mu\n` + Array.from(s.energy, (e, i) => `${e}, ${s.mu[i]}`).join('\n') + '\n');
    spectra.push(...readColumnsFile(p));
  }
  // and once through the format registry, as the CLI reads it
  const viaRegistry = await readSpectra(join(out, `${src[0].id}.dat`));
  return { spectra, notes: [`registry reads .dat as ${Array.isArray(viaRegistry) ? `${viaRegistry.length} raw spectrum` : 'dataset'}`] };
}, true);

const cols: (keyof Row)[] = ['dataset', 'expected', 'loaded', 'normOk', 'stepMedian', 'seconds', 'notes'];
const head: Record<keyof Row, string> = { dataset: 'dataset', expected: 'expected', loaded: 'loaded', normOk: 'step=1', stepMedian: 'median step', seconds: 's', notes: 'notes' };
const width = cols.map((c) => Math.max(head[c].length, ...rows.map((r) => String(r[c]).length)));
const line = (r: Record<keyof Row, string | number>) => '| ' + cols.map((c, i) => (c === 'notes' ? String(r[c]) : String(r[c]).padEnd(width[i]))).join(' | ') + ' |';
console.log(line(head));
console.log('|' + cols.map((c, i) => '-'.repeat(c === 'notes' ? 5 : width[i] + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
process.exit(failed ? 1 : 0);
