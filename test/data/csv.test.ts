import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readReferenceCsv, writeReferenceCsv } from '../../src/data/formats/reference-csv.js';
import { readLongCsv } from '../../src/data/formats/long-csv.js';
import { float32Text, parseNumberBytes } from '../../src/data/formats/csv-table.js';
import { loadSpectra } from '../../src/data/load.js';
import { pickReader } from '../../src/data/formats/index.js';
import { Rng } from '../../src/util/random.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { tempFiles, userErrorOf } from './helpers.js';

const { dir, file } = tempFiles();

const GOOD = [
  'name,AUX_CN,AUX_OS,ENE_7100,ENE_7100.5,ENE_7101',
  'a,4,2.5,0.1,0.2,0.3',
  '"b, quoted",6,,1e-2,-2.5E+1,7',
  'c,5,3,0,0.5,1',
].join('\n');

describe('reference CSV reader', () => {
  it('reads ids, AUX_ descriptors and ENE_ spectra', () => {
    const ds = readReferenceCsv(file('good.csv', GOOD + '\n'));
    expect(ds.n).toBe(3);
    expect(ds.m).toBe(3);
    expect(Array.from(ds.energies)).toEqual([7100, 7100.5, 7101]);
    expect(ds.ids).toEqual(['a', 'b, quoted', 'c']);
    expect(ds.descriptorNames).toEqual(['CN', 'OS']);
    expect(Array.from(ds.descriptors)).toEqual([4, 2.5, 6, NaN, 5, 3]);
    expect(Array.from(ds.spectra)).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3, 0.01, -25, 7, 0, 0.5, 1])));
  });

  it('accepts CRLF, a byte-order mark, comment and blank lines, and no id column', () => {
    const text = '\uFEFF# made by hand\r\nAUX_CN,ENE_1,ENE_2\r\n4, 1 ,2\r\n\r\n   \n6,3,4\r\n';
    const ds = readReferenceCsv(file('crlf.csv', text));
    expect(ds.n).toBe(2);
    expect(ds.ids).toEqual(['0', '1']);
    expect(Array.from(ds.spectra)).toEqual([1, 2, 3, 4]);
  });

  it('reads explicitly named descriptor columns without the AUX_ prefix', () => {
    const p = file('plain.csv', 'id,CN,note,ENE_1,ENE_2\nx,4,hello,1,2\ny,6,bye,3,4\n');
    const ds = readReferenceCsv(p, { descriptorColumns: ['CN'] });
    expect(ds.descriptorNames).toEqual(['CN']);
    expect(Array.from(ds.descriptors)).toEqual([4, 6]);
    expect(ds.ids).toEqual(['x', 'y']);
  });

  it('round-trips through writeReferenceCsv losslessly', () => {
    const ds = synthesizeXanes({ count: 40, points: 32, seed: 3 });
    const p = join(dir, 'rt.csv');
    writeReferenceCsv(ds, p);
    const back = readReferenceCsv(p);
    expect(back.ids).toEqual(ds.ids);
    expect(back.descriptorNames).toEqual(ds.descriptorNames);
    expect(Array.from(back.energies)).toEqual(Array.from(ds.energies));
    expect(Array.from(back.descriptors)).toEqual(Array.from(ds.descriptors));
    expect(Array.from(back.spectra)).toEqual(Array.from(ds.spectra));
  });

  const broken: [string, string, RegExp][] = [
    ['ragged-short.csv', 'id,ENE_1,ENE_2\na,1,2\nb,1\n', /ragged-short\.csv:3:\d+: expected 3 fields .* found 2/],
    ['ragged-long.csv', 'id,ENE_1,ENE_2\na,1,2,3\n', /ragged-long\.csv:2:7: expected 3 fields .* found 4/],
    ['empty-field.csv', 'id,ENE_1,ENE_2\na,1,\n', /empty-field\.csv:2:\d+: column "ENE_2": expected a finite number, found an empty field/],
    ['nan.csv', 'id,ENE_1,ENE_2\na,NaN,2\n', /nan\.csv:2:3: column "ENE_1": .*non-finite value "NaN"/],
    ['inf.csv', 'id,ENE_1,ENE_2\na,1,-inf\n', /inf\.csv:2:5: column "ENE_2": .*non-finite value "-inf"/],
    ['text.csv', 'id,ENE_1,ENE_2\na,1,2\nb,1,abc\n', /text\.csv:3:5: column "ENE_2": expected a finite number, found "abc"/],
    ['order.csv', 'id,ENE_2,ENE_1\na,1,2\n', /order\.csv:1:10: .*column "ENE_1" \(1\) follows "ENE_2"/],
    ['dup.csv', 'id,ENE_1,ENE_1\na,1,2\n', /dup\.csv:1:10: duplicate column name "ENE_1"/],
    ['header-only.csv', 'id,ENE_1,ENE_2\n', /header-only\.csv: no data rows/],
    ['empty.csv', '', /empty\.csv: empty file/],
    ['no-energy.csv', 'id,a,b\nx,1,2\n', /no-energy\.csv:1: no spectrum columns/],
    ['bad-label.csv', 'id,AUX_CN,ENE_1,ENE_2\na,four,1,2\n', /bad-label\.csv:2:3: descriptor column "AUX_CN": .*found "four"/],
    ['bad-energy.csv', 'id,ENE_x,ENE_2\na,1,2\n', /bad-energy\.csv:1:4: column "ENE_x"/],
    ['quote.csv', 'id,ENE_1,ENE_2\n"a,1,2\n', /quote\.csv:2:\d+: unterminated quoted field/],
  ];
  for (const [name, text, pattern] of broken) {
    it(`rejects ${name} with file:line:column`, async () => {
      const msg = await userErrorOf(() => readReferenceCsv(file(name, text)));
      expect(msg).toMatch(pattern);
    });
  }

  it('rejects a missing file', async () => {
    expect(await userErrorOf(() => readReferenceCsv(join(dir, 'nope.csv')))).toMatch(/nope\.csv: file not found/);
  });

  it('lists the available descriptors when an unknown one is requested', async () => {
    const msg = await userErrorOf(() => loadSpectra(file('sel.csv', GOOD), { descriptors: ['CN', 'BL'] }));
    expect(msg).toMatch(/sel\.csv: unknown descriptor "BL" \(available: CN, OS\)/);
  });

  it('keeps requested descriptors in the requested order', async () => {
    const { dataset } = await loadSpectra(file('sel2.csv', GOOD), { descriptors: ['OS', 'CN'] });
    expect(dataset.descriptorNames).toEqual(['OS', 'CN']);
    expect(Array.from(dataset.descriptors.subarray(0, 2))).toEqual([2.5, 4]);
  });

  it('rejects a wrong field count in a large file at the right line', async () => {
    const lines = ['id,' + Array.from({ length: 50 }, (_, j) => `ENE_${j}`).join(',')];
    for (let i = 0; i < 2000; i++) lines.push(`r${i},` + Array.from({ length: 50 }, (_, j) => (i * j) % 7).join(','));
    lines[1501] = lines[1501].replace(/,\d+$/, '');
    const msg = await userErrorOf(() => readReferenceCsv(file('big.csv', lines.join('\n'))));
    expect(msg).toMatch(/big\.csv:1502:\d+: expected 51 fields/);
  });
});

