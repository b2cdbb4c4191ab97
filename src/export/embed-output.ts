import { RecordBatchFileWriter, Table, Utf8, vectorFromArray, makeVector } from 'apache-arrow';
import { extname } from 'node:path';
import { csvField } from '../data/formats/csv-table.js';
import { AtomicFileWriter, commitOrAbort } from '../util/atomic.js';
import { FileSink } from '../data/formats/arrow.js';
import { UserError } from '../util/errors.js';
import type { EmbedResult } from './embed.js';

/**
 * An embedding table, one row per spectrum, written atomically:
 * id, z0..z{n-1}, pred_<descriptor> (calibrated estimates), for ensembles
 * pred_<descriptor>_std (the members' spread), label_<descriptor> (labels
 * found in the input, for comparison), recon_mse (empty for models without
 * a decoder), with a held-out OOD reference latent_distance,
 * ood_recon_percentile and ood_latent_percentile, with a kNN OOD reference
 * ood_knn_distance, then ood_percentile, ood_flag, extrapolated. CSV leaves
 * NaN cells empty; JSON writes null and adds the warnings and provenance;
 * Arrow keeps NaN.
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
  for (const [name, v] of Object.entries(r.predicted)) {
    cols.push([`pred_${name}`, v]);
    if (r.spread?.[name]) cols.push([`pred_${name}_std`, r.spread[name]]);
  }
  for (const name of descriptorNames) if (r.labels[name]) cols.push([`label_${name}`, r.labels[name]]);
  cols.push(['recon_mse', r.reconstructionMse]);
  if (r.held) {
    cols.push(['latent_distance', r.held.latentDistance], ['ood_recon_percentile', r.held.reconstructionPercentile], ['ood_latent_percentile', r.held.latentPercentile]);
  }
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
 * Writes an embedding table chunk by chunk (one {@link EmbedResult} per
 * chunk of input spectra, all with the same columns), straight to a
 * temporary file that replaces `path` on commit: no output-sized string or
 * table is built.
 */
export class EmbeddingWriter {
  private readonly file: AtomicFileWriter;
  private rows = 0;
  private columns: string[] | null = null;
  private arrow: RecordBatchFileWriter | null = null;

  /**
   * @param path output file
   * @param format csv | json | arrow
   * @param provenance model directory, input file and anything else worth recording (JSON only)
   * @param descriptorNames descriptors of the model, for label_ columns
   */
  constructor(
    readonly path: string,
    private readonly format: EmbedFormat,
    private readonly provenance: Record<string, unknown>,
    private readonly descriptorNames: string[],
  ) {
    this.file = new AtomicFileWriter(path);
  }

  write(r: EmbedResult): void {
    const cols = embedColumns(r, this.descriptorNames);
    const names = cols.map((c) => c[0]);
    if (!this.columns) {
      this.columns = names;
      if (this.format === 'csv') this.file.write(['id', ...names].map(csvField).join(',') + '\n');
      else if (this.format === 'json') {
        const head = JSON.stringify({ ...this.provenance, columns: ['id', ...names] }, null, 1);
        this.file.write(head.slice(0, head.lastIndexOf('}')).trimEnd() + ',\n "rows": [\n');
      } else {
        this.arrow = new RecordBatchFileWriter();
        this.arrow.reset(new FileSink(this.file));
      }
    } else if (names.join(',') !== this.columns.join(',')) {
      throw new Error(`embedding chunk columns changed: ${names.join(',')} after ${this.columns.join(',')}`);
    }
    if (this.format === 'csv') {
      for (let i = 0; i < r.n; i++) {
        this.file.write([csvField(r.ids[i]), ...cols.map(([name, v]) => num(v[i], name.startsWith('z')))].join(',') + '\n');
      }
    } else if (this.format === 'json') {
      for (let i = 0; i < r.n; i++) {
        const o: Record<string, unknown> = { id: r.ids[i] };
        for (const [name, v] of cols) o[name] = Number.isFinite(v[i]) ? (name.startsWith('z') ? Number(v[i].toPrecision(8)) : v[i]) : null;
        this.file.write((this.rows + i > 0 ? ',\n' : '') + JSON.stringify(o));
      }
    } else {
      const children: Record<string, ReturnType<typeof makeVector>> = { id: vectorFromArray(r.ids, new Utf8()) as never };
      for (const [name, v] of cols) children[name] = makeVector(Float64Array.from(v));
      for (const batch of new Table(children).batches) this.arrow!.write(batch);
    }
    this.rows += r.n;
  }

  /** Finishes the file (JSON gets the warnings) and moves it into place. */
  commit(warnings: string[]): void {
    if (this.format === 'json') this.file.write(`\n],\n "warnings": ${JSON.stringify(warnings)}\n}\n`);
    else if (this.arrow) this.arrow.finish();
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}

/** Writes a whole embedding at once (see {@link EmbeddingWriter}). */
export function writeEmbedding(
  r: EmbedResult,
  path: string,
  format: EmbedFormat,
  provenance: Record<string, unknown>,
  descriptorNames: string[],
): void {
  const w = new EmbeddingWriter(path, format, provenance, descriptorNames);
  commitOrAbort({ commit: () => w.commit(r.warnings), abort: () => w.abort() }, () => w.write(r));
}
