import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSpectra } from '../../src/data/formats/index.js';
import { fitPreprocess, readOneSpectrum } from '../../src/data/preprocess/fit.js';
import { IDENTITY_PREPROCESS, changesSpectra } from '../../src/data/preprocess/pipeline.js';
import { PreprocessSchema } from '../../src/data/preprocess/schema.js';

/**
 * The reference spectrum of an energy calibration is one spectrum of a
 * file: picked by id, or the only one; anything else is refused naming the
 * ids. A config without `preprocess` stores the identity pipeline.
 */
const dir = mkdtempSync(join(tmpdir(), 'xlatent-preprocess-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const energies = Float64Array.from([7100, 7101, 7103]);
function file(name: string, rows: number[][], ids: string[]): string {
  const p = join(dir, name);
  writeSpectra({ energies, spectra: Float32Array.from(rows.flat()), n: rows.length, m: 3, ids, descriptorNames: [], descriptors: new Float64Array(0), axis: 'energy' }, p);
  return p;
}

describe('readOneSpectrum', () => {
  const three = file('three.csv', [[1, 2, 3], [4, 5, 6], [7, 8, 9]], ['a', 'b', 'c']);
  const many = file('many.csv', Array.from({ length: 10 }, (_, i) => [i, i, i]), Array.from({ length: 10 }, (_, i) => `s${i}`));
  const one = file('one.csv', [[0.5, 1.5, 2.5]], ['only']);

  it('picks the spectrum with the id, with its own copy of the energies', async () => {
    const s = await readOneSpectrum(three, 'b');
    expect(s.id).toBe('b');
    expect(Array.from(s.mu)).toEqual([4, 5, 6]);
    expect(Array.from(s.energy)).toEqual([7100, 7101, 7103]);
    expect((await readOneSpectrum(three, 'c')).mu[0]).toBe(7);
  });

  it('takes the only spectrum of a file without an id', async () => {
    const s = await readOneSpectrum(one);
    expect(s).toMatchObject({ id: 'only' });
    expect(Array.from(s.mu)).toEqual([0.5, 1.5, 2.5]);
  });

  it('refuses a missing id and a file of several spectra without an id, listing up to 8 ids', async () => {
    await expect(readOneSpectrum(three, 'z')).rejects.toThrow(/three\.csv: no spectrum "z" \(ids: a, b, c\)$/);
    await expect(readOneSpectrum(three)).rejects.toThrow(/three\.csv: holds 3 spectra; name the reference with an id \(ids: a, b, c\)$/);
    await expect(readOneSpectrum(many)).rejects.toThrow(/holds 10 spectra; name the reference with an id \(ids: s0, s1, s2, s3, s4, s5, s6, s7, \.\.\.\)$/);
    await expect(readOneSpectrum(many, 'x')).rejects.toThrow(/no spectrum "x" \(ids: s0, s1, s2, s3, s4, s5, s6, s7, \.\.\.\)$/);
  });
});

describe('fitPreprocess without a reference', () => {
  it('no section: a fresh copy of the identity pipeline, which changes no spectrum', async () => {
    const p = await fitPreprocess(undefined);
    expect(p).toEqual(IDENTITY_PREPROCESS);
    expect(p).not.toBe(IDENTITY_PREPROCESS);
    expect(p.shift).not.toBe(IDENTITY_PREPROCESS.shift);
    p.shift.measured = 3; // the frozen identity is untouched
    expect(IDENTITY_PREPROCESS.shift.measured).toBe(0);
    for (const role of ['calculated', 'measured'] as const) expect(changesSpectra(await fitPreprocess(undefined), role)).toBe(false);
  });

  it('a given measured shift is stored as given; none as none', async () => {
    const given = await fitPreprocess(PreprocessSchema.parse({ calibrate: { calculatedShift: 1.5, measuredShift: -2 } }));
    expect(given).toMatchObject({ shift: { calculated: 1.5, measured: -2 }, measuredShiftSource: 'given', reference: null, shiftFit: null });
    const none = await fitPreprocess(PreprocessSchema.parse({ broaden: [{ kind: 'gaussian', fwhm: 1 }] }));
    expect(none).toMatchObject({ shift: { calculated: 0, measured: 0 }, measuredShiftSource: 'none' });
    // Broadening changes calculated spectra only; a shift changes its own role.
    expect(changesSpectra(none, 'calculated')).toBe(true);
    expect(changesSpectra(none, 'measured')).toBe(false);
    expect(changesSpectra(given, 'measured')).toBe(true);
    expect(changesSpectra(none, 'measured', 1)).toBe(true);
  });
});
