import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { writeSpectra } from '../../src/data/formats/index.js';
import { openReferenceCsv, readReferenceCsv, streamReferenceCsv, summarizeNames, writeReferenceCsv } from '../../src/data/formats/reference-csv.js';
import { openLongCsv, readLongCsv, streamLongCsv } from '../../src/data/formats/long-csv.js';
import { csvField, csvTextValue, describeBadNumber, fixedText, parseNumberBytes } from '../../src/data/formats/csv-table.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { tempFiles, userErrorOf } from './helpers.js';

const { dir, file } = tempFiles();

const num = (s: string) => {
  const b = Buffer.from(s);
  return parseNumberBytes(b, 0, b.length);
};

describe('CSV tokenizer', () => {
  it('reads tab- and semicolon-separated files (commas in the header win over both)', () => {
    const tab = readReferenceCsv(file('tab.tsv', 'id\tAUX_CN\tENE_1\tENE_2\na\t4\t1,5\t2\n'.replace('1,5', '1.5')));
    expect(tab.ids).toEqual(['a']);
    expect(Array.from(tab.spectra)).toEqual([1.5, 2]);
    expect(Array.from(tab.descriptors)).toEqual([4]);
    const semi = readLongCsv(file('semi.csv', 'name;CN;7100;7101\na;4;0.5;1\nb;;2;3\n'));
    expect(semi.ids).toEqual(['a', 'b']);
    expect(Array.from(semi.energies)).toEqual([7100, 7101]);
    expect(Array.from(semi.descriptors)).toEqual([4, NaN]);
    expect(Array.from(semi.spectra)).toEqual([0.5, 1, 2, 3]);
    // a name with a semicolon in a comma file stays one cell
    const both = readReferenceCsv(file('both.csv', 'id;x,ENE_1\na;b,1\n'));
    expect(both.ids).toEqual(['a;b']);
    // a tab in a semicolon header: tab wins
    const tabSemi = readReferenceCsv(file('tabsemi.tsv', 'id;x\tENE_1\na;b\t1\n'));
    expect(tabSemi.ids).toEqual(['a;b']);
  });

  it('finds the delimiter on the header line, past comment and blank lines (which may hold commas)', () => {
    const semi = readLongCsv(file('semi-comment.csv', '# made by a, b and c\r\n\r\n\nname;7100;7101;7102\na;1;2;3\n'));
    expect(semi.ids).toEqual(['a']);
    expect(Array.from(semi.energies)).toEqual([7100, 7101, 7102]);
    const tab = readReferenceCsv(file('tab-comment.tsv', '\uFEFF#\n\nid\tENE_1\tENE_2\na\t1\t2\n'), { blockBytes: 2 });
    expect(Array.from(tab.spectra)).toEqual([1, 2]);
    // a file of comments only is still an empty file
    expect(() => readReferenceCsv(file('comments.tsv', '# a\tb\n#'), { blockBytes: 3 })).toThrow(/comments\.tsv: empty file/);
  });

  it('keeps quotes inside an unquoted field, and sniffs a header that ends the file without a line break', async () => {
    const ds = readReferenceCsv(file('inner.csv', 'id,ENE_1\na""b,1\nc"d,2\n'));
    expect(ds.ids).toEqual(['a""b', 'c"d']);
    const p = file('hdr-eof.tsv', 'id\tENE_1');
    expect(await userErrorOf(() => readReferenceCsv(p))).toBe(`${p}: no data rows after the header (empty dataset)`);
  });

  it('a comma in the header makes commas the delimiter, whatever else it holds; a one-column header too', async () => {
    expect(readReferenceCsv(file('comma-tab.csv', 'id\tx,ENE_1\na\tb,1\n')).ids).toEqual(['a\tb']);
    const one = file('one-col.csv', '7100\n1,5\n');
    expect(await userErrorOf(() => readLongCsv(one))).toBe(`${one}:2:3: expected 1 fields (as in the header), found 2`);
    // a short row whose first field is blank is still a short row, not a blank line
    const blankFirst = file('blank-first.csv', 'id,ENE_1,ENE_2\n ,1\n');
    expect(await userErrorOf(() => readReferenceCsv(blankFirst))).toBe(`${blankFirst}:2:4: expected 3 fields (as in the header), found 2`);
  });

  it('reads quoted numbers and a quoted last field, and unescapes doubled quotes in ids', () => {
    const ds = readReferenceCsv(file('q.csv', 'id,ENE_1,ENE_2\n"a ""x""","1.5","2"\r\n"b",3,"4"'));
    expect(ds.ids).toEqual(['a "x"', 'b']);
    expect(Array.from(ds.spectra)).toEqual([1.5, 2, 3, 4]);
  });

  it('a header cell starting with a full-width character is not taken for a byte-order mark', () => {
    // U+FF3F is EF BC BF, U+FEC0 is EF BB 80, U+1EFF is E1 BB BF: each shares two of the BOM's three bytes
    for (const ch of ['\uff3f', '\ufec0', '\u1eff']) {
      const ds = readReferenceCsv(file('fw.csv', `${ch}id,ENE_1\na,1\n`));
      expect(ds.ids).toEqual(['a']);
      expect(readLongCsv(file('fw-long.csv', `${ch}x,1,2\n4,1,2\n`)).descriptorNames).toEqual([`${ch}x`]);
    }
    expect(readLongCsv(file('bom-long.csv', '\ufeffx,1,2\n4,1,2\n')).descriptorNames).toEqual(['x']);
    // a byte-order mark alone is an empty file
    expect(() => readReferenceCsv(file('bom-only.csv', '\ufeff'))).toThrow(/bom-only\.csv: empty file \(expected a header line\)$/);
  });

  it('reads more than 64 fields per record', () => {
    const m = 100;
    // the header's first fields are quoted with doubled quotes: their unescaping survives the growth of the field arrays
    const header = ['"i""d"', '"AUX_C""N"', ...Array.from({ length: m }, (_, j) => `ENE_${j}`)].join(',');
    const row = (i: number) => [`"r""${i}"`, i, ...Array.from({ length: m }, (_, j) => i * 1000 + j)].join(',');
    const ds = readReferenceCsv(file('wide.csv', [header, row(0), row(1)].join('\n')));
    expect(ds.descriptorNames).toEqual(['C"N']);
    expect(Array.from(ds.descriptors)).toEqual([0, 1]);
    expect(ds.m).toBe(m);
    expect(ds.spectra[m - 1]).toBe(99);
    expect(ds.spectra[2 * m - 1]).toBe(1099);
    expect(ds.ids).toEqual(['r"0', 'r"1']);
  });

  it('names line and column of quoting errors and ragged rows exactly', async () => {
    const cases: [string, string, string][] = [
      // the closing quote is followed by "x" at column 5
      ['after.csv', 'id,ENE_1\n"ab"x,1\n', ':2:5: unexpected character after a closing quote (expected a delimiter or the end of the line)'],
      ['after2.csv', 'id,ENE_1\na,"1" \n', ':2:6: unexpected character after a closing quote (expected a delimiter or the end of the line)'],
      // the opening quote is at column 3 of line 3
      ['open.csv', 'id,ENE_1\na,1\nb,"2\n', ':3:3: unterminated quoted field (expected a closing ")'],
      // one field short: the line ends after "1", column 4
      ['short.csv', 'id,ENE_1,ENE_2\nab,1\n', ':2:5: expected 3 fields (as in the header), found 2'],
      // one field too many: the 4th field starts at column 8
      ['long.csv', 'id,ENE_1,ENE_2\nab,1,2,3\n', ':2:8: expected 3 fields (as in the header), found 4'],
      ['dupname.csv', 'id,ENE_1,x, x \na,1,2,3\n', ':1:12: duplicate column name "x" (columns 3 and 4); every column needs its own name'],
      ['empty.csv', '\n# only comments\n\n', ': empty file (expected a header line)'],
      ['headeronly.csv', 'id,ENE_1\n\n# nothing\n', ': no data rows after the header (empty dataset)'],
    ];
    for (const [name, text, want] of cases) {
      expect(await userErrorOf(() => readReferenceCsv(file(name, text)))).toBe(join(dir, name) + want);
    }
  });

  it('counts blank, whitespace-only, CRLF and comment lines in error line numbers, at every block size', async () => {
    const p = file('blank-lines.csv', 'id,ENE_1\n\na,1\r\n\r\n# note\n  \n\nb,x\n');
    for (const blockBytes of [1, 2, 5, 1 << 20]) {
      expect(await userErrorOf(() => readReferenceCsv(p, { blockBytes }))).toBe(`${p}:8:3: column "ENE_1": expected a finite number, found "x"`);
    }
  });

  it('opening a CSV reads its header, not the whole file', () => {
    const rows = Array.from({ length: 500 }, (_, i) => `r${i},${i},${i}`);
    const p = file('big-open.csv', ['# comment', '', 'id,ENE_1,ENE_2', ...rows].join('\n') + '\n');
    const opened = openReferenceCsv(p, { blockBytes: 16 });
    try {
      expect(opened.scanner.buf.length).toBeLessThan(64);
      expect(opened.layout.names).toEqual(['id', 'ENE_1', 'ENE_2']);
    } finally {
      opened.source.close();
    }
  });

  it('a quoted field spanning lines moves the line count on, for the rows after it', async () => {
    const p = file('multi.csv', 'id,ENE_1\n"a\nb\nc",1\nd,x\n');
    expect(await userErrorOf(() => readReferenceCsv(p))).toBe(`${p}:5:3: column "ENE_1": expected a finite number, found "x"`);
    // and a quoted field with a line break as the spectrum value is text, not a number
    const q = file('multi2.csv', 'id,ENE_1\na,"1\n2"\n');
    expect(await userErrorOf(() => readReferenceCsv(q))).toBe(`${q}:2:4: column "ENE_1": expected a finite number, found "1\\n2"`);
    // a doubled quote inside a numeric field is not a number either
    const r = file('esc.csv', 'id,ENE_1\na,"1""5"\n');
    expect(await userErrorOf(() => readReferenceCsv(r))).toBe(`${r}:2:4: column "ENE_1": expected a finite number, found "1"5"`);
  });

  it('refuses a spectrum value beyond the float32 range instead of storing Infinity; labels keep float64', async () => {
    const p = file('huge.csv', 'id,AUX_X,ENE_1,ENE_2\na,1e300,1,2\nb,1,3.4e38, 1e39 \n');
    expect(await userErrorOf(() => readReferenceCsv(p))).toBe(
      `${p}:3:12: column "ENE_2": expected a number within the float32 range of spectra (magnitude below 3.4e38), found "1e39"`,
    );
    const ok = readReferenceCsv(file('fits.csv', 'id,AUX_X,ENE_1,ENE_2\na,1e300,3.4e38,-3.4e38\n'));
    expect(Array.from(ok.spectra)).toEqual([Math.fround(3.4e38), Math.fround(-3.4e38)]);
    expect(Array.from(ok.descriptors)).toEqual([1e300]);
  });

  it('treats NaN-like words in descriptor columns as missing labels, case-insensitively', () => {
    const words = ['', 'nan', 'NaN', 'NA', 'n/a', 'N/A', 'null', 'NULL', 'none', 'None', ' na '];
    const text = ['id,AUX_CN,ENE_1', ...words.map((w, i) => `r${i},${w},1`), 'last,7,1'].join('\n');
    const ds = readReferenceCsv(file('missing.csv', text));
    expect(Array.from(ds.descriptors)).toEqual([...words.map(() => NaN), 7]);
  });

  it('says what a bad descriptor or spectrum cell holds', async () => {
    const p = file('bad-desc.csv', 'id,AUX_CN,ENE_1\na,inf,1\n');
    expect(await userErrorOf(() => readReferenceCsv(p))).toBe(
      `${p}:2:3: descriptor column "AUX_CN": expected a finite number or an empty field (missing label), found the non-finite value "inf"`,
    );
    const q = file('bad-desc2.csv', 'id,AUX_CN,ENE_1\na,"4""",1\n');
    expect(await userErrorOf(() => readReferenceCsv(q))).toMatch(/:2:4: descriptor column "AUX_CN": .*found "4""/);
    expect(describeBadNumber('   ')).toBe('found an empty field');
    expect(describeBadNumber(' -Infinity ')).toBe('found the non-finite value "-Infinity"');
    expect(describeBadNumber('+nan')).toBe('found the non-finite value "+nan"');
    expect(describeBadNumber('nanny')).toBe('found "nanny"');
    expect(describeBadNumber('1e999x')).toBe('found "1e999x"');
    expect(describeBadNumber('x-inf')).toBe('found "x-inf"');
  });
});

describe('CSV read a block at a time, tab-separated', () => {
  const text = [
    '\uFEFF# tab file\r',
    'id\tAUX_CN\tENE_1\tENE_2\r',
    '"a\tb"\t4\t1\t2\r',
    '   ',
    '',
    '"c ""q"" \r\n d"\t\t3\t"4"\r',
    '# trailing comment',
    'e\tNA\t5\t6',
  ].join('\n');

  it('every block size reads what the whole file reads (the delimiter is found on the whole header)', () => {
    const p = file('blocks.tsv', text);
    const whole = readReferenceCsv(p);
    expect(whole.ids).toEqual(['a\tb', 'c "q" \r\n d', 'e']);
    expect(Array.from(whole.spectra)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(whole.descriptors)).toEqual([4, NaN, NaN]);
    for (let blockBytes = 1; blockBytes <= 24; blockBytes++) {
      const ds = readReferenceCsv(p, { blockBytes });
      expect(ds.ids, `block ${blockBytes}`).toEqual(whole.ids);
      expect(Array.from(ds.spectra), `block ${blockBytes}`).toEqual(Array.from(whole.spectra));
      expect(Array.from(ds.descriptors), `block ${blockBytes}`).toEqual(Array.from(whole.descriptors));
    }
  });

  it('quoting errors keep their line and column at every block size', async () => {
    const bad = file('bad-blocks.csv', 'id,ENE_1\r\n"a""b"\r\n"c"d,1\r\n');
    const open = file('open-blocks.csv', 'id,ENE_1\r\na,1\r\nb,"2');
    for (const blockBytes of [1, 2, 3, 5, 8, 13, 1 << 20]) {
      expect(await userErrorOf(() => readReferenceCsv(bad, { blockBytes }))).toBe(`${bad}:2:6: expected 2 fields (as in the header), found 1`);
      expect(await userErrorOf(() => readReferenceCsv(open, { blockBytes }))).toBe(`${open}:3:3: unterminated quoted field (expected a closing ")`);
    }
    const after = file('after-blocks.csv', 'id,ENE_1\r\n"c"d,1\r\n');
    for (const blockBytes of [1, 2, 4, 1 << 20]) {
      expect(await userErrorOf(() => readReferenceCsv(after, { blockBytes }))).toBe(`${after}:2:4: unexpected character after a closing quote (expected a delimiter or the end of the line)`);
    }
  });

  it('streams a many-row file in chunks across blocks, whatever the block size', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `r${i},${i},${i + 0.5}`);
    const p = file('rows.csv', ['id,ENE_1,ENE_2', ...rows].join('\r\n') + '\r\n');
    for (const blockBytes of [7, 64, 1 << 20]) {
      const chunks = [...streamReferenceCsv(p, { blockBytes }, 16)];
      expect(chunks.map((c) => c.n)).toEqual([16, 16, 8]);
      expect(chunks.flatMap((c) => c.ids)).toEqual(rows.map((_, i) => `r${i}`));
      expect(chunks[2].spectra[15]).toBe(39.5);
    }
  });
});

