import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UserError, asUserError, quote } from '../../src/util/errors.js';
import { gunzipBounded } from '../../src/util/read-file.js';
import { parseJsonText } from '../../src/util/json-text.js';
import { readSpectra, streamSpectra, writeSpectra } from '../../src/data/formats/index.js';
import { readReferenceCsv, streamReferenceCsv } from '../../src/data/formats/reference-csv.js';
import { readLongCsv } from '../../src/data/formats/long-csv.js';
import { parseAthenaProject } from '../../src/data/formats/athena.js';
import { csvField } from '../../src/data/formats/csv-table.js';
import { loadConfigFile } from '../../src/config/load.js';
import { TrainConfigSchema } from '../../src/config/schema.js';
import { SummaryAccumulator, summarizeDataset } from '../../src/data/summary.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { AtomicFileWriter } from '../../src/util/atomic.js';
import { tempFiles, userErrorOf } from '../data/helpers.js';

const { file, dir } = tempFiles();

describe('messages quote at most ~80 characters of input, control bytes escaped', () => {
  it('quote() escapes escape sequences, NUL, line breaks and bidi overrides and cuts long text', () => {
    expect(quote('a\x1b[31mred\x07\0b')).toBe('"a\\x1b[31mred\\x07\\x00b"');
    expect(quote('two\nlines\r')).toBe('"two\\nlines\\r"');
    expect(quote('\u202eevil')).toBe('"\\u202eevil"');
    const long = quote('x'.repeat(10_000_000));
    expect(long.length).toBeLessThan(120);
    expect(long).toMatch(/^"x{80}\.\.\." \(10000000 characters\)$/);
  });

  it('a 10 MB cell with terminal escapes in a CSV gives a short, clean one-line error', async () => {
    const cell = '\x1b]0;pwned\x07\x1b[2J' + 'A'.repeat(10_000_000);
    const p = file('evil.csv', `id,ENE_1,ENE_2\na,${cell},2\n`);
    const msg = await userErrorOf(() => readReferenceCsv(p));
    expect(msg).toMatch(/evil\.csv:2:3: column "ENE_1": expected a finite number, found "\\x1b\]0;pwned\\x07\\x1b\[2J/);
    expect(msg.length).toBeLessThan(300);
    expect(msg).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it('every UserError is one terminal-safe line, whoever builds its message', () => {
    const e = new UserError('bad\nthing \x1b[0m', 'file\x07.csv');
    expect(e.message).toBe('file\\x07.csv: bad\\nthing \\x1b[0m');
    expect(new UserError('y'.repeat(50_000)).message.length).toBeLessThan(2100);
  });
});

describe('expected system failures become one-line user errors', () => {
  const sys = (code: string, syscall: string, path: string, dest?: string) => Object.assign(new Error(`${code}: x, ${syscall} '${path}'`), { code, syscall, path, dest });
  it('disk full, read-only file system, permission denied, a directory where a file belongs', () => {
    expect(asUserError(sys('ENOSPC', 'write', '/out/.emb.csv.123.abcdef01.tmp'))!.message).toBe('/out/emb.csv: no space left on device [ENOSPC (write)]');
    expect(asUserError(sys('EROFS', 'open', '/ro/x.csv'))!.message).toBe('/ro/x.csv: read-only file system [EROFS (open)]');
    expect(asUserError(sys('EACCES', 'rename', '/d/.a.csv.9.0badcafe.tmp', '/d/a.csv'))!.message).toBe('/d/a.csv: permission denied [EACCES (rename)]');
    expect(asUserError(sys('EISDIR', 'read', '/etc'))!.message).toMatch(/is a directory/);
  });
  it('allocation failures are memory limits; other errors stay bugs', () => {
    expect(asUserError(new RangeError('Array buffer allocation failed'))!.message).toMatch(/not enough memory/);
    expect(asUserError(Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), { code: 'ERR_STRING_TOO_LONG' }))!.message).toMatch(/not enough memory/);
    expect(asUserError(new TypeError('x is undefined'))).toBeUndefined();
    expect(asUserError(new RangeError('Invalid typed array length: -1'))).toBeUndefined();
  });
});

describe('silent acceptance at read time', () => {
  it('a Latin-1 header is an error naming line and column, not U+FFFD in a name', async () => {
    const p = file('latin1.csv', Buffer.concat([Buffer.from('id,AUX_'), Buffer.from([0xb5]), Buffer.from('m,ENE_1,ENE_2\na,1,2,3\n')]));
    expect(await userErrorOf(() => readReferenceCsv(p))).toMatch(/latin1\.csv:1:8: not valid UTF-8 \(byte 0xb5\).*iconv -f latin1/);
    const t = file('latin1.txt', Buffer.concat([Buffer.from('# energy \xb5\n'.replace('\xb5', '')), Buffer.from([0x23, 0x20, 0xe9, 0x0a]), Buffer.from('1 2\n2 3\n3 4\n')]));
    expect(await userErrorOf(() => readSpectra(t, 'columns'))).toMatch(/latin1\.txt:2:3: not valid UTF-8 \(byte 0xe9\)/);
  });

  it('duplicate JSON keys are errors naming the key, in data files and configs', async () => {
    const p = file('dup.json', '{"energies": [1, 2], "spectra": [[1, 2]],\n "descriptors": {"CN": [4], "CN": [6]}}');
    expect(await userErrorOf(() => readSpectra(p))).toMatch(/dup\.json:2:\d+: not valid JSON: duplicate key "CN" in one object/);
    const c = file('dup-config.json', '{"data": {"file": "a.csv", "descriptors": ["OS"]}, "seed": 1, "seed": 2}');
    expect(await userErrorOf(() => loadConfigFile(c, TrainConfigSchema))).toMatch(/dup-config\.json:1:\d+: not valid JSON: duplicate key "seed"/);
    const y = file('dup.yaml', 'seed: 1\nseed: 2\ndata: { file: a.csv, descriptors: [OS] }\n');
    expect(await userErrorOf(() => loadConfigFile(y, TrainConfigSchema))).toMatch(/dup\.yaml:2:\d+: not valid YAML \(Map keys must be unique/);
    // escapes spell the same key
    expect(() => parseJsonText('{"a": 1, "\\u0061": 2}', 'x')).toThrow(/duplicate key "a"/);
    expect(parseJsonText('[[[[[[[[[[1]]]]]]]]]]', 'x')).toEqual([[[[[[[[[[1]]]]]]]]]]);
    expect(() => parseJsonText('['.repeat(200_000), 'deep.json')).toThrow(/deep\.json:1:200001: not valid JSON: unexpected end/);
  });

  it('a YAML alias bomb is refused before it expands', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) lines.push(`${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9).fill(`*${'abcdefghij'[i - 1]}`).join(',')}]`);
    const p = file('bomb.yaml', lines.join('\n') + '\n');
    expect(await userErrorOf(() => loadConfigFile(p, TrainConfigSchema))).toMatch(/bomb\.yaml: YAML aliases \(\*name\) expand too far/);
  });

  it('absurd network sizes are config errors naming the key', async () => {
    const p = file('deep.yaml', 'data: { file: a.csv, descriptors: [OS] }\nnetwork: { depth: 100000 }\n');
    expect(await userErrorOf(() => loadConfigFile(p, TrainConfigSchema))).toMatch(/deep\.yaml:2: network\.depth: Too big: expected number to be <=64/);
    const q = file('wide.yaml', 'data: { file: a.csv, descriptors: [OS] }\nnetwork: { hidden: 100000000 }\n');
    expect(await userErrorOf(() => loadConfigFile(q, TrainConfigSchema))).toMatch(/network\.hidden: Too big/);
  });
});