describe('long CSV reader', () => {
  it('reads label columns and an energy header', () => {
    const p = file('long.csv', 'sample,CN,OS,7100,7100.5,7101\na,4,2,1,2,3\nb,6,NaN,4,5,6\n');
    const ds = readLongCsv(p);
    expect(ds.ids).toEqual(['a', 'b']);
    expect(ds.descriptorNames).toEqual(['CN', 'OS']);
    expect(Array.from(ds.descriptors)).toEqual([4, 2, 6, NaN]);
    expect(Array.from(ds.energies)).toEqual([7100, 7100.5, 7101]);
    expect(Array.from(ds.spectra)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pickReader(p).name).toBe('long-csv');
  });

  it('accepts a header of energies only, and descriptorColumns to ignore text labels', () => {
    expect(readLongCsv(file('bare.csv', '1,2,3\n4,5,6\n')).descriptorNames).toEqual([]);
    const ds = readLongCsv(file('sel.csv', 'name,note,CN,1,2\na,x,4,1,2\n'), { descriptorColumns: ['CN'] });
    expect(ds.descriptorNames).toEqual(['CN']);
  });

  it('names the offending energy column and bad cells', async () => {
    expect(await userErrorOf(() => readLongCsv(file('lo.csv', 'id,1,3,2\na,1,2,3\n')))).toMatch(/lo\.csv:1:8: .*column "2" follows "3"/);
    expect(await userErrorOf(() => readLongCsv(file('lt.csv', 'id,1,2,x\na,1,2,3\n')))).toMatch(/lt\.csv:1:8: header cell "x"/);
    expect(await userErrorOf(() => readLongCsv(file('lv.csv', 'id,1,2\na,1,oops\n')))).toMatch(/lv\.csv:2:5: column "2": expected a finite number, found "oops"/);
    expect(await userErrorOf(() => readLongCsv(file('ln.csv', 'id,x,y\na,1,2\n')))).toMatch(/ln\.csv:1: no energy columns/);
  });
});

describe('number parser', () => {
  it('agrees with Number() bit for bit on random decimal text', () => {
    const rng = new Rng(11);
    const enc = new TextEncoder();
    for (let t = 0; t < 20000; t++) {
      const v = (rng.uniform() - 0.5) * 10 ** (rng.int(40) - 20);
      const forms = [String(v), v.toFixed(rng.int(12)), v.toExponential(rng.int(17)), v.toPrecision(1 + rng.int(20))];
      for (const s of forms) {
        const b = enc.encode(s);
        expect(parseNumberBytes(b, 0, b.length)).toBe(Number(s));
      }
    }
  });

  it('rejects what is not a finite decimal number', () => {
    const enc = new TextEncoder();
    for (const s of ['', ' ', 'abc', '1.2.3', '1e', '--1', 'NaN', 'inf', '0x10', '1,5', '1e999']) {
      const b = enc.encode(s);
      expect(parseNumberBytes(b, 0, b.length)).toBeNaN();
    }
  });

  it('writes float32 values as the shortest text that reads back to the same float32', () => {
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(Math.fround(7123.25))).toBe('7123.25');
    expect(float32Text(Math.fround(-1.5e-7))).toBe('-1.5e-7');
    const rng = new Rng(5);
    for (let t = 0; t < 20000; t++) {
      const v = Math.fround((rng.uniform() - 0.5) * 10 ** (rng.int(16) - 8));
      const s = float32Text(v);
      expect(Math.fround(Number(s))).toBe(v);
      // No shorter precision would do.
      const digits = Number(v.toPrecision(Math.max(1, s.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length - 1)));
      expect(Math.fround(digits) === v && String(digits).length < s.length).toBe(false);
    }
  });
});
