import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { athenaFormat, parseAthenaProject, readAthenaFile } from '../../src/data/formats/athena.js';
import { normalizeXas } from '../../src/data/xas/normalize.js';
import { edge, put, range, tempDir } from './helpers.js';

function group(name: string, label: string, energy: number[], mu: number[], extra = ''): string {
  const q = (a: number[]) => a.map((v) => `'${v}'`).join(',');
  return [
    `$old_group = '${name}';`,
    `@args = ('bkg_e0','${energy[40]}','label','${label.replace(/'/g, "\\'")}','titles',[],'bkg_pre1','-150','bkg_nnorm',3,'bkg_eshift',${extra ? 1.5 : 0},'is_xmu',1,'provenance','C:\\\\data\\\\x.prj, record 1'${extra});`,
    `@x = (${q(energy)});`,
    `@y = (${q(mu)});`,
    `@i0 = (${q(energy.map(() => 1000))});`,
    '@signal = ();',
    '[record]   # create object and set arrays in ifeffit',
    '',
  ].join('\n');
}

function project(): { text: string; energy: number[] } {
  const energy = range(5300, 5800, 2);
  const a = group('abcde', "glass 'A' NNO+1", energy, edge(energy, 5480, 2.5));
  const b = group('fghij', 'glass B', energy, edge(energy, 5482, 0.4), ",'is_nor',0");
  const chi = `$old_group = 'kkkkk';\n@args = ('label','chi data','is_chi',1);\n@x = ('1','2','3');\n@y = ('0.1','0.2','0.3');\n[record]\n`;
  const tail = `\n@journal = ('note; with semicolon');\n%plot_features = ('e_norm' => 1, 'k_w' => '2');\n1;\n`;
  return { text: `# Athena project file -- Demeter version 0.9.26\n# This file created at 2024-01-01\n\n${a}${b}${chi}${tail}`, energy };
}

describe('Athena project reader', () => {
  it('reads two mu(E) groups from a gzip-compressed .prj, skipping chi(k)', () => {
    const { text, energy } = project();
    const dir = tempDir();
    const p = readAthenaFile(put(dir, 'glasses.prj', gzipSync(Buffer.from(text))));
    expect(p.spectra.map((s) => s.id)).toEqual(["glass 'A' NNO+1", 'glass B']);
    expect(p.skipped).toEqual(['chi data: chi(k) record']);
    const [a, b] = p.spectra;
    expect(a.group).toBe('abcde');
    expect(a.energy.length).toBe(energy.length);
    expect(a.args.provenance).toBe('C:\\data\\x.prj, record 1');
    expect(a.args.titles).toEqual([]);
    expect(a.i0?.[0]).toBe(1000);
    // Athena counts coefficients: bkg_nnorm 3 is a quadratic
    expect(a.athenaNormalization).toMatchObject({ pre1: -150, nnorm: 2 });
    // bkg_eshift is applied as Athena displays it
    expect(b.eshift).toBe(1.5);
    expect(b.energy[0]).toBe(5301.5);
    const r = normalizeXas(a.energy, a.mu);
    expect(Math.abs(r.edgeStep / 2.5 - 1)).toBeLessThan(2e-2);
    expect(Math.abs(r.e0 - 5480)).toBeLessThan(0.5);
    const rb = normalizeXas(b.energy, b.mu);
    expect(Math.abs(rb.e0 - 5483.5)).toBeLessThan(0.5);
  });

  it('reads plain-text projects and can leave energies unshifted', () => {
    const { text } = project();
    const p = parseAthenaProject(text, 'p.prj', { applyEshift: false });
    expect(p.spectra[1].energy[0]).toBe(5300);
  });

  it('reports malformed projects with file and line', () => {
    const { text } = project();
    const broken = text.replace("@y = ('", "@y = ('x");
    expect(() => parseAthenaProject(broken, 'b.prj')).toThrow(/b\.prj:7: @y element 1/);
    const unterminated = text.slice(0, text.indexOf('@x') + 30);
    expect(() => parseAthenaProject(unterminated, 'u.prj')).toThrow(/u\.prj:\d+: Athena project: (missing "\)"|unterminated)/);
    expect(() => parseAthenaProject(gzipSync(Buffer.from(text)).subarray(0, 50), 't.prj')).toThrow(/t\.prj: gzip/);
    expect(() => parseAthenaProject('energy mu\n1 2\n', 'n.prj')).toThrow(/not an Athena project/);
  });
});

