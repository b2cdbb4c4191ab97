/**
 * Real transfer check on the public dev data (../shared/datasets/dev): train on
 * the XANESNET Fe K-edge FDMNES calculations (4,329 molecular complexes) and
 * evaluate on the measured Fe spectra of the XDI reference library, whose
 * oxidation states are labelled, through the model's stored preprocessing
 * pipeline, next to the edge-position baseline. Config file and CLI do the
 * work; this script only prepares the inputs (nothing is copied into the
 * repository: everything goes to runs/).
 *
 * The calculations carry no oxidation state, so the script derives a
 * valence proxy from each complex's first coordination shell (the label
 * table's nearest-neighbour elements and distances): the bond valence sum
 * with Brese & O'Keeffe (1991) Fe(III) parameters over O, N, F, Cl, Br, I,
 * S and P neighbours (b = 0.37 A; C and H contacts, for which bond valences
 * are not defined, are left out). It is a crude proxy, stated as such.
 *
 * With several seeds it also reports how many measured spectra each seed flags
 * out of distribution and how often the seeds agree, and builds one ensemble
 * of the seeds (`xlatent ensemble`) whose valence estimates carry their spread.
 *
 *   npx tsx scripts/check-fe-transfer.ts [--dev ../shared/datasets/dev] [--epochs 60] [--seeds 0,1,2]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RawSpectrum } from '../src/data/dataset.js';
import { writeArrow } from '../src/data/formats/arrow.js';
import { parseLabelTable, readFolder } from '../src/data/formats/folder.js';
import { assembleSpectra } from '../src/data/grid.js';
import { fitEnergyShift } from '../src/data/preprocess/energy-shift.js';
import { normalizeXas } from '../src/data/xas/normalize.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const root = resolve(import.meta.dirname, '..');
const dev = resolve(arg('dev', join(root, '..', 'shared', 'datasets', 'dev')));
const epochs = Number(arg('epochs', '60'));
const seeds = arg('seeds', '0').split(',').map(Number);
const work = join(root, 'runs', 'fe-transfer');
mkdirSync(work, { recursive: true });
const sim = join(dev, 'xas_fe_molecular_sim_xanesnet');
const lib = join(dev, 'xas_xdi_library_exp');
for (const p of [join(sim, 'xanesnet_fe_preconv.tar.gz'), join(lib, 'labels_derived.csv')]) {
  if (!existsSync(p)) {
    console.error(`not found: ${p} (pass the dev dataset folder with --dev)`);
    process.exit(2);
  }
}

// ---- calculated: XANESNET with cn, mean Fe-L distance and the bond-valence proxy ----
const R0: Record<string, number> = { O: 1.759, N: 1.86, F: 1.679, Cl: 2.09, Br: 2.24, I: 2.47, S: 2.16, P: 2.15 };
const unpacked = join(root, 'runs', 'data', 'fe-xanes');
if (!existsSync(join(unpacked, 'preconv'))) {
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', join(sim, 'xanesnet_fe_preconv.tar.gz'), '-C', unpacked]);
}
const labelsPath = join(sim, 'fe_labels_derived.csv');
const table = parseLabelTable(readFileSync(labelsPath, 'utf8'), labelsPath);
const col = (name: string) => table.columns.indexOf(name);
const valence = new Map<string, number>();
for (const r of table.rows) {
  const cn = Number(r[col('cn')]);
  const els = r[col('nearest8_elements')].split(';');
  const ds = r[col('nearest8_dists')].split(';').map(Number);
  let v = 0;
  let counted = 0;
  for (let i = 0; i < Math.min(cn, els.length); i++) {
    if (R0[els[i]] === undefined) continue;
    v += Math.exp((R0[els[i]] - ds[i]) / 0.37);
    counted++;
  }
  valence.set(r[col('name')], counted > 0 ? v : NaN);
}
const calc: RawSpectrum[] = [];
for (const part of ['xanes_train', 'xanes_test']) {
  const r = readFolder(join(unpacked, 'preconv', part), { labels: labelsPath, key: 'name', unlabeled: 'error', labelColumns: ['cn', 'mean_fe_l_dist'] });
  for (const s of r.spectra) calc.push({ ...s, labels: { valence: valence.get(s.id) ?? NaN, ...s.labels } });
}
const calcSet = assembleSpectra(calc, undefined, { source: sim }).dataset;
writeArrow(calcSet, join(work, 'calc.arrow'));

// ---- measured: the Fe spectra of the XDI library, oxidation state as "valence" ----
const measuredAll = readFolder(lib, { labels: join(lib, 'labels_derived.csv'), key: 'file', labelColumns: ['oxidation_state'], unlabeled: 'skip' });
const measured = measuredAll.spectra
  .filter((s) => /[\\/]Fe[\\/]/.test(s.source) && Number.isFinite(s.labels.oxidation_state))
  .map((s) => ({ id: s.id, energy: Array.from(s.energy), mu: Array.from(s.mu), descriptors: { valence: s.labels.oxidation_state } }));
writeFileSync(join(work, 'fe_xdi.json'), JSON.stringify(measured));

// ---- the measured-scale shift: no compound is in both sets, so the population means are aligned ----
// (pre_edge ranges both sets cover: the calculations span only 7097-7172 eV)
const xas = { pre1: -22, pre2: -13, npre: 0 as const, norm1: 15, norm2: 45, nnorm: 1, e0Window: [7108, 7135] as [number, number] };
const grid = Float64Array.from({ length: 141 }, (_, i) => 7100 + 0.5 * i);
function meanNormalized(list: { energy: ArrayLike<number>; mu: ArrayLike<number> }[]): Float64Array {
  const out = new Float64Array(grid.length);
  let used = 0;
  for (const s of list) {
    try {
      const r = normalizeXas(s.energy, s.mu, xas);
      let j = 0;
      for (let i = 0; i < grid.length; i++) {
        while (j < r.energy.length - 2 && r.energy[j + 1] < grid[i]) j++;
        const t = Math.min(1, Math.max(0, (grid[i] - r.energy[j]) / (r.energy[j + 1] - r.energy[j])));
        out[i] += r.norm[j] + t * (r.norm[j + 1] - r.norm[j]);
      }
      used++;
    } catch {
      // spectra that do not normalize with these ranges are left out of the mean
    }
  }
  return out.map((v) => v / used);
}
const calcMean = meanNormalized(calc);
const measMean = meanNormalized(measured.map((s) => ({ energy: s.energy, mu: s.mu })));
const shift = fitEnergyShift({ energy: grid, mu: calcMean }, { energy: grid, mu: measMean }, { window: 15, xas }).shift;
console.log(`calculated: ${calcSet.n} spectra; measured: ${measured.length} Fe spectra with an oxidation state; population shift ${shift.toFixed(2)} eV`);

const config = (seed: number) => `seed: ${seed}
data:
  file: calc.arrow
  descriptors: [valence, cn, mean_fe_l_dist]
  discrete: [cn]
  grid: { start: 7100, stop: 7170, step: 0.5 }
preprocess:
  calibrate: { measuredShift: ${shift.toFixed(3)} }
  xas: { pre1: ${xas.pre1}, pre2: ${xas.pre2}, npre: 0, norm1: ${xas.norm1}, norm2: ${xas.norm2}, nnorm: 1, e0Window: [${xas.e0Window.join(', ')}] }
  onFailure: skip
network: { nStyle: 5, hidden: 64, depth: 4 }
losses:
  adversarial: { alphaRampEpochs: 20 }
training:
  epochs: ${epochs}
  batchSize: 128
  augment: { energyShift: 0.5, broaden: 1.5, noise: 0.01, slope: 0.02, scale: 0.05 }
output: run-${seed}
`;
const bin = join(root, 'bin', 'xlatent.js');
const xlatent = (args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const measuredFile = join(work, 'fe_xdi.json');
/** Rows of an embedding CSV by column name (ids as text, the rest as numbers). */
function embedding(path: string): Record<string, (string | number)[]> {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return Object.fromEntries(cols.map((c, j) => [c, lines.map((l) => (c === 'id' ? l.split(',')[j] : Number(l.split(',')[j])))]));
}
const rows: string[] = [];
const flags: number[][] = [];
for (const seed of seeds) {
  writeFileSync(join(work, `config-${seed}.yaml`), config(seed));
  execFileSync(process.execPath, [bin, 'train', '--config', join(work, `config-${seed}.yaml`)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ev = JSON.parse(xlatent(['evaluate', '--model', join(work, `run-${seed}`), '--data', measuredFile, '--json']));
  xlatent(['embed', '--model', join(work, `run-${seed}`), '--data', measuredFile, '--out', join(work, `embed-${seed}.csv`)]);
  flags.push(embedding(join(work, `embed-${seed}.csv`)).ood_flag as number[]);
  const v = ev.descriptors.valence;
  const b = ev.baseline.edgePosition.descriptors.valence;
  rows.push(`| ${seed} | ${v.n} | ${v.spearman.toFixed(3)} | ${b.spearman.toFixed(3)} | ${ev.ood.flagged} |`);
}
console.log('\n| seed | measured Fe spectra | valence axis Spearman | edge position (E at half step) Spearman | flagged out of distribution |\n|---|---|---|---|---|');
for (const r of rows) console.log(r);
const n = flags[0].length;
const agree = flags[0].filter((_, i) => flags.every((f) => f[i] === flags[0][i])).length;
console.log(`\nOOD flags of the ${seeds.length} seeds agree on ${agree} of ${n} measured spectra (${((100 * agree) / n).toFixed(1)}%)`);

if (seeds.length > 1) {
  // One ensemble of the seeds' models: estimates with their spread across members.
  const ensemble = join(work, 'ensemble');
  xlatent(['ensemble', '--from', ...seeds.map((s) => join(work, `run-${s}`)), '--members', String(seeds.length), '--out', ensemble]);
  const ev = JSON.parse(xlatent(['evaluate', '--model', ensemble, '--data', measuredFile, '--json']));
  const e = ev.ensemble.descriptors.valence;
  console.log(
    `\nensemble of ${ev.ensemble.members} seeds on the ${e.n} measured spectra: valence estimate Spearman ${e.spearman.toFixed(3)}, MAE ${e.mae.toFixed(3)}, ` +
      `mean spread (std across members) ${e.meanSpread.toFixed(3)}, members' own Spearman ${e.memberSpearman.map((r: number) => r.toFixed(3)).join(' / ')}; ` +
      `flagged out of distribution: ${ev.ood.flagged}`,
  );
  xlatent(['embed', '--model', ensemble, '--data', measuredFile, '--out', join(work, 'embed-ensemble.csv')]);
  const t = embedding(join(work, 'embed-ensemble.csv'));
  console.log('\n| spectrum | oxidation state | valence estimate | spread (std) | OOD percentile | flag |\n|---|---|---|---|---|---|');
  t.id.forEach((id, i) => {
    const f = (c: string, p = 2) => (t[c][i] as number).toFixed(p);
    console.log(`| ${id} | ${t.label_valence[i]} | ${f('pred_valence')} | ${f('pred_valence_std')} | ${f('ood_percentile', 1)} | ${t.ood_flag[i]} |`);
  });
}
