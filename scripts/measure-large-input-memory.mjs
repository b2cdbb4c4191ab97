#!/usr/bin/env node
/**
 * Peak memory of the commands that read large spectra files a block at a
 * time: `data synth` (written row by row), `data inspect`, `data convert`
 * and `embed`, on a generated 200,000 x 256 CSV (about 0.5 GB) and its Arrow
 * copy. Each command runs in its own process under /usr/bin/time -v, which
 * reports the peak resident set size.
 *
 *   node scripts/measure-large-input-memory.mjs [--count 200000] [--points 256] [--keep DIR]
 *
 * Needs the built CLI (npm run build). Takes a few minutes on two cores.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'xlatent.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const count = Number(opt('count', 200000));
const points = Number(opt('points', 256));
const keep = opt('keep', undefined);
const dir = keep ?? mkdtempSync(join(tmpdir(), 'xlatent-mem-'));
mkdirSync(dir, { recursive: true });
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) {
  console.error(`${TIME} not found (apt-get install time)`);
  process.exit(1);
}

/** Runs the CLI under /usr/bin/time -v; returns seconds and peak RSS in MiB. */
function measure(label, cliArgs) {
  const t0 = Date.now();
  const r = spawnSync(TIME, ['-v', process.execPath, bin, ...cliArgs], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (Date.now() - t0) / 1000;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) {
    console.error(`${label} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  const mib = Number(m[1]) / 1024;
  console.log(`${label.padEnd(44)} ${seconds.toFixed(1).padStart(7)} s  ${mib.toFixed(0).padStart(6)} MiB`);
  return { label, seconds, mib };
}

console.log(`${count} spectra x ${points} points in ${dir}\n`);
const rows = [];
rows.push(measure(`data synth -> CSV`, ['data', 'synth', '--out', 'big.csv', '--count', String(count), '--points', String(points), '--seed', '1']));
console.log(`  big.csv: ${(statSync(join(dir, 'big.csv')).size / 2 ** 20).toFixed(0)} MiB`);
rows.push(measure('data inspect (CSV)', ['data', 'inspect', 'big.csv', '--json']));
rows.push(measure('data convert CSV -> Arrow', ['data', 'convert', 'big.csv', 'big.arrow']));
rows.push(measure('data convert CSV -> CSV (--grid 128)', ['data', 'convert', 'big.csv', 'small.csv', '--grid', '128']));

// A small trained model on the same grid: 3,000 spectra, 3 epochs (its quality does not matter here).
rows.push(measure('data synth (training set, 3000)', ['data', 'synth', '--out', 'train.csv', '--count', '3000', '--points', String(points), '--seed', '2']));
writeFileSync(
  join(dir, 'train.yaml'),
  `seed: 0\ndata: { file: train.csv, descriptors: [OS, CN, BL], discrete: [CN] }\nnetwork: { nStyle: 4, hidden: 64, depth: 5 }\ntraining: { epochs: 3, batchSize: 256 }\noutput: run\n`,
);
rows.push(measure('train (model for embed)', ['train', '--config', 'train.yaml']));
rows.push(measure('embed CSV -> CSV', ['embed', '--model', 'run', '--data', 'big.csv', '--out', 'emb.csv']));
rows.push(measure('embed Arrow -> Arrow', ['embed', '--model', 'run', '--data', 'big.arrow', '--out', 'emb.arrow']));

console.log('\n| command | seconds | peak RSS |\n|---|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.mib.toFixed(0)} MiB |`);
if (!keep) rmSync(dir, { recursive: true, force: true });