/** One group block: $old_group, optional @args, @x, @y and any extra statements, then [record]. */
function block(name: string, args: string | null, x: string, y: string, extra = ''): string {
  return [`$old_group = '${name}';`, ...(args === null ? [] : [`@args = (${args});`]), `@x = (${x});`, `@y = (${y});`, extra, '[record]', ''].join('\n');
}
const HEAD = '# Athena project file -- Demeter version 0.9.26\n';

describe('Athena groups', () => {
  it('numbers repeated labels and falls back to the group name for a missing or blank label', () => {
    const text = HEAD + block('g1', "'label','L'", '1,2', '3,4') + block('g2', "'label','L'", '1,2', '3,4') + block('g3', "'label','L'", '1,2', '3,4')
      + block('g4', null, '1,2', '3,4') + block('g5', "'label','  '", '1,2', '3,4') + block('g6', "'label'", '1,2', '3,4');
    const p = parseAthenaProject(text, 'r.prj');
    expect(p.spectra.map((s) => s.id)).toEqual(['L', 'L (2)', 'L (3)', 'g4', 'g5', 'g6']);
    expect(p.spectra.map((s) => s.group)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
    expect(p.spectra[3].args).toEqual({});
    expect(p.skipped).toEqual([]);
  });

  it('skips every non-mu(E) record, saying what it was', () => {
    const kinds: Array<[string, string]> = [
      ["'datatype','CHI'", 'a: chi(k) record'], ["'is_chi',1", 'b: chi(k) record'], ["'datatype','Detector'", 'c: detector record'],
      ["'datatype','background'", 'd: background record'], ["'is_bkg',1", 'e: non-mu(E) record'], ["'is_diff','1'", 'f: non-mu(E) record'],
      ["'is_fft',1", 'g: non-mu(E) record'], ["'is_bft',1", 'h: non-mu(E) record'],
    ];
    const text = HEAD + kinds.map(([a], i) => block(`G${i}`, `'label','${'abcdefgh'[i]}',${a}`, '1,2', '3,4')).join('')
      + block('ok', "'label','xmu','datatype','xmu','is_chi',0,'is_bkg',2", '1,2', '3,4') + block('none', "'label','n'", '1', '3').replace(/@x = \(1\);\n@y = \(3\);/, '@y = (3,4);');
    const p = parseAthenaProject(text, 'k.prj');
    expect(p.skipped).toEqual([...kinds.map(([, m]) => m), 'n: no @x/@y arrays']);
    expect(p.spectra.map((s) => s.id)).toEqual(['xmu']);
    expect(parseAthenaProject(HEAD + block('e', "'label','E'", '', '1,2'), 'e.prj').skipped).toEqual(['E: no @x/@y arrays']);
    expect(() => parseAthenaProject(`${HEAD}@journal = ('x');\n1;\n`, 'n.prj')).toThrow(/^n\.prj: the project holds no groups$/);
  });

  it('reads Athena\'s normalization settings, e0 shifted like the energies', () => {
    const args = "'label','L','bkg_e0','7112.5','bkg_eshift','-2','bkg_pre1',-150,'bkg_pre2','-30','bkg_nor1','150','bkg_nor2','800','bkg_nnorm','2','bkg_flatten','1','is_nor',1";
    const text = HEAD + block('g', args, '7100,7110,7120', '0.1,0.5,0.9');
    const p = parseAthenaProject(text, 'n.prj').spectra[0];
    expect(p.athenaNormalization).toEqual({ e0: 7110.5, pre1: -150, pre2: -30, norm1: 150, norm2: 800, nnorm: 1, flatten: true });
    expect(p.isNormalized).toBe(true);
    expect(p.eshift).toBe(-2);
    expect(Array.from(p.energy)).toEqual([7098, 7108, 7118]);
    const raw = parseAthenaProject(text, 'n.prj', { applyEshift: false }).spectra[0];
    expect(raw.athenaNormalization.e0).toBe(7112.5);
    expect(Array.from(raw.energy)).toEqual([7100, 7110, 7120]);
    // blank, non-numeric and missing settings are left out; nnorm is clamped to larch's 0..3 degrees
    const sparse = parseAthenaProject(HEAD + block('g', "'label','S','bkg_pre1','','bkg_pre2','abc','bkg_nnorm',9,'bkg_flatten',0,'bkg_eshift','x'", '1,2', '3,4'), 's.prj').spectra[0];
    expect(sparse.athenaNormalization).toEqual({ e0: null, nnorm: 3, flatten: false });
    expect(sparse.isNormalized).toBe(false);
    expect(sparse.eshift).toBe(0);
    const none = parseAthenaProject(HEAD + block('g', "'label','T','bkg_nnorm',0", '1,2', '3,4'), 't.prj').spectra[0];
    expect(none.athenaNormalization).toEqual({ e0: null, nnorm: 0 });
  });

  it('sorts a downward scan with its i0, and drops i0 that does not match the points', () => {
    const down = parseAthenaProject(HEAD + block('g', "'label','D'", '30,20,10', '3,2,1', '@i0 = (300,200,100);'), 'd.prj').spectra[0];
    expect(Array.from(down.energy)).toEqual([10, 20, 30]);
    expect(Array.from(down.mu)).toEqual([1, 2, 3]);
    expect(Array.from(down.i0!)).toEqual([100, 200, 300]);
    const short = parseAthenaProject(HEAD + block('g', "'label','S'", '10,20,30', '1,2,3', '@i0 = (1,2);'), 's.prj').spectra[0];
    expect(short.i0).toBeNull();
    // repeated energies are averaged, so a per-point i0 no longer lines up
    const dup = parseAthenaProject(HEAD + block('g', "'label','R'", '10,10,20', '1,3,5', '@i0 = (1,2,3);'), 'r.prj').spectra[0];
    expect(Array.from(dup.mu)).toEqual([2, 5]);
    expect(dup.i0).toBeNull();
    expect(parseAthenaProject(HEAD + block('g', "'label','N'", '10,20', '1,2'), 'n.prj').spectra[0].i0).toBeNull();
  });

  it('names the group and line of inconsistent arrays', () => {
    const text = `${HEAD}\n${block('g', "'label','L'", '1,2,3', '1,2')}`;
    expect(() => parseAthenaProject(text, 'm.prj')).toThrow(/^m\.prj:5: group "L": @x has 3 values but @y has 2$/);
    expect(() => parseAthenaProject(`${HEAD}${block('g', "'label','L'", '1,1', '1,2')}`, 'o.prj')).toThrow(/^o\.prj:5 \(group "L"\): needs at least 2 distinct abscissa values, found 1$/);
    expect(() => parseAthenaProject(`${HEAD}${block('g', "'label','L'", "1,'2',[3]", '1,2,3')}`, 'n.prj')).toThrow(/^n\.prj:4: @x element 3 is \[3\], expected a number$/);
  });
});

describe('Athena Perl literals', () => {
  it('reads numbers, strings, escapes, undef, barewords, lists and hashes as Athena writes them', () => {
    const text = `$old_group='g';\n@args = ('label', "dq \\"x\\"\\tand\\n", 'sq', 'a\\'b\\\\c\\nd', 'n', undef, 'w', bare::word, 'h', {'k' => 1, "j", [2, 3], 'odd'},\n  'nums', [1e3, -2.5, .5, +3, 4., 1E-2]);\n@x = (7100, 7110)\n@y = (' 0.5 ', '6.5D-1');\n[record]\n`;
    const s = parseAthenaProject(text, 'l.prj').spectra[0];
    expect(s.args).toEqual({ label: 'dq "x"\tand\n', sq: "a'b\\c\\nd", n: null, w: 'bare::word', h: { k: 1, j: [2, 3] }, nums: [1000, -2.5, 0.5, 3, 4, 0.01] });
    expect(s.id).toBe('dq "x"\tand\n');
    expect(Array.from(s.mu)).toEqual([0.5, 0.65]);
  });

  it('ignores statements outside groups and scalars inside them', () => {
    const text = `@x = ('a', 'b');\n$old_group = 'g';\n$x = 5;\n@args = ('label','L');\n@x = (1,2);\n@y = (3,4);\n$y = 'scalar';\n%y = ('a' => 1);\n[other] stray words;\n[record]\n1;\n`;
    const p = parseAthenaProject(text, 'o.prj');
    expect(p.spectra.map((s) => [s.id, Array.from(s.energy), Array.from(s.mu)])).toEqual([['L', [1, 2], [3, 4]]]);
    // no header but an $old_group statement, with or without spaces around "="
    expect(parseAthenaProject("$old_group='h';\n@x=(1,2);\n@y=(3,4);\n", 'n.prj').spectra[0].id).toBe('h');
    expect(() => parseAthenaProject(`${'#'.repeat(4000)}\n# Athena project file\n$old_group='h';\n`, 'late.prj')).toThrow(/^late\.prj: not an Athena project file/);
  });

  it('counts lines through comments, CRLF, skipped statements and multi-line strings in its errors', () => {
    expect(() => parseAthenaProject(`${HEAD}# c\r\n\r\n$old_group = 'g';\r\n@x = (1,\r\n 2 3);\r\n`, 'c.prj')).toThrow(/^c\.prj:6: Athena project: expected "," or "\)", found "3\);/);
    expect(() => parseAthenaProject(`${HEAD}1;\nstray\n$old_group 'g';\n`, 'e.prj')).toThrow(/^e\.prj:4: Athena project: expected "=" after \$old_group$/);
    expect(() => parseAthenaProject(`${HEAD}@args = ('a\nb\nc', &x);\n`, 'u.prj')).toThrow(/^u\.prj:4: Athena project: unexpected "&x\);\\n"$/);
    expect(() => parseAthenaProject(`${HEAD}\n$old_group = 'g\n\n`, 'q.prj')).toThrow(/^q\.prj:3: Athena project: unterminated quoted string$/);
    expect(() => parseAthenaProject(`${HEAD}$old_group = 'g';\n@x = (1,\n`, 'l.prj')).toThrow(/^l\.prj:4: Athena project: missing "\)"$/);
    expect(() => parseAthenaProject(`${HEAD}$old_group = 'g';\n@x = (1,\n2`, 'l.prj')).toThrow(/^l\.prj:4: Athena project: expected "," or "\)", found ""$/);
    expect(() => parseAthenaProject(`${HEAD}$old_group = 'g';\n@ = (1);\n`, 'v.prj')).toThrow(/^v\.prj:3: Athena project: expected a variable name$/);
    expect(() => parseAthenaProject(`${HEAD}$old_group = 'g';\n%h = {'a' => 1 'b'};\n`, 'h.prj')).toThrow(/^h\.prj:3: Athena project: expected "," or "\}", found "'b'\};\\n"$/);
  });

  it('is the registry\'s reader for .prj files and Athena headers', () => {
    const dir = tempDir();
    const text = HEAD + block('g', "'label','A'", '1,2', '3,4') + block('h', "'label','B','is_chi',1", '1,2', '3,4');
    const p = put(dir, 'x.dat', text);
    expect(athenaFormat.name).toBe('athena');
    expect(athenaFormat.describe).toMatch(/Athena project/);
    expect(athenaFormat.detect('a.PRJ', Buffer.alloc(0))).toBe(true);
    expect(athenaFormat.detect(p, Buffer.from(text))).toBe(true);
    expect(athenaFormat.detect('a.dat', Buffer.from('#Athena project file\n'))).toBe(true);
    expect(athenaFormat.detect('a.dat', Buffer.from('x # Athena project file\n'))).toBe(false);
    expect(athenaFormat.detect('a.prj.dat', Buffer.from('1 2\n'))).toBe(false);
    const got = athenaFormat.read(p, {}) as Array<{ id: string }>;
    expect(got.map((s) => s.id)).toEqual(['A']);
  });
});
