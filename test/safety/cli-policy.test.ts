import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelDir } from '../../src/export/model-dir.js';
import { writeSpectra } from '../../src/data/formats/index.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { BIN, expectUserError, tempDir } from '../cli/helpers.js';
import { linearModel } from '../export/linear-model.js';

/**
 * The command line's one error policy, through the real binary: every
 * expected failure is one line `xlatent: error: ...` and exit code 2, never
 * a stack trace; an output never replaces one of the command's inputs.
 */
const INJECT = resolve(__dirname, 'inject-fs-error.mjs');
const dir = tempDir('xlatent-policy-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}, preload = false) {
  const node = preload ? ['--import', INJECT] : [];
  const r = spawnSync(process.execPath, [...node, BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CI: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lm = linearModel(40, 3);
const csv = join(dir, 'spectra.csv');
const model = join(dir, 'model');
let csvBytes: Buffer;
beforeAll(async () => {
  await writeModelDir(model, { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
  const s = lm.sample(30);
  writeSpectra(
    { energies: lm.energies, spectra: s.x, n: 30, m: lm.m, ids: Array.from({ length: 30 }, (_, i) => `s${i}`), descriptorNames: ['CN'], descriptors: s.cn, axis: 'energy' },
    csv,
  );
  csvBytes = readFileSync(csv);
});

describe('outputs never alias inputs', () => {
  it('embed --out naming its --data, directly, by hard link or by symbolic link: refused, input intact', () => {
    expectUserError(run(['embed', '--model', model, '--data', csv, '--out', csv]), /(--out|output) .*spectra\.csv is also an input of this command/);
    linkSync(csv, join(dir, 'hard.csv'));
    expectUserError(run(['embed', '--model', model, '--data', csv, '--out', 'hard.csv']), /hard\.csv is also an input of this command \(the same file as input/);
    symlinkSync(csv, join(dir, 'soft.csv'));
    expectUserError(run(['embed', '--model', model, '--data', 'soft.csv', '--out', csv]), /is also an input/);
    expect(readFileSync(csv).equals(csvBytes)).toBe(true);
  });

  it('embed --out naming a file of the model directory is refused before it is written', () => {
    const meta = readFileSync(join(model, 'metadata.json'));
    expectUserError(run(['embed', '--model', model, '--data', csv, '--out', join(model, 'metadata.json'), '--format', 'json']), /metadata\.json is also an input/);
    expect(readFileSync(join(model, 'metadata.json')).equals(meta)).toBe(true);
  });

  it('data convert IN IN (lossy --grid): refused, input intact', () => {
    expectUserError(run(['data', 'convert', csv, csv, '--grid', '10']), /is also an input/);
    expect(readFileSync(csv).equals(csvBytes)).toBe(true);
  });

  it('an output folder replaced as a whole may not hold an input (export into the model, baseline over the data folder)', () => {
    expectUserError(run(['export', '--model', model, '--format', 'onnx', '--out', model]), /model would be replaced as a whole, but it holds input/);
    const d = join(dir, 'data-folder');
    mkdirSync(d);
    writeFileSync(join(d, 'a.csv'), csvBytes);
    expectUserError(run(['baseline', '--method', 'pca', '--data', join(d, 'a.csv'), '--out', d]), /data-folder would be replaced as a whole, but it holds input/);
    expect(readFileSync(join(d, 'a.csv')).equals(csvBytes)).toBe(true);
    expect(readFileSync(join(model, 'metadata.json')).length).toBeGreaterThan(0);
  });
});

describe('every expected failure is one line and exit 2', () => {
  it('disk full, read-only file system and permission denied while writing the output', () => {
    expectUserError(run(['data', 'convert', csv, 'full.csv'], { XL_INJECT: 'ENOSPC:writeSync' }, true), /full\.csv: no space left on device \[ENOSPC \(write\)\]$/);
    expectUserError(run(['data', 'synth', '--out', 'ro.csv', '--count', '5'], { XL_INJECT: 'EROFS:openSync' }, true), /ro\.csv: read-only file system \[EROFS \(open\)\]$/);
    expectUserError(run(['data', 'convert', csv, 'denied.arrow'], { XL_INJECT: 'EACCES:openSync' }, true), /denied\.arrow: permission denied \[EACCES \(open\)\]$/);
  });

  it('--out naming a file where a folder is written, a path through a file, a folder where a file is written; --config naming a folder', () => {
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    expectUserError(run(['baseline', '--method', 'pca', '--data', csv, '--out', 'not-a-folder']), /not-a-folder: is a file; expected the name of a folder to write/);
    expectUserError(run(['data', 'convert', csv, 'not-a-folder/out.csv']), /not-a-folder: already exists and is not a directory|not a directory/);
    mkdirSync(join(dir, 'folder.csv'));
    expectUserError(run(['data', 'convert', csv, 'folder.csv']), /folder\.csv: is a directory; expected the name of a file to write/);
    mkdirSync(join(dir, 'cfg.yaml'));
    expectUserError(run(['train', '--config', 'cfg.yaml']), /cfg\.yaml: expected a file, found a directory/);
  });

  it('absurd network sizes and networks too large for memory, before anything is built', () => {
    writeFileSync(join(dir, 'deep.yaml'), `data: { file: ${csv}, descriptors: [CN] }\nnetwork: { depth: 100000 }\nbackend: cpu\n`);
    expectUserError(run(['train', '--config', 'deep.yaml']), /deep\.yaml:2: network\.depth: Too big: expected number to be <=64/);
    writeFileSync(join(dir, 'huge.yaml'), `data: { file: ${csv}, descriptors: [CN] }\nnetwork: { hidden: 16384, depth: 64 }\nbackend: cpu\noutput: huge-run\n`);
    expectUserError(run(['train', '--config', 'huge.yaml']), /network: training would need about \d+ GiB .* reduce network\.hidden, network\.depth or training\.batchSize/);
  });

  it('a continuous descriptor declared discrete is refused before training', () => {
    const ds = synthesizeXanes({ count: 60, points: 16, seed: 4 });
    writeSpectra(ds, join(dir, 'synth.csv'));
    writeFileSync(join(dir, 'disc.yaml'), `data: { file: synth.csv, descriptors: [OS, CN, BL], discrete: [BL] }\nnetwork: { nStyle: 3, hidden: 8, depth: 2 }\ntraining: { epochs: 1 }\nbackend: cpu\noutput: disc-run\n`);
    expectUserError(run(['train', '--config', 'disc.yaml']), /data\.discrete: descriptor "BL" is declared discrete but takes more than 20 distinct values/);
  });

  it('baseline on 2 spectra or on a descriptor without labels', () => {
    writeFileSync(join(dir, 'two.csv'), csvBytes.toString().split('\n').slice(0, 3).join('\n') + '\n');
    expectUserError(run(['baseline', '--method', 'pca', '--data', 'two.csv', '--out', 'b2']), /scoring an embedding needs at least 3 spectra, .*found 2|needs at least 3 spectra/);
    const lines = csvBytes.toString().trim().split('\n');
    writeFileSync(join(dir, 'nan.csv'), [lines[0], ...lines.slice(1).map((l) => l.replace(/^([^,]*),[^,]*,/, '$1,,'))].join('\n') + '\n');
    expectUserError(run(['baseline', '--method', 'pca', '--data', 'nan.csv', '--out', 'b3']), /descriptor "CN" has 0 labelled spectra of 30/);
  });

  it('an .arrow file with bytes 8-15 set to 0xff: an error within seconds, not an endless loop', () => {
    writeSpectra(synthesizeXanes({ count: 20, points: 16, seed: 1 }), join(dir, 'ok.arrow'));
    const b = readFileSync(join(dir, 'ok.arrow'));
    b.fill(0xff, 8, 16);
    writeFileSync(join(dir, 'bad.arrow'), b);
    expectUserError(run(['data', 'inspect', 'bad.arrow']), /bad\.arrow: not a readable Arrow IPC/);
  });
});