describe('decompression bomb', () => {
  it('gzip input stops at the bound with a clear message', async () => {
    // 300 concatenated gzip members of 1 MiB of zeros: 300 MiB from a ~300 KB file, past the 256 MiB bound
    const member = gzipSync(Buffer.alloc(1 << 20));
    const bomb = Buffer.concat(Array(300).fill(member));
    expect(bomb.length).toBeLessThan(400_000);
    const p = file('bomb.prj', bomb);
    expect(await userErrorOf(() => readSpectra(p))).toMatch(/bomb\.prj: gzip data expands to more than 256 MiB \(from \d+ bytes compressed\); refusing it as a likely decompression bomb/);
    expect(() => gunzipBounded(gzipSync(Buffer.alloc(5000)), 'small.gz', 4096)).toThrow(/expands to more than 4096 bytes/);
    expect(gunzipBounded(gzipSync(Buffer.from('ok')), 'fine.gz', 4096).toString()).toBe('ok');
    // a truncated but harmless gzip is still reported as corrupt
    expect(() => parseAthenaProject(member.subarray(0, 20), 'cut.prj')).toThrow(/cut\.prj: gzip data is corrupt or truncated/);
  });
});

describe('only regular files are read', () => {
  it('a device or a named pipe as input is refused at once (no endless read, no blocking)', async () => {
    const dev = join(dir, 'zero.csv');
    symlinkSync('/dev/zero', dev);
    expect(await userErrorOf(() => readSpectra(dev, 'csv'))).toMatch(/zero\.csv: expected a file, found a device, pipe or socket/);
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    expect(existsSync(fifo)).toBe(true);
    expect(await userErrorOf(() => readSpectra(fifo, 'json'))).toMatch(/pipe\.json: expected a file, found a device, pipe or socket/);
  });
});

