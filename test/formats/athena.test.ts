import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseAthenaProject, readAthenaFile } from '../../src/data/formats/athena.js';
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