describe('number parser edge cases', () => {
  it('reads signs, a bare point on either side, exponent forms and surrounding blanks', () => {
    const cases: [string, number][] = [
      ['7', 7], ['+7', 7], ['-7', -7], ['-0', -0], ['1.', 1], ['.5', 0.5], ['-.5', -0.5], ['007', 7], ['0.0', 0],
      ['1e5', 1e5], ['1E5', 1e5], ['1e+5', 1e5], ['1e-5', 1e-5], ['2.5E-3', 2.5e-3], [' \t 3.25 \t ', 3.25],
      ['0.000001234', 0.000001234], ['1e22', 1e22], ['1e23', 1e23], ['1e-22', 1e-22], ['1e-23', 1e-23],
      ['123456789012345', 123456789012345], ['1234567890123456', 1234567890123456], ['12345678901234567890', 12345678901234567890],
      ['0.1234567890123456789', 0.1234567890123456789], ['1e308', 1e308], ['-1e-320', -1e-320], ['9007199254740993', 9007199254740993],
    ];
    for (const [s, v] of cases) expect(num(s), s).toBe(v);
    for (const s of ['.', '+', '-', 'e5', '.e5', '1e+', '1e-', '1.5.', '1 2', '1e5.5', '1x', 'x1', '+-1', '--', '1e309', '-1e400', '\t', '1d5']) {
      expect(num(s), s).toBeNaN();
    }
  });

  it('parses a field inside a larger buffer without reading past its end', () => {
    const b = Buffer.from('12,345,6e2,');
    expect(parseNumberBytes(b, 0, 2)).toBe(12);
    expect(parseNumberBytes(b, 3, 6)).toBe(345);
    expect(parseNumberBytes(b, 7, 10)).toBe(600);
    expect(parseNumberBytes(b, 0, 1)).toBe(1);
    expect(parseNumberBytes(b, 3, 3)).toBeNaN();
    // digits right after the range are not read
    const d = Buffer.from('12345');
    expect(parseNumberBytes(d, 1, 3)).toBe(23);
    expect(parseNumberBytes(Buffer.from('1.55'), 0, 3)).toBe(1.5);
    expect(parseNumberBytes(Buffer.from('1e55'), 0, 3)).toBe(1e5);
    expect(parseNumberBytes(Buffer.from('-.5e37'), 0, 5)).toBe(-0.5e3);
    expect(parseNumberBytes(Buffer.from('7 8'), 0, 2)).toBe(7);
    expect(parseNumberBytes(Buffer.from('1.5'), 0, 2)).toBe(1);
    expect(parseNumberBytes(Buffer.from('1e5'), 0, 2)).toBeNaN();
  });
});

