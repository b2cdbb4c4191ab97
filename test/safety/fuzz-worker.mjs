/**
 * The fuzz run of test/safety/fuzz.test.ts, in its own process so that a
 * hang can be stopped from outside: every supported input format, as a
 * valid file first, then seeded random byte flips, insertions, deletions and
 * truncations, each read through the real reader entry (loadSpectra, the
 * chunked loadSpectraChunks, loadTrainConfig). Prints one JSON line per case
 * on stdout, and "start <case>" on stderr before each, so the parent can name
 * a case that hung.
 *
 *   node test/safety/fuzz-worker.mjs SEED DIR CASES_PER_FORMAT
 *
 * Runs the built code (dist/), which `npm test` builds first.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadSpectra, loadSpectraChunks } from '../../dist/data/load.js';
import { loadTrainConfig } from '../../dist/config/load.js';
import { UserError } from '../../dist/util/errors.js';
import { synthesizeXanes } from '../../dist/data/synth.js';
import { writeSpectra } from '../../dist/data/formats/index.js';

const [seedArg, dir, perArg] = process.argv.slice(2);
const perFormat = Number(perArg ?? 25);
mkdirSync(dir, { recursive: true });

/** mulberry32: a small seeded generator, so every run tries the same cases. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(Number(seedArg ?? 1));
const int = (n) => Math.floor(rand() * n);

// ---- one valid file of every format ----
const base = join(dir, 'base');
mkdirSync(base, { recursive: true });
const ds = synthesizeXanes({ count: 12, points: 16, seed: 3 });
const energies = Array.from({ length: 40 }, (_, i) => 7100 + 2 * i);
const mu = energies.map((e) => 0.1 + 1 / (1 + Math.exp(-(e - 7140) / 3)));
const rows2 = energies.map((e, i) => `${e.toFixed(2)} ${mu[i].toFixed(5)}`).join('\n');
const xdi = ['# XDI/1.0', '# Column.1: energy eV', '# Column.2: mutrans', '# Element.symbol: Fe', '# ///', '# sample', '#----', '# energy mutrans', rows2].join('\n') + '\n';
const group = (name, label) =>
  [`$old_group = '${name}';`, `@args = ('label','${label}','bkg_e0','7140','is_xmu',1);`, `@x = (${energies.map((e) => `'${e}'`).join(',')});`, `@y = (${mu.map((v) => `'${v.toFixed(5)}'`).join(',')});`, '[record]', ''].join('\n');
const athena = `# Athena project file -- Demeter version 0.9.26\n${group('aaaaa', 'first')}${group('bbbbb', 'second')}\n1;\n`;
const feff = ['# Fe  Feff 9', '#  --------------', '#  omega    e    k    mu    mu0     chi', ...energies.map((e, i) => `  ${e.toFixed(3)}  ${(e - 7140).toFixed(3)}  0.0  ${mu[i].toExponential(6)}  ${mu[i].toExponential(6)}  0.0`)].join('\n') + '\n';
const fdmnes = ['    FDMNES', '    energy     <xanes>', ...energies.map((e, i) => `   ${e.toFixed(2)}  ${mu[i].toExponential(7).toUpperCase()}`)].join('\n') + '\n';
const longCsv = ['name,CN,' + energies.slice(0, 10).join(','), ...Array.from({ length: 6 }, (_, r) => `s${r},${4 + (r % 3)},` + mu.slice(0, 10).map((v) => (v * (1 + r / 10)).toFixed(4)).join(','))].join('\n') + '\n';
function npy() {
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 10), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(header + ' '.repeat(pad) + '\n', 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  const data = Buffer.alloc(4 * 10 * 8);
  for (let i = 0; i < 40; i++) data.writeDoubleLE(Math.sin(i) + 2, i * 8);
  return Buffer.concat([pre, h, data]);
}
const config = `seed: 3\ndata:\n  file: spectra.csv\n  descriptors: [OS, CN]\n  discrete: [CN]\n  grid: { start: 7110, stop: 7170, step: 2 }\nnetwork: { nStyle: 3, hidden: 16, depth: 3, discriminator: { hidden: 8 } }\nlosses:\n  adversarial: &adv { weight: 1, priorSamples: 64 }\ntraining: { epochs: 2, batchSize: 16 }\nbackend: cpu\noutput: run\n`;

writeSpectra(ds, join(base, 'spectra.csv'));
writeSpectra(ds, join(base, 'spectra.json'));
writeSpectra(ds, join(base, 'spectra.arrow'));
const records = JSON.stringify([{ id: 'a', energy: energies, mu }, { id: 'b', energy: energies.slice(2), mu: mu.slice(2), descriptors: { CN: 4 } }]);
const folder = join(base, 'folder');
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, 'a.dat'), `# energy mu\n${rows2}\n`);
writeFileSync(join(folder, 'b.xdi'), xdi);
writeFileSync(join(folder, 'labels.csv'), 'file,CN\na,4\nb,6\n');

/** Formats: name, file extension, the valid bytes, how to read a case. */
const formats = [
  { name: 'csv', ext: 'csv', bytes: readFileSync(join(base, 'spectra.csv')), chunked: true },
  { name: 'long-csv', ext: 'csv', bytes: Buffer.from(longCsv), chunked: true },
  { name: 'json', ext: 'json', bytes: readFileSync(join(base, 'spectra.json')) },
  { name: 'json-records', ext: 'json', bytes: Buffer.from(records), options: { grid: { points: 30 } } },
  { name: 'arrow', ext: 'arrow', bytes: readFileSync(join(base, 'spectra.arrow')), chunked: true },
  { name: 'xdi', ext: 'xdi', bytes: Buffer.from(xdi) },
  { name: 'athena', ext: 'prj', bytes: Buffer.from(athena) },
  { name: 'athena-gz', ext: 'prj', bytes: gzipSync(Buffer.from(athena)) },
  { name: 'feff', ext: 'dat', bytes: Buffer.from(feff), dir: 'xmu' },
  { name: 'fdmnes', ext: 'txt', bytes: Buffer.from(fdmnes) },
  { name: 'columns', ext: 'dat', bytes: Buffer.from(`# energy mu\n${rows2}\n`) },
  { name: 'npy', ext: 'npy', bytes: npy(), options: { abscissa: { kind: 'q', start: 15, step: 0.1 } } },
  { name: 'folder', ext: '', folder: true },
  { name: 'config', ext: 'yaml', bytes: Buffer.from(config), config: true },
];

