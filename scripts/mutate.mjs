#!/usr/bin/env node
// Mutation score per core module (StrykerJS): `npm run mutate -- --module losses [--module readers-xas ...]`,
// or every module with no --module. Prints one line per module: killed, survived, no coverage,
// timeouts and the score (killed + timeout over all valid mutants); reports in .tmp/mutation/.
// --incremental keeps each module's results in .tmp/mutation/NAME.incremental.json and, on the next
// run, tests again only the mutants whose code or covering tests changed (Stryker's incremental mode).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULES } from './mutate-modules.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const chosen = [];
let incremental = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--incremental') incremental = true;
  else if (args[i] === '--module') chosen.push(...(args[++i] ?? '').split(','));
  else if (args[i].startsWith('--module=')) chosen.push(...args[i].slice(9).split(','));
  else {
    console.error(`mutate: unknown argument ${args[i]}; usage: npm run mutate -- [--module ${Object.keys(MODULES).join('|')}]... [--incremental]`);
    process.exit(2);
  }
}
const modules = chosen.length ? chosen : Object.keys(MODULES);
for (const m of modules) {
  if (!(m in MODULES)) {
    console.error(`mutate: unknown module "${m}"; modules: ${Object.keys(MODULES).join(', ')}`);
    process.exit(2);
  }
}

const summary = [];
for (const m of modules) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', 'stryker.config.mjs', ...(incremental ? ['--incremental', '--incrementalFile', join('.tmp', 'mutation', `${m}.incremental.json`)] : [])], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, XLATENT_MUTATE_MODULE: m },
  });
  if (r.status !== 0) {
    console.error(`mutate: stryker failed on module ${m} (exit ${r.status})`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(join(root, '.tmp', 'mutation', `${m}.json`), 'utf8'));
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  for (const f of Object.values(report.files)) for (const mu of f.mutants) count[mu.status in count ? mu.status : 'other']++;
  const valid = count.Killed + count.Timeout + count.Survived + count.NoCoverage;
  const score = valid ? (100 * (count.Killed + count.Timeout)) / valid : NaN;
  summary.push(`${m}: ${score.toFixed(1)}% (${count.Killed} killed, ${count.Timeout} timeout, ${count.Survived} survived, ${count.NoCoverage} no coverage; ${((Date.now() - t0) / 60000).toFixed(1)} min)`);
}
console.log(`\nmutation scores, ${new Date().toISOString().slice(0, 10)}:\n${summary.join('\n')}`);