describe('reference CSV layout', () => {
  it('takes the id from an id-like name (any case), else the first other column; other columns are left out', () => {
    const a = readReferenceCsv(file('idlike.csv', ',note,Sample,ENE_1\n0,x,s1,1\n1,y,s2,2\n'));
    expect(a.ids).toEqual(['s1', 's2']);
    expect(a.descriptorNames).toEqual([]);
    const b = readReferenceCsv(file('pandas.csv', ',AUX_CN,ENE_1\n0,4,1\n1,5,2\n'));
    expect(b.ids).toEqual(['0', '1']);
    const c = readReferenceCsv(file('byname.csv', 'note,name,ENE_1\nx,a,1\ny,b,2\n'), { idColumn: 'note' });
    expect(c.ids).toEqual(['x', 'y']);
  });

  it('reads ids as written, dropping only the formula guard of the writer', () => {
    const ds = readReferenceCsv(file('guard.csv', "id,ENE_1\n'=x,1\n'-0.5,2\n'abc,3\n'@,4\n"));
    expect(ds.ids).toEqual(['=x', "'-0.5", "'abc", '@']);
  });

  it('explains bad option values and header cells', async () => {
    const text = 'id,note,AUX_CN,CN2,ENE_1,ENE_2\na,x,4,5,1,2\n';
    const p = file('opts.csv', text);
    expect(await userErrorOf(() => readReferenceCsv(p, { descriptorColumns: ['BL'] }))).toBe(
      `${p}:1: descriptor column "BL" not found (columns: "id", "note", "AUX_CN", "CN2", "ENE_1", "ENE_2")`,
    );
    expect(await userErrorOf(() => readReferenceCsv(p, { idColumn: 'CN2', descriptorColumns: ['CN2'] }))).toBe(
      `${p}:1: id column "CN2" not found among the non-spectrum, non-descriptor columns ("id", "note")`,
    );
    expect(await userErrorOf(() => readReferenceCsv(p, { idColumn: 'ENE_1' }))).toMatch(/id column "ENE_1" not found among/);
    expect(await userErrorOf(() => readReferenceCsv(p, { idColumn: 'nope' }))).toMatch(/id column "nope" not found among/);
    const only = file('only.csv', 'AUX_CN,ENE_1\n4,1\n');
    expect(await userErrorOf(() => readReferenceCsv(only, { idColumn: 'x' }))).toBe(
      `${only}:1: id column "x" not found among the non-spectrum, non-descriptor columns (none)`,
    );
    const twice = file('twice.csv', 'id,AUX_CN,CN,ENE_1\na,4,5,1\n');
    expect(await userErrorOf(() => readReferenceCsv(twice, { descriptorColumns: ['CN'] }))).toBe(`${twice}:1:11: descriptor "CN" appears twice (column "CN")`);
    const noname = file('noname.csv', 'id,AUX_,ENE_1\na,4,1\n');
    expect(await userErrorOf(() => readReferenceCsv(noname))).toBe(`${noname}:1:4: column "AUX_": expected AUX_<NAME> with a name`);
    const order = file('order2.csv', 'id,ENE_2,AUX_CN,ENE_2\na,1,4,2\n');
    expect(await userErrorOf(() => readReferenceCsv(order))).toBe(`${order}:1:17: duplicate column name "ENE_2" (columns 2 and 4); every column needs its own name`);
    const dec = file('dec.csv', 'id,ENE_2.5,AUX_CN,ENE_2.50\na,1,4,2\n');
    expect(await userErrorOf(() => readReferenceCsv(dec))).toBe(
      `${dec}:1:19: energies must increase strictly from left to right: column "ENE_2.50" (2.5) follows "ENE_2.5" (2.5)`,
    );
    const empty = file('emptyene.csv', 'id,ENE_,ENE_1\na,1,2\n');
    expect(await userErrorOf(() => readReferenceCsv(empty))).toBe(`${empty}:1:4: column "ENE_": expected ENE_<energy> with a numeric energy`);
    const none = file('none.csv', 'a,b,c,d,e,f,g,h,i,j\n1,2,3,4,5,6,7,8,9,10\n');
    expect(await userErrorOf(() => readReferenceCsv(none))).toBe(
      `${none}:1: no spectrum columns (expected ENE_<energy> columns; found "a", "b", "c", "d", "e", "f", "g", "h", ... (10 columns)). For a header that holds the energies themselves use the long-csv format.`,
    );
  });

  it('summarizes long column lists', () => {
    expect(summarizeNames(['a', 'b'])).toBe('"a", "b"');
    expect(summarizeNames(['a', 'b', 'c'], 2)).toBe('"a", "b", ... (3 columns)');
    expect(summarizeNames(['a', 'b'], 2)).toBe('"a", "b"');
    expect(summarizeNames([])).toBe('');
  });

  it('streams rows in chunks, numbering rows on from chunk to chunk without an id column', () => {
    const p = file('noid.csv', 'AUX_CN,ENE_1,ENE_2\n1,1,2\n2,3,4\n3,5,6\n');
    const chunks = [...streamReferenceCsv(p, {}, 2)];
    expect(chunks.map((c) => c.ids)).toEqual([['0', '1'], ['2']]);
    expect(chunks.map((c) => Array.from(c.spectra))).toEqual([[1, 2, 3, 4], [5, 6]]);
    expect(chunks.map((c) => Array.from(c.descriptors))).toEqual([[1, 2], [3]]);
    expect(chunks[1]).toMatchObject({ n: 1, m: 2, descriptorNames: ['CN'], axis: 'energy', source: p });
    // exactly a multiple of the chunk size: no empty chunk at the end
    expect([...streamReferenceCsv(p, {}, 3)].map((c) => c.n)).toEqual([3]);
    expect([...streamReferenceCsv(p, {}, 1)].map((c) => c.n)).toEqual([1, 1, 1]);
  });

  it('a header-only file is an empty dataset when streamed too', async () => {
    const p = file('hdr.csv', 'id,ENE_1\n');
    expect(await userErrorOf(() => [...streamReferenceCsv(p, {}, 4)])).toBe(`${p}: no data rows after the header (empty dataset)`);
    expect(await userErrorOf(() => [...streamLongCsv(file('hdr-long.csv', 'id,1,2\n'), {}, 4)])).toMatch(/hdr-long\.csv: no data rows after the header/);
  });
});

