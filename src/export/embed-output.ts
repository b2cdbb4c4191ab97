import { Table, Utf8, tableToIPC, vectorFromArray, makeVector } from 'apache-arrow';
import { extname } from 'node:path';
import { csvField } from '../data/formats/csv-table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import type { EmbedResult } from './embed.js';

/**
 * Writes an embedding table, one row per spectrum, atomically:
 * id, z0..z{n-1}, pred_<descriptor> (calibrated estimates), label_<descriptor>
 * (labels found in the input, for comparison), recon_mse (empty for models
 * without a decoder), ood_knn_distance (models with a kNN OOD reference),
 * ood_percentile, ood_flag, extrapolated. CSV leaves NaN cells empty; JSON writes null and
 * adds the warnings and provenance; Arrow keeps NaN.
 */

export type EmbedFormat = 'csv' | 'json' | 'arrow';

/** The output format named by `format`, or implied by the file extension. */
export function embedFormatFor(path: string, format?: string): EmbedFormat {
  if (format) {
    if (format === 'csv' || format === 'json' || format === 'arrow') return format;
    throw new UserError(`unknown output format "${format}" (expected csv, json or arrow)`);
  }
  const e = extname(path).toLowerCase();
  if (e === '.csv') return 'csv';
  if (e === '.json') return 'json';
  if (e === '.arrow' || e === '.feather' || e === '.ipc') return 'arrow';
  throw new UserError(`cannot tell the output format from the extension "${e}"; pass --format csv|json|arrow`, path);
}

/** Column name -> values, in output order. */
export function embedColumns(r: EmbedResult, descriptorNames: string[]): [string, ArrayLike<number>][] {
  const cols: [string, ArrayLike<number>][] = [];
  for (let a = 0; a < r.nStyle; a++) cols.push([`z${a}`, Float64Array.from({ length: r.n }, (_, i) => r.latent[i * r.nStyle + a])]);
  for (const [name, v] of Object.entries(r.predicted)) cols.push([`pred_${name}`, v]);
  for (const name of descriptorNames) if (r.labels[name]) cols.push([`label_${name}`, r.labels[name]]);
  cols.push(['recon_mse', r.reconstructionMse]);
  if (r.oodDistance) cols.push(['ood_knn_distance', r.oodDistance]);
  cols.push(['ood_percentile', r.oodPercentile], ['ood_flag', r.oodFlag], ['extrapolated', r.extrapolated]);
  return cols;
}

/** Float32 latents print with the digits float32 holds; float64 columns in full. */
function num(v: number, float32: boolean): string {
  if (!Number.isFinite(v)) return '';
  return float32 ? String(Number(v.toPrecision(8))) : String(v);
}

/**
 * @param r the embedding
 * @param path output file
 * @param format csv | json | arrow
 * @param provenance model directory, input file and anything else worth recording (JSON only)
 * @param descriptorNames descriptors of the model, for label_ columns
 */
export function writeEmbedding(
  r: EmbedResult,
  path: string,
  format: EmbedFormat,
  provenance: Record<string, unknown>,
  descriptorNames: string[],
): void {
  const cols = embedColumns(r, descriptorNames);
  if (format === 'csv') {
    const lines = [['id', ...cols.map((c) => c[0])].map(csvField).join(',')];
    for (let i = 0; i < r.n; i++) {
      lines.push([csvField(r.ids[i]), ...cols.map(([name, v]) => num(v[i], name.startsWith('z')))].join(','));
    }
    writeFileAtomic(path, lines.join('\n') + '\n');
  } else if (format === 'json') {
    const rows = r.ids.map((id, i) => {
      const o: Record<string, unknown> = { id };
      for (const [name, v] of cols) o[name] = Number.isFinite(v[i]) ? (name.startsWith('z') ? Number(v[i].toPrecision(8)) : v[i]) : null;
      return o;
    });
    writeFileAtomic(path, JSON.stringify({ ...provenance, warnings: r.warnings, columns: ['id', ...cols.map((c) => c[0])], rows }, null, 1) + '\n');
  } else {
    const children: Record<string, ReturnType<typeof makeVector>> = { id: vectorFromArray(r.ids, new Utf8()) as never };
    for (const [name, v] of cols) children[name] = makeVector(Float64Array.from(v));
    const table = new Table(children);
    writeFileAtomic(path, tableToIPC(table, 'file'));
  }
}
