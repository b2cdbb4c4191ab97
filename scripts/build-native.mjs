#!/usr/bin/env node
// Builds the optional native addon (native/ -> native/build/Release/xlatent_native.node)
// with node-gyp. It never fails the install: without a compiler, node headers or
// node-gyp it prints one line and exits 0, and the 'native' backend is unavailable.
// Set XLATENT_SKIP_NATIVE=1 to skip; XLATENT_BLAS=none builds without OpenBLAS.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const quiet = process.argv.includes('--quiet');

function findNodeGyp() {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {}
  // npm bundles node-gyp next to itself; npm_execpath points at npm-cli.js during npm scripts.
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', '/usr/share/nodejs/node-gyp/bin/node-gyp.js');
  return candidates.find((p) => existsSync(p));
}

/** Local node headers avoid a download (installs here are offline). */
function nodedirArgs() {
  const prefix = join(dirname(process.execPath), '..');
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  return [];
}

function main() {
  if (process.env.XLATENT_SKIP_NATIVE === '1') {
    console.log('xlatent: native addon skipped (XLATENT_SKIP_NATIVE=1); backends wasm/cpu remain.');
    return;
  }
  const gyp = findNodeGyp();
  if (!gyp) {
    console.log('xlatent: native addon not built (node-gyp not found); backends wasm/cpu remain.');
    return;
  }
  const t0 = Date.now();
  const res = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedirArgs()], { cwd: nativeDir, encoding: 'utf8', env: { ...process.env } });
  if (res.status !== 0) {
    const log = `${res.stdout ?? ''}\n${res.stderr ?? ''}`;
    const reason = log.split('\n').find((l) => /error|not found|No such file/i.test(l) && !/^gyp info/.test(l))?.trim() ?? `node-gyp exited with ${res.status}`;
    console.log(`xlatent: native addon not built (${reason.slice(0, 160)}); backends wasm/cpu remain.`);
    return;
  }
  const blas = spawnSync(process.execPath, [join(nativeDir, 'detect-blas.cjs')], { encoding: 'utf8' }).stdout;
  if (!quiet) console.log(`xlatent: native addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${blas === 'openblas' ? 'OpenBLAS' : 'portable SGEMM, no OpenBLAS found'}).`);
}

try {
  main();
} catch (e) {
  console.log(`xlatent: native addon not built (${e instanceof Error ? e.message : String(e)}); backends wasm/cpu remain.`);
}
process.exit(0);