describe('opened CSV layouts', () => {
  it('describe the role of every column', () => {
    const ref = openReferenceCsv(file('roles.csv', 'note,AUX_CN,name,ENE_1,ENE_2\nx,4,a,1,2\n'));
    try {
      expect(ref.layout).toEqual({ names: ['note', 'AUX_CN', 'name', 'ENE_1', 'ENE_2'], roles: ['skip', 'descriptor', 'id', 'spectrum', 'spectrum'], idColumn: 2 });
      expect(ref.descriptorNames).toEqual(['CN']);
      expect(Array.from(ref.energies)).toEqual([1, 2]);
    } finally {
      ref.source.close();
    }
    const long = openLongCsv(file('roles-long.csv', 'note,CN,name,OS,7100,7101\nx,4,a,2,1,2\n'), { descriptorColumns: ['OS'] });
    try {
      expect(long.layout).toEqual({ names: ['note', 'CN', 'name', 'OS', '7100', '7101'], roles: ['skip', 'skip', 'id', 'descriptor', 'spectrum', 'spectrum'], idColumn: 2 });
      expect(long.descriptorNames).toEqual(['OS']);
      expect(Array.from(long.energies)).toEqual([7100, 7101]);
    } finally {
      long.source.close();
    }
    const first = openReferenceCsv(file('roles-first.csv', 'sample,ENE_1\na,1\n'));
    try {
      expect(first.layout).toEqual({ names: ['sample', 'ENE_1'], roles: ['id', 'spectrum'], idColumn: 0 });
    } finally {
      first.source.close();
    }
    const none = openReferenceCsv(file('roles-none.csv', 'AUX_CN,ENE_1\n4,1\n'));
    try {
      expect(none.layout).toEqual({ names: ['AUX_CN', 'ENE_1'], roles: ['descriptor', 'spectrum'], idColumn: -1 });
    } finally {
      none.source.close();
    }
    const bare = openLongCsv(file('roles-bare.csv', 'CN,1,2\n4,1,2\n'));
    try {
      expect(bare.layout).toEqual({ names: ['CN', '1', '2'], roles: ['descriptor', 'spectrum', 'spectrum'], idColumn: -1 });
    } finally {
      bare.source.close();
    }
  });
});

