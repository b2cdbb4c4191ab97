#!/usr/bin/env node
// Builds the optional native addon (native/ -> native/build/Release/xlatent_native.node)
// with node-gyp. Without a compiler, make, python3, node headers or node-gyp the
// install still succeeds, but says so loudly (a boxed warning on stderr naming the
// reason and the packages to install), and the 'native' backend is unavailable.
// With XLATENT_STRICT=1 (CI) a missing addon fails the install instead (exit 1).
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

const strict = process.env.XLATENT_STRICT === '1';

/** The addon is not there: a warning nobody scrolls past, or under XLATENT_STRICT=1 a failed install. */
function notBuilt(reason) {
  const lines = [
    `the native addon was NOT built: ${reason}`,
    'Training, PCA, t-SNE and UMAP will run without it, on WebAssembly or plain JavaScript (several times slower).',
    'To build it, install a C compiler, make, python3 and OpenBLAS, then run `npm run build:native`:',
    '  Debian/Ubuntu: sudo apt-get install build-essential python3 libopenblas-dev',
  ];
  if (strict) lines.push('XLATENT_STRICT=1: the install fails because the addon is required here.');
  const bar = '='.repeat(78);
  process.stderr.write(['', bar, ...lines.map((l) => `xlatent: ${l}`), bar, ''].join('\n') + '\n');
  if (strict) process.exit(1);
}

function main() {
  if (process.env.XLATENT_SKIP_NATIVE === '1') {
    if (strict) return notBuilt('skipped (XLATENT_SKIP_NATIVE=1)');
    console.log('xlatent: native addon skipped (XLATENT_SKIP_NATIVE=1); backends wasm/cpu remain.');
    return;
  }
  const gyp = findNodeGyp();
  if (!gyp) return notBuilt('node-gyp not found');
  const t0 = Date.now();
  const res = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedirArgs()], { cwd: nativeDir, encoding: 'utf8', env: { ...process.env } });
  if (res.status !== 0) {
    const log = `${res.stdout ?? ''}\n${res.stderr ?? ''}`;
    const lines = log.split('\n');
    // node-gyp's own failure (no Python, no make) is its stack's first line; a compiler's is an "error:" line.
    const stack = lines.find((l) => /^gyp ERR! stack Error: /.test(l))?.replace(/^gyp ERR! stack Error: /, '');
    const compiler = lines.find((l) => /error:|not found|No such file/i.test(l) && !/^gyp (info|ERR!)/.test(l));
    const reason = (compiler ?? stack ?? lines.find((l) => /error/i.test(l) && !/^gyp info/.test(l)) ?? `node-gyp exited with ${res.status}`).trim();
    return notBuilt(reason.slice(0, 160));
  }
  const blas = spawnSync(process.execPath, [join(nativeDir, 'detect-blas.cjs')], { encoding: 'utf8' }).stdout;
  if (!quiet) console.log(`xlatent: native addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${blas === 'openblas' ? 'OpenBLAS' : 'portable SGEMM, no OpenBLAS found'}).`);
}

try {
  main();
} catch (e) {
  notBuilt(e instanceof Error ? e.message : String(e));
}
process.exit(0);