describe('CSV read a block at a time', () => {
  const text = [
    '# comment line',
    'id,AUX_CN,ENE_1,ENE_2,ENE_3',
    '"a, quoted\r\nid",4,0.1,0.2,0.3',
    'b,,1e-3,2,3',
    '',
    '# another comment',
    '"c ""q""",6,7,8,9\r',
    'd,5,1,2,3',
  ].join('\n');

  it('every block size, down to one byte, reads what the whole file reads (quoted newlines, CRLF, comments)', () => {
    const p = file('blocks.csv', text + '\n');
    const whole = readReferenceCsv(p);
    expect(whole.ids).toEqual(['a, quoted\r\nid', 'b', 'c "q"', 'd']);
    for (const blockBytes of [1, 2, 3, 5, 7, 13, 64]) {
      const ds = readReferenceCsv(p, { blockBytes });
      expect(ds.ids).toEqual(whole.ids);
      expect(Array.from(ds.spectra)).toEqual(Array.from(whole.spectra));
      expect(Array.from(ds.descriptors)).toEqual(Array.from(whole.descriptors));
    }
    const noEol = file('noeol.csv', text);
    expect(readReferenceCsv(noEol, { blockBytes: 4 }).ids).toEqual(whole.ids);
  });

  it('errors keep their line and column across blocks', async () => {
    const p = file('bad-late.csv', 'id,ENE_1,ENE_2\n' + Array.from({ length: 50 }, (_, i) => `r${i},1,2`).join('\n') + '\nr50,1,x\n');
    for (const blockBytes of [3, 17, 1 << 20]) {
      expect(await userErrorOf(() => readReferenceCsv(p, { blockBytes }))).toMatch(/bad-late\.csv:52:7: column "ENE_2": expected a finite number, found "x"/);
    }
    const l = file('long.csv', 'name,CN,1,2,3\na,4,1,2,3\nb,5,1,2\n');
    expect(await userErrorOf(() => readLongCsv(l, { blockBytes: 2 }))).toMatch(/long\.csv:3:\d+: expected 5 fields/);
  });

  it('streamed chunks hold the same rows as one read, and a streamed summary equals the whole one', async () => {
    const ds = synthesizeXanes({ count: 1000, points: 32, seed: 5 });
    const p = join(dir, 'many.csv');
    writeSpectra(ds, p);
    const whole = readReferenceCsv(p);
    const chunks = [...streamReferenceCsv(p, { blockBytes: 4096 }, 128)];
    expect(chunks.length).toBe(8);
    expect(chunks.flatMap((c) => c.ids)).toEqual(whole.ids);
    const acc = new SummaryAccumulator();
    for await (const c of streamSpectra(p, 'auto', {}, 100)) acc.add(c as typeof ds);
    const a = acc.result(p);
    const b = summarizeDataset(whole);
    expect(a.count).toBe(1000);
    expect(a.intensity).toEqual(b.intensity);
    a.descriptors.forEach((d, j) => {
      expect(d.mean).toBeCloseTo(b.descriptors[j].mean, 10);
      expect(d.std).toBeCloseTo(b.descriptors[j].std, 10);
      expect(d.levels).toEqual(b.descriptors[j].levels);
    });
    // Arrow streams by record batch slices too
    const arrow = join(dir, 'many.arrow');
    writeSpectra(ds, arrow);
    const ids: string[] = [];
    for await (const c of streamSpectra(arrow, 'auto', {}, 300)) ids.push(...(c as typeof ds).ids);
    expect(ids).toEqual(whole.ids);
  });

  it('writers hand the file pieces of about a megabyte, never the whole output as one string', () => {
    const ds = synthesizeXanes({ count: 3000, points: 128, seed: 1 });
    const sizes: number[] = [];
    const spy = vi.spyOn(AtomicFileWriter.prototype, 'write').mockImplementation(function (this: AtomicFileWriter, data: string | Uint8Array) {
      sizes.push(typeof data === 'string' ? data.length : data.byteLength);
    });
    try {
      for (const ext of ['csv', 'json', 'arrow']) {
        sizes.length = 0;
        writeSpectra(ds, join(dir, `pieces.${ext}`));
        expect(sizes.length).toBeGreaterThan(10);
        expect(Math.max(...sizes)).toBeLessThan(ext === 'arrow' ? 16384 * 128 * 4 + 1 : 1 << 20);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('CSV formula injection', () => {
  it('text cells starting with = + - @ tab or CR get a leading quote; numbers stay numbers', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+cmd')).toBe("'+cmd");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
    for (const n of ['-0.5', '+3', '-1e-3', '.5', '-7']) expect(csvField(n)).toBe(n);
    expect(csvField('plain id')).toBe('plain id');
  });

  it('data convert writes hostile ids escaped, and reads them back unchanged', async () => {
    const ds = synthesizeXanes({ count: 4, points: 8, seed: 2 });
    ds.ids = ['=cmd|\' /C calc\'!A0', '+1+1', '@x', '-0.5'];
    const p = join(dir, 'formula.csv');
    writeSpectra(ds, p);
    const lines = readFileSync(p, 'utf8').split('\n');
    expect(lines.slice(1, 5).map((l) => l.split(',')[0])).toEqual(["'=cmd|' /C calc'!A0", "'+1+1", "'@x", '-0.5']);
    expect((await readSpectra(p) as typeof ds).ids).toEqual(ds.ids);
  });
});