describe('reference CSV writer', () => {
  const ds: SpectralDataset = {
    energies: Float64Array.from([7100, 7100.25]),
    spectra: Float32Array.from([0.123456, -0.0001, 1, 2]),
    n: 2,
    m: 2,
    ids: ['a,b', '=cmd'],
    descriptorNames: ['CN', 'O"S'],
    descriptors: Float64Array.from([4, NaN, 0.1, 2.5]),
  };

  it('writes fixed decimals when asked, without a "-0" artefact, and labels losslessly', () => {
    const p = join(dir, 'dec.csv');
    writeReferenceCsv(ds, p, { decimals: 3 });
    expect(readFileSync(p, 'utf8')).toBe('id,AUX_CN,"AUX_O""S",ENE_7100,ENE_7100.25\n"a,b",4,,0.123,0.000\n\'=cmd,0.1,2.5,1.000,2.000\n');
    writeReferenceCsv(ds, p, { decimals: 0 });
    expect(readFileSync(p, 'utf8').split('\n')[1]).toBe('"a,b",4,,0,0');
    writeReferenceCsv(ds, p);
    expect(readFileSync(p, 'utf8').split('\n')[1]).toBe('"a,b",4,,0.123456,-0.0001');
    const back = readReferenceCsv(p);
    expect(back.ids).toEqual(ds.ids);
    expect(back.descriptorNames).toEqual(ds.descriptorNames);
  });

  it('a write that fails part-way leaves the previous file as it was and no temporary file', async () => {
    const sub = join(dir, 'atomic');
    mkdirSync(sub, { recursive: true });
    for (const ext of ['csv', 'json', 'arrow']) {
      const p = join(sub, `out.${ext}`);
      writeFileSync(p, 'previous');
      const broken = { ...ds, ids: null as unknown as string[] };
      expect(() => writeSpectra(broken, p)).toThrow(TypeError);
      expect(readFileSync(p, 'utf8')).toBe('previous');
    }
    expect(readdirSync(sub).sort()).toEqual(['out.arrow', 'out.csv', 'out.json']);
  });

  it('refuses decimals outside 0..20 or not whole', async () => {
    for (const d of [-1, 21, 1.5, NaN]) {
      expect(await userErrorOf(() => writeReferenceCsv(ds, join(dir, 'bad.csv'), { decimals: d }))).toBe(`decimals must be an integer from 0 to 20, found ${d}`);
    }
    writeReferenceCsv(ds, join(dir, 'd20.csv'), { decimals: 20 });
    expect(readFileSync(join(dir, 'd20.csv'), 'utf8').split('\n')[2]).toMatch(/^'=cmd,0\.1,2\.5,1\.0{20},2\.0{20}$/);
  });

  it('fixedText drops the sign of a value that rounds to zero only', () => {
    expect(fixedText(-0.0001, 2)).toBe('0.00');
    expect(fixedText(-0, 0)).toBe('0');
    expect(fixedText(-0.006, 2)).toBe('-0.01');
    expect(fixedText(0.5, 1)).toBe('0.5');
  });

  it('csvTextValue undoes csvField for every guarded start, and leaves other quotes alone', () => {
    for (const s of ['=1+1', '+x', '-x', '@x', '\tx', '\rx', 'plain', "'quoted", '-0.5', '+3']) {
      const cell = csvField(s);
      const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;
      expect(csvTextValue(unquoted), s).toBe(s);
    }
    expect(csvTextValue("'+3")).toBe("'+3");
    expect(csvTextValue("'x")).toBe("'x");
    expect(csvTextValue("a'=b")).toBe("a'=b");
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('1e5')).toBe('1e5');
    expect(csvField('-1e')).toBe("'-1e");
    expect(csvField('-.')).toBe("'-.");
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('-.55')).toBe('-.55');
  });
});

