import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { xlatent, xlatentOk as ok } from '../cli/helpers.js';

/**
 * Study 1 of the README, command by command: a UMAP map of simulated XRD
 * patterns of an alloy family (fcc, hcp and bcc phases, annealed or
 * defective), clustered, with "measured" patterns projected into it and
 * scored out of distribution, and the same data through PCA (which decodes).
 */
const dir = mkdtempSync(join(tmpdir(), 'xlatent-study-umap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (f: string) => join(dir, f);

describe('study: a UMAP map with clusters and measured spectra', () => {
  it('runs end to end: phases found by clustering, impure measured patterns flagged', () => {
    ok(['data', 'synth-xrd', '--out', p('alloys.arrow'), '--count', '450', '--points', '300', '--seed', '1']);
    ok(['data', 'synth-xrd', '--out', p('measured.arrow'), '--count', '8', '--points', '300', '--seed', '2', '--measured', '--impurity', '0.4']);
    ok(['baseline', '--method', 'umap', '--neighbors', '30', '--data', p('alloys.arrow'), '--out', p('umap')]);
    const cl = ok(['cluster', '--model', p('umap'), '--measured', p('measured.arrow'), '--out', p('clusters')]);
    expect(cl.stdout).toMatch(/phase\+defect: ARI/);
    const clusters = JSON.parse(readFileSync(p('clusters/clusters.json'), 'utf8'));
    const agreement = (c: { agreement: { descriptor: string; ari: number; confusion: number[][]; clusters: number[] }[] }) => Object.fromEntries(c.agreement.map((a) => [a.descriptor, a]));
    // The six phase x defect groups are what k-means (k by silhouette) finds in the map.
    expect(agreement(clusters)['phase+defect'].ari).toBeGreaterThan(0.9);
    expect(clusters.k).toBeGreaterThanOrEqual(6);
    expect(clusters.criterion).toMatch(/highest mean silhouette/);
    // HDBSCAN may leave a group in pieces where UMAP tore it, but never mixes two phases in one cluster.
    ok(['cluster', '--model', p('umap'), '--method', 'hdbscan', '--out', p('clusters-hdbscan')]);
    const h = agreement(JSON.parse(readFileSync(p('clusters-hdbscan/clusters.json'), 'utf8')))['phase+defect'];
    let inClusters = 0;
    let majority = 0;
    h.clusters.forEach((c, j) => {
      if (c < 0) return;
      const col = h.confusion.map((row) => row[j]);
      inClusters += col.reduce((a, b) => a + b, 0);
      majority += Math.max(...col);
    });
    expect(majority / inClusters).toBeGreaterThan(0.97);
    expect(inClusters).toBeGreaterThan(0.9 * 450);
    const measured = clusters.measured as { id: string; cluster: number; oodPercentile: number; oodFlag: number }[];
    const impure = measured.filter((m) => m.id.endsWith('_impure'));
    const clean = measured.filter((m) => !m.id.endsWith('_impure'));
    expect(impure.length).toBeGreaterThanOrEqual(2);
    expect(clean.length).toBeGreaterThanOrEqual(2);
    for (const m of impure) expect(m.oodFlag).toBe(1);
    expect(Math.min(...impure.map((m) => m.oodPercentile))).toBeGreaterThan(Math.max(...clean.map((m) => m.oodPercentile)));
    for (const f of ['clusters.csv', 'measured.csv', 'clusters.svg', 'cluster-spectra.svg', 'agreement-phase_defect.svg']) expect(existsSync(p(`clusters/${f}`)), f).toBe(true);

    ok(['embed', '--model', p('umap'), '--data', p('measured.arrow'), '--out', p('measured-in-umap.csv')]);
    const csv = readFileSync(p('measured-in-umap.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,z0,z1,recon_mse,ood_knn_distance,ood_percentile,ood_flag,extrapolated');
    expect(csv).toHaveLength(9);

    const ev = JSON.parse(ok(['evaluate', '--model', p('umap'), '--data', p('measured.arrow'), '--json']).stdout);
    expect(ev.method).toBe('umap');
    expect(ev.embedding.n).toBe(8);

    ok(['report', '--model', p('umap'), '--measured', p('measured.arrow'), '--out', p('report.html')]);
    const html = readFileSync(p('report.html'), 'utf8');
    for (const id of ['overview', 'descriptors', 'relevance', 'clusters', 'measured']) expect(html).toContain(`<section id="${id}"`);
    // No decoder: no explorer, no script in the page.
    expect(html).not.toContain('id="explorer"');
    expect(html).not.toContain('<script');

    const interp = xlatent(['interpolate', '--model', p('umap'), '--data', p('alloys.arrow'), '--from', '#0', '--to', '#1', '--out', p('interp')]);
    expect(interp.code).toBe(2);
    expect(interp.stderr).toMatch(/interpolation needs a decoder .* UMAP model has none/);
    expect(interp.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('PCA of the same patterns is a model that decodes: sweeps and interpolation work', () => {
    ok(['baseline', '--method', 'pca', '--data', p('alloys.arrow'), '--components', '3', '--out', p('pca')]);
    ok(['sweep', '--model', p('pca'), '--axis', '0', '--steps', '5', '--out', p('pca-sweep'), '--no-png']);
    const sweep = readFileSync(p('pca-sweep/sweep.csv'), 'utf8').trim().split('\n');
    expect(sweep.length).toBe(1 + 5 * 300);
    ok(['interpolate', '--model', p('pca'), '--data', p('alloys.arrow'), '--from', '#0', '--to', '#1', '--steps', '3', '--out', p('pca-interp'), '--no-png']);
    const interp = JSON.parse(readFileSync(p('pca-interp/interpolation.json'), 'utf8'));
    expect(interp.spectra).toHaveLength(3);
  });
});
