#!/usr/bin/env node
// Re-introduces the deliberate bugs of issue 17 one at a time and runs the test file that must
// catch each (README, Development, "Deliberate bugs the suite catches"). Each bug is a textual
// edit of one source file; the file is restored byte for byte afterwards, also on Ctrl-C.
// Not part of CI (it edits the working tree). Usage: node scripts/check-bugs.mjs [NAME...]
// Exit 0 when every chosen bug turns its tests red, 1 when one stays green, 2 on a bad name or a
// pattern the source no longer contains (the table below must follow the code).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const noNative = { XLATENT_NATIVE: '0' };

/** name, source file, exact text, its buggy replacement, the tests that must fail, extra env. */
const BUGS = [
  ['embed-norm', 'src/export/embed.ts', 'const x = applyNormalization(metadata.normalization as NormalizationParams, prepared.spectra, n, m);', 'const x = prepared.spectra;', ['test/export/stored-normalization.test.ts']],
  ['ctx-input', 'src/analysis/model-context.ts', 'return { dataset, input: r.x, warnings };', 'return { dataset, input: r.prepared.spectra, warnings };', ['test/export/stored-normalization.test.ts']],
  ['ctx-display', 'src/analysis/model-context.ts', 'toDisplay: (spectra, n) => (invertible ? invertNormalization(normalization, spectra, n, m) : spectra),', 'toDisplay: (spectra, n) => spectra,', ['test/export/stored-normalization.test.ts']],
  ['plateau-resume', 'src/train/trainer.ts', 'this.schedule.state = { ...state.schedule, best: state.schedule.best ?? -Infinity };', '', ['test/train/trainer.test.ts']],
  ['best-resume', 'src/train/callbacks/best-model.ts', '    if (this.bestEpoch > 0) {', '    if (this.bestEpoch > 0 && false) {', ['test/train/trainer.test.ts']],
  [
    'xdi-swap',
    'src/data/formats/xdi.ts',
    "    transmission: [() => direct('mutrans'), () => ratio('i0', 'itrans', true)],\n    fluorescence: [() => direct('mufluor'), () => ratio('ifluor', 'i0', false)],\n    reference: [() => direct('murefer'), () => ratio('itrans', 'irefer', true)],",
    "    transmission: [() => direct('mutrans'), () => ratio('itrans', 'irefer', true)],\n    fluorescence: [() => direct('mufluor'), () => ratio('ifluor', 'i0', false)],\n    reference: [() => direct('murefer'), () => ratio('i0', 'itrans', true)],",
    ['test/formats/xdi.test.ts'],
  ],
  ['onnx-norm', 'src/export/bundle.ts', "    'xlatent.normalization': JSON.stringify(meta.normalization),\n", '', ['test/export/export.test.ts']],
  ['html-cells', 'src/report/html.ts', '`<td>${escapeHtml(String(c))}</td>`', '`<td>${String(c)}</td>`', ['test/report/escaping.test.ts']],
  ['html-titles', 'src/report/html.ts', '<h2>${escapeHtml(title)}</h2>', '<h2>${title}</h2>', ['test/report/escaping.test.ts']],
  [
    'json-payload',
    'src/report/html.ts',
    "return JSON.stringify(value).replace(/[<>&\\u2028\\u2029]/g, (c) => `\\\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);",
    'return JSON.stringify(value);',
    ['test/report/escaping.test.ts'],
  ],
  ['umap-target', 'src/reducers/umap.ts', '    this.target = y ? Array.from(y, (v) => (Number.isFinite(v) ? v : -1)) : null;', '    this.target = null;', ['test/reducers/umap.test.ts']],
  ['rank-fb-value', 'src/ops/generic/rank-loss.ts', 'const perAxis = tf.add(sumProd, tf.mul(scaleMinusOne, tf.sum(tf.relu(prod), 1)));', 'const perAxis = sumProd;', ['test/train/losses.test.ts'], noNative],
  [
    'rank-fb-grad',
    'src/ops/generic/rank-loss.ts',
    'const g = tf.mul(tf.add(rowT, tf.mul(rowTPos, tf.reshape(scaleMinusOne, [k, 1]))), tf.reshape(perAxisFactor, [k, 1]));',
    'const g = tf.mul(rowT, tf.reshape(perAxisFactor, [k, 1]));',
    ['test/train/losses.test.ts'],
    noNative,
  ],
  [
    'rank-fb-scale',
    'src/ops/generic/rank-loss.ts',
    'const scaleMinusOne = tf.sub(tf.div(negCount, tf.maximum(tf.maximum(posCount, negCount), 1)), 1) as tf.Tensor1D;',
    'const scaleMinusOne = tf.sub(tf.div(posCount, tf.maximum(tf.maximum(posCount, negCount), 1)), 1) as tf.Tensor1D;',
    ['test/train/losses.test.ts'],
    noNative,
  ],
];

const chosen = process.argv.slice(2);
const names = BUGS.map((b) => b[0]);
for (const c of chosen) {
  if (!names.includes(c)) {
    console.error(`check-bugs: unknown bug "${c}"; bugs: ${names.join(', ')}`);
    process.exit(2);
  }
}

let restore = null;
const onSignal = () => {
  restore?.();
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

let green = 0;
let stale = 0;
for (const [name, file, before, after, tests, env = {}] of BUGS) {
  if (chosen.length && !chosen.includes(name)) continue;
  const path = join(root, file);
  const original = readFileSync(path, 'utf8');
  const count = original.split(before).length - 1;
  if (count !== 1) {
    console.log(`${name}: the text to change occurs ${count} times in ${file}; update scripts/check-bugs.mjs`);
    stale++;
    continue;
  }
  restore = () => writeFileSync(path, original);
  writeFileSync(path, original.replace(before, () => after));
  let r;
  try {
    r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...tests], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  } finally {
    restore();
    restore = null;
  }
  const failed = (r.stdout ?? '').split('\n').filter((l) => l.includes('×')).map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim());
  const red = r.status !== 0;
  if (!red) green++;
  console.log(`${name}: ${red ? 'RED' : 'GREEN (no test caught it)'} (${file}; ${tests.join(' ')})`);
  for (const l of failed.slice(0, 4)) console.log(`    ${l}`);
}
if (stale) process.exit(2);
if (green) process.exit(1);