describe('long CSV layout', () => {
  it('finds the id among label columns by name, any case, and reads the others as descriptors', () => {
    const ds = readLongCsv(file('ids.csv', 'CN,FileName,OS,1,2\n4,a,2,1,2\n6,b,3,3,4\n'));
    expect(ds.ids).toEqual(['a', 'b']);
    expect(ds.descriptorNames).toEqual(['CN', 'OS']);
    expect(Array.from(ds.descriptors)).toEqual([4, 2, 6, 3]);
    const noId = readLongCsv(file('noid-long.csv', 'CN,1,2\n4,1,2\n6,3,4\n'));
    expect(noId.ids).toEqual(['0', '1']);
    const byOption = readLongCsv(file('opt-long.csv', 'CN,name,1,2\n4,7,1,2\n'), { idColumn: 'CN' });
    expect(byOption.ids).toEqual(['4']);
    expect(byOption.descriptorNames).toEqual(['name']);
    expect(Array.from(byOption.descriptors)).toEqual([7]);
  });

  it('with descriptorColumns reads only those and skips the other labels', () => {
    const ds = readLongCsv(file('sel-long.csv', 'name,note,OS,CN,1,2\na,x,2,4,1,2\n'), { descriptorColumns: ['CN', 'OS'] });
    expect(ds.descriptorNames).toEqual(['OS', 'CN']);
    expect(Array.from(ds.descriptors)).toEqual([2, 4]);
    expect(ds.ids).toEqual(['a']);
  });

  it('explains bad options and energy headers', async () => {
    const p = file('opts-long.csv', 'name,CN,7100,7101\na,4,1,2\n');
    expect(await userErrorOf(() => readLongCsv(p, { descriptorColumns: ['OS'] }))).toBe(`${p}:1: descriptor column "OS" not found among the label columns ("name", "CN")`);
    expect(await userErrorOf(() => readLongCsv(p, { descriptorColumns: ['7100'] }))).toMatch(/descriptor column "7100" not found among the label columns/);
    expect(await userErrorOf(() => readLongCsv(p, { idColumn: 'id' }))).toBe(`${p}:1: id column "id" not found among the label columns ("name", "CN")`);
    const q = file('none-long.csv', 'name,CN\na,4\n');
    expect(await userErrorOf(() => readLongCsv(q))).toBe(
      `${q}:1: no energy columns: expected header cells after the labels to be energies (numbers), found "name", "CN". For ENE_<energy> headers use the reference csv format.`,
    );
    const eq = file('eq-long.csv', 'name,7100,7100.0\na,1,2\n');
    expect(await userErrorOf(() => readLongCsv(eq))).toBe(`${eq}:1:11: energies must increase strictly from left to right: column "7100.0" follows "7100"`);
    const gap = file('gap-long.csv', 'name,7100,,7102\na,1,2,3\n');
    expect(await userErrorOf(() => readLongCsv(gap))).toBe(`${gap}:1:11: header cell "": expected an energy (a number) like the cells before it`);
  });

  it('reads energies given with blanks, signs and exponents', () => {
    const ds = readLongCsv(file('fmt-long.csv', 'id, -1.5e1 ,"0",+2E0\na,1,2,3\n'));
    expect(Array.from(ds.energies)).toEqual([-15, 0, 2]);
    expect(ds.descriptorNames).toEqual([]);
  });
});

