/**
 * Turns the public Fe K-edge XANES set (XANESNET, FDMNES, 4,329 spectra; see
 * ../shared/datasets/dev/README.txt) into one Arrow file for
 * configs/fe-xanes.yaml: unpacks the tarball, joins each spectrum with its
 * derived labels (cn, mean Fe-ligand distance) by file name, and writes
 * runs/data/fe_xanes.arrow. The data stay out of the repository.
 *
 *   npx tsx scripts/prepare-fe-xanes.ts [path/to/xas_fe_molecular_sim_xanesnet]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RawSpectrum } from '../src/data/dataset.js';
import { writeArrow } from '../src/data/formats/arrow.js';
import { readFolder } from '../src/data/formats/folder.js';
import { assembleSpectra } from '../src/data/grid.js';

const root = resolve(import.meta.dirname, '..');
const src = resolve(process.argv[2] ?? join(root, '..', 'shared', 'datasets', 'dev', 'xas_fe_molecular_sim_xanesnet'));
const work = join(root, 'runs', 'data', 'fe-xanes');
const out = join(root, 'runs', 'data', 'fe_xanes.arrow');

if (!existsSync(join(src, 'xanesnet_fe_preconv.tar.gz'))) {
  console.error(`not found: ${join(src, 'xanesnet_fe_preconv.tar.gz')} (pass the dataset folder as the first argument)`);
  process.exit(2);
}
if (!existsSync(join(work, 'preconv'))) {
  mkdirSync(work, { recursive: true });
  execFileSync('tar', ['-xzf', join(src, 'xanesnet_fe_preconv.tar.gz'), '-C', work]);
}
const spectra: RawSpectrum[] = [];
for (const part of ['xanes_train', 'xanes_test']) {
  const r = readFolder(join(work, 'preconv', part), {
    labels: join(src, 'fe_labels_derived.csv'),
    key: 'name',
    unlabeled: 'error',
    labelColumns: ['cn', 'cn_no_H', 'mean_fe_l_dist'],
  });
  spectra.push(...r.spectra);
}
const { dataset, warnings } = assembleSpectra(spectra, undefined, { source: src });
for (const w of warnings) console.error(`warning: ${w}`);
writeArrow(dataset, out);
console.log(`wrote ${dataset.n} spectra x ${dataset.m} points (${dataset.descriptorNames.join(', ')}) to ${out}`);
