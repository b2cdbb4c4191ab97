import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir, writeModelDir } from '../../src/export/model-dir.js';
import { validateModelMetadata } from '../../src/export/metadata.js';
import { userErrorOf } from '../data/helpers.js';
import { resign } from '../export/helpers.js';
import { linearModel } from '../export/linear-model.js';

/**
 * A hostile model directory: metadata.json is re-signed after every edit
 * (its digest is a checksum, not a signature), so each refusal below comes
 * from the loader's own checks, not from a digest mismatch.
 */
const root = mkdtempSync(join(tmpdir(), 'xlatent-hostile-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const lm = linearModel(40, 3);
const original = join(root, 'model');
beforeAll(async () => {
  await writeModelDir(original, { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
});

let copies = 0;
function copy(): string {
  const dir = join(root, `m${copies++}`);
  cpSync(original, dir, { recursive: true });
  return dir;
}

/** Points the encoder's weight manifest at `paths` and re-signs. */
function manifestPaths(dir: string, paths: string[]): void {
  const p = join(dir, 'encoder', 'model.json');
  const mj = JSON.parse(readFileSync(p, 'utf8'));
  mj.weightsManifest[0].paths = paths;
  writeFileSync(p, JSON.stringify(mj));
  resign(dir);
}

describe('model loading refuses paths out of the model directory', () => {
  it('a weight path climbing out of the directory (the issue case), even with a re-signed metadata.json', async () => {
    const dir = copy();
    writeFileSync(join(root, 'secret.bin'), readFileSync(join(dir, 'encoder', 'weights.bin')));
    manifestPaths(dir, ['../../secret.bin']);
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/"\.\.\/\.\.\/secret\.bin" is not a plain relative path inside the model directory/);
  });

  it('absolute weight paths and backslashes', async () => {
    const dir = copy();
    manifestPaths(dir, [join(dir, 'encoder', 'weights.bin')]);
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/is not a plain relative path/);
    const dir2 = copy();
    manifestPaths(dir2, ['..\\weights.bin']);
    expect(await userErrorOf(() => readModelDir(dir2))).toMatch(/is not a plain relative path/);
  });

  it('a weight file that is a symbolic link leading outside', async () => {
    const dir = copy();
    const outside = join(root, 'outside.bin');
    writeFileSync(outside, readFileSync(join(dir, 'encoder', 'weights.bin')));
    unlinkSync(join(dir, 'encoder', 'weights.bin'));
    symlinkSync(outside, join(dir, 'encoder', 'weights.bin'));
    resign(dir);
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/weights\.bin: is a link leading outside the model directory/);
  });

  it('a weight file linked to /dev/zero is refused at once, never read', async () => {
    const dir = copy();
    unlinkSync(join(dir, 'decoder', 'weights.bin'));
    symlinkSync('/dev/zero', join(dir, 'decoder', 'weights.bin'));
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/link leading outside|device, pipe or socket/);
  });

  it('a listed file larger than the list says is refused before it is read', async () => {
    const dir = copy();
    appendFileSync(join(dir, 'encoder', 'weights.bin'), Buffer.alloc(1000));
    // metadata.json still says the old size (not re-signed): refused by size, before hashing
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/weights\.bin: file is \d+ bytes but .*metadata\.json says \d+/);
  });

  it('weight shards larger than the manifest describes, with a re-signed metadata.json', async () => {
    const dir = copy();
    appendFileSync(join(dir, 'encoder', 'weights.bin'), Buffer.alloc(1000));
    resign(dir);
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/encoder\/weights\.bin: file is 1\d{3} bytes, more than the \d+ that .*model\.json leaves for it/);
  });
});

describe('one metadata validation for every cross-field constraint', () => {
  it('a descriptor axis >= nStyle in a re-signed metadata.json is refused at load (not only by export)', async () => {
    const dir = copy();
    resign(dir, (m) => (m.descriptors[0].axis = 7));
    expect(await userErrorOf(() => readModelDir(dir))).toMatch(/field "descriptors\[0\]\.axis": descriptor "CN" is tied to axis 7 but nStyle is 3/);
  });

  it('two descriptors on one axis, calibration tables of different lengths, unsorted OOD table, grid stop off its step', async () => {
    const cases: [(m: Record<string, any>) => void, RegExp][] = [
      [(m) => (m.descriptors[1].axis = 0), /axis 0 is tied to both "CN" and "OS"/],
      [(m) => m.calibration[0].y.pop(), /field "calibration\[0\]\.y": \d+ values for \d+ knots/],
      [(m) => m.calibration[1].x.reverse(), /field "calibration\[1\]\.x": knots must increase strictly/],
      [(m) => (m.calibration[0].axis = 2), /calibrates "CN" on axis 2, but the descriptor is tied to axis 0/],
      [(m) => m.ood.sample.reverse(), /field "ood\.sample": the percentile table must be sorted ascending/],
      [(m) => (m.grid.stop += 3), /field "grid\.stop": .* does not match start \+ \(length - 1\) \* step/],
      [(m) => (m.normalization = { kind: 'standardize', mean: [0, 0], std: [1, 1] }), /field "normalization\.mean": 2 values for a 40-point grid/],
      [(m) => m.files.push({ ...m.files[0] }), /field "files\[\d\]\.path": "[^"]+" is listed twice/],
    ];
    for (const [edit, re] of cases) {
      const dir = copy();
      resign(dir, edit);
      expect(await userErrorOf(() => readModelDir(dir))).toMatch(re);
    }
  });

  it('writeModelDir runs the same validation before writing anything', async () => {
    const bad = { ...lm.metadata, descriptors: [{ name: 'CN', axis: 5, direction: 1 as const, discrete: true }] };
    expect(await userErrorOf(() => writeModelDir(join(root, 'never'), { encoder: lm.encoder, decoder: lm.decoder, metadata: bad }))).toMatch(/axis 5 but nStyle is 3|tied to axis 5/);
    expect(() => validateModelMetadata({ ...lm.metadata, nStyle: 3 } as never, 'm')).not.toThrow();
  });
});
