import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { xlatentVersion } from '../util/versions.js';
import { gridValues, type ModelMetadata } from './metadata.js';
import { metadataDigest, sha256Hex } from './digest.js';
import { writeModelDir, type ModelBundle } from './model-dir.js';
import { specToOnnx } from './onnx.js';

/**
 * Export of a model directory for inference elsewhere:
 * - onnx: OUT/encoder.onnx (input "spectrum" -> output "latent"), OUT/decoder.onnx
 *   ("latent" -> "spectrum"), OUT/metadata.json (same schema as the model's,
 *   with the file list and digest of the exported files);
 * - tfjs: a self-contained copy of the model directory (it reads back with
 *   readModelDir) plus index.html, the decoder explorer page, and tf.min.js,
 *   so the folder works offline from any static server.
 */

export type ExportFormat = 'tfjs' | 'onnx';

/** Key/value strings carried in each .onnx file's metadata_props (values are JSON where structured). */
export function onnxMetadataProps(meta: ModelMetadata, role: 'encoder' | 'decoder'): Record<string, string> {
  return {
    'xlatent.role': role,
    'xlatent.version': meta.xlatentVersion,
    'xlatent.format_version': String(meta.formatVersion),
    'xlatent.created': meta.created,
    'xlatent.axis_kind': meta.axisKind,
    'xlatent.grid': JSON.stringify(meta.grid),
    'xlatent.normalization': JSON.stringify(meta.normalization),
    'xlatent.preprocess': JSON.stringify(meta.preprocess ?? null),
    'xlatent.n_style': String(meta.nStyle),
    'xlatent.descriptors': JSON.stringify(meta.descriptors),
    'xlatent.calibration': JSON.stringify(meta.calibration),
    'xlatent.training_config_sha256': meta.training.sha256,
  };
}

function onnxDoc(meta: ModelMetadata, role: 'encoder' | 'decoder'): string {
  const grid = gridValues(meta.grid);
  const axes = meta.descriptors.map((d) => `z${d.axis} = ${d.name} (${d.direction > 0 ? 'increasing' : 'decreasing'})`).join(', ');
  const io =
    role === 'encoder'
      ? `input "spectrum" float32 [batch, ${grid.length}] -> output "latent" float32 [batch, ${meta.nStyle}]`
      : `input "latent" float32 [batch, ${meta.nStyle}] -> output "spectrum" float32 [batch, ${grid.length}]`;
  return (
    `xlatent ${role} (RankAAE). ${io}. Spectra live on a ${meta.axisKind} grid of ${grid.length} points ` +
    `from ${grid[0]} to ${grid[grid.length - 1]}; ` +
    (meta.preprocess ? 'first preprocess each spectrum as metadata_props "xlatent.preprocess" says (broadening of calculated spectra, energy shift, XAS normalization, E0 alignment), then ' : '') +
    `resample onto it and apply the "${meta.normalization.kind}" ` +
    `normalization (parameters in metadata_props "xlatent.normalization") before encoding; decoder outputs are ` +
    `normalized intensities. Latent axes: ${axes || 'none constrained'}.`
  );
}

/**
 * Writes OUT/encoder.onnx, OUT/decoder.onnx and OUT/metadata.json atomically
 * (as one directory). An ensemble's other members go to
 * OUT/members/<i>/encoder.onnx and decoder.onnx, and metadata.ensemble names
 * those files.
 */
export async function exportOnnx(bundle: ModelBundle, outDir: string): Promise<string[]> {
  const { metadata } = bundle;
  const files: Record<string, Uint8Array> = {};
  const pairs = bundle.ensembleNetworks ?? [{ encoder: bundle.encoder, decoder: bundle.decoder }];
  pairs.forEach((pair, i) => {
    for (const role of ['encoder', 'decoder'] as const) {
      files[`${i === 0 ? '' : `members/${i}/`}${role}.onnx`] = specToOnnx(pair[role], {
        graphName: role,
        inputName: role === 'encoder' ? 'spectrum' : 'latent',
        outputName: role === 'encoder' ? 'latent' : 'spectrum',
        docString: onnxDoc(metadata, role),
        metadataProps: onnxMetadataProps(metadata, role),
        producerVersion: xlatentVersion(),
      });
    }
  });
  const ensemble = metadata.ensemble && {
    ...metadata.ensemble,
    members: metadata.ensemble.members.map((m, i) => ({ ...m, encoder: i === 0 ? 'encoder.onnx' : `members/${i}/encoder.onnx`, decoder: i === 0 ? 'decoder.onnx' : `members/${i}/decoder.onnx` })),
  };
  await writeDirAtomic(outDir, (tmp) => {
    for (const [name, bytes] of Object.entries(files)) writeFileAtomic(join(tmp, name), bytes);
    const list = Object.entries(files).map(([path, bytes]) => ({ path, sha256: sha256Hex(bytes), bytes: bytes.byteLength }));
    const { metadataSha256: _old, ...rest } = metadata;
    const meta = { ...rest, ...(ensemble ? { ensemble } : {}), files: list };
    writeJsonAtomic(join(tmp, 'metadata.json'), { ...meta, metadataSha256: metadataDigest(meta) });
  });
  return [...Object.keys(files), 'metadata.json'].map((f) => join(outDir, f));
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The explorer page. It lives in models/example-browser/index.html; this
 * module sits two levels below the package root both as src/export/*.ts and
 * as dist/export/*.js, so the same relative path finds it in either layout.
 */
export function browserPagePath(): string {
  return join(here, '..', '..', 'models', 'example-browser', 'index.html');
}

/** Path of the browser bundle of @tensorflow/tfjs copied next to the page. */
export function tfjsBrowserBundlePath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs/package.json')), 'dist', 'tf.min.js');
}

/**
 * Writes a self-contained TF.js model directory: the model directory itself
 * (same networks and metadata, checksummed anew) plus index.html and tf.min.js.
 *
 * @param page include the explorer page and tf.min.js (default true)
 */
export async function exportTfjs(bundle: ModelBundle, outDir: string, page = true): Promise<string[]> {
  const extra: Record<string, Uint8Array> = {};
  if (page) {
    const html = browserPagePath();
    const tfjs = tfjsBrowserBundlePath();
    for (const p of [html, tfjs]) if (!existsSync(p)) throw new UserError('file missing from the xlatent installation', p);
    extra['index.html'] = readFileSync(html);
    extra['tf.min.js'] = readFileSync(tfjs);
  }
  const { metadata } = bundle;
  const written = await writeModelDir(
    outDir,
    {
      encoder: bundle.encoder,
      decoder: bundle.decoder,
      metadata: {
        grid: metadata.grid,
        axisKind: metadata.axisKind,
        normalization: metadata.normalization,
        descriptors: metadata.descriptors,
        nStyle: metadata.nStyle,
        training: { config: metadata.training.config },
        backend: metadata.backend,
        metrics: metadata.metrics,
        calibration: metadata.calibration,
        ood: metadata.ood,
        preprocess: metadata.preprocess,
        ensemble: metadata.ensemble,
      },
      ensembleNetworks: bundle.ensembleNetworks,
    },
    extra,
    { created: metadata.created },
  );
  return [...written.files.map((f) => join(outDir, f.path)), join(outDir, 'metadata.json')];
}