describe('CSV files are closed', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;

  it('after a good read, a rejected header, a bad row, and a stream left early', async () => {
    const good = file('fd-good.csv', 'id,ENE_1\na,1\nb,2\n');
    const badHeader = file('fd-header.csv', 'id,x\na,1\n');
    const badRow = file('fd-row.csv', 'id,ENE_1\na,x\n');
    const badLong = file('fd-long.csv', 'id,x\na,1\n');
    readReferenceCsv(good);
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      readReferenceCsv(good);
      await userErrorOf(() => readReferenceCsv(badHeader));
      await userErrorOf(() => readReferenceCsv(badRow));
      await userErrorOf(() => readLongCsv(badLong));
      await userErrorOf(() => [...streamReferenceCsv(badHeader, {}, 1)]);
      for (const chunk of streamReferenceCsv(good, {}, 1)) {
        expect(chunk.n).toBe(1);
        break;
      }
    }
    expect(openFds()).toBe(before);
  });
});

describe('CSV formula guard', () => {
  it('leaves every plain number alone and guards look-alikes', () => {
    for (const n of ['-.5', '-10.5', '+1E+5', '-12e10', '-1.', '+0', '-3.25e-12']) expect(csvField(n), n).toBe(n);
    for (const t of ['-1e', '-.', '--1', '-1e+', '-e5', '-1.2.3', '+1 ', '-1e5x', '@1']) expect(csvField(t), t).toBe(`'${t}`);
  });
});