const SPECIAL = [0x00, 0xff, 0x22, 0x2c, 0x0a, 0x0d, 0x2d, 0x65, 0x39, 0x2e, 0x5b, 0x7b, 0x7d, 0x5d, 0x27, 0x28, 0x29, 0x3b, 0x23, 0x80, 0xc3, 0x1b];

/** One random change of `b`: flips, special bytes, insertion, deletion, duplication or truncation. */
function mutate(b) {
  const out = Buffer.from(b);
  const kind = int(6);
  if (out.length === 0) return out;
  if (kind === 0) {
    for (let t = 1 + int(8); t > 0; t--) out[int(out.length)] = int(256);
    return out;
  }
  if (kind === 1) {
    for (let t = 1 + int(4); t > 0; t--) out[int(out.length)] = SPECIAL[int(SPECIAL.length)];
    return out;
  }
  if (kind === 2) return out.subarray(0, int(out.length));
  const p = int(out.length);
  if (kind === 3) return Buffer.concat([out.subarray(0, p), Buffer.from([SPECIAL[int(SPECIAL.length)]]), out.subarray(p)]);
  if (kind === 4) return Buffer.concat([out.subarray(0, p), out.subarray(Math.min(out.length, p + 1 + int(40)))]);
  const q = Math.min(out.length, p + 1 + int(200));
  return Buffer.concat([out.subarray(0, q), out.subarray(p, q), out.subarray(q)]);
}

/** Reads one case; returns what happened. */
async function readCase(fmt, path) {
  if (fmt.config) return loadTrainConfig(path);
  const options = { ...(fmt.options ?? {}) };
  if (fmt.chunked && rand() < 0.5) {
    let n = 0;
    for await (const { dataset } of loadSpectraChunks(path, options, 1 + int(5))) n += dataset.n;
    return n;
  }
  return loadSpectra(path, options);
}

/**
 * Targeted cases besides the random ones: the issue's .arrow with bytes 8-15
 * set to 0xff, and every 4-byte word of the Arrow footer set to 0x7fffffff
 * in turn (each length or offset the metadata decoder trusts).
 */
const arrowBytes = readFileSync(join(base, 'spectra.arrow'));
const targeted = [];
{
  const b = Buffer.from(arrowBytes);
  b.fill(0xff, 8, 16);
  targeted.push(b);
  const footerLen = arrowBytes.readInt32LE(arrowBytes.length - 10);
  for (let off = arrowBytes.length - 10 - footerLen; off + 4 <= arrowBytes.length - 10; off += 4) {
    const t = Buffer.from(arrowBytes);
    t.writeInt32LE(0x7fffffff, off);
    targeted.push(t);
  }
}
formats.push({ name: 'arrow-footer', ext: 'arrow', targeted, chunked: true });

let i = 0;
const cases = [];
for (const fmt of formats) {
  const count = fmt.targeted ? fmt.targeted.length : perFormat;
  for (let c = 0; c < count; c++, i++) {
    const name = `case-${i}-${fmt.name}`;
    let path;
    if (fmt.folder) {
      path = join(dir, name);
      cpSync(folder, path, { recursive: true });
      const victim = ['a.dat', 'b.xdi', 'labels.csv'][int(3)];
      const p = join(path, victim);
      writeFileSync(p, c === 0 ? readFileSync(p) : mutate(readFileSync(p)));
    } else {
      const sub = fmt.dir ? join(dir, `${name}-dir`) : dir;
      mkdirSync(sub, { recursive: true });
      path = join(sub, fmt.dir ? `xmu.${fmt.ext}` : `${name}.${fmt.ext}`);
      writeFileSync(path, fmt.targeted ? fmt.targeted[c] : c === 0 ? fmt.bytes : mutate(fmt.bytes));
      if (fmt.config) writeFileSync(join(dir, 'spectra.csv'), readFileSync(join(base, 'spectra.csv')));
    }
    process.stderr.write(`start ${name}\n`);
    const t0 = performance.now();
    let outcome = 'ok';
    let message = '';
    try {
      await readCase(fmt, path);
    } catch (e) {
      if (e instanceof UserError) {
        outcome = 'user';
        message = e.message;
      } else {
        outcome = 'bug';
        message = `${e?.name}: ${e?.message}\n${String(e?.stack).split('\n').slice(1, 6).join('\n')}`;
      }
    }
    const ms = performance.now() - t0;
    cases.push({ i, name, path, format: fmt.name, outcome, ms: Math.round(ms), message });
    process.stdout.write(JSON.stringify(cases[cases.length - 1]) + '\n');
    if (fmt.folder && outcome !== 'bug') rmSync(path, { recursive: true, force: true });
  }
}
