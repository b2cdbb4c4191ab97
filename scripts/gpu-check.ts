/**
 * The Node side of scripts/gpu-check.sh, bundled with Node itself for a GPU
 * machine that has neither (see that script). Subcommands, each printing
 * one JSON line on stdout:
 *
 *   info                         the backends that load, with device, threads and BLAS
 *   train <backend> <n> <epochs> ms/epoch of the reference workload (scripts/reference-workload.ts)
 *                                at n spectra: one warm-up epoch, then <epochs> timed
 *   onnx <backend> <dir> [n]     trains the reference network for an epoch on n spectra (2,048) on
 *                                <backend>, exports its encoder and decoder as ONNX into <dir> with
 *                                test inputs and the TF.js outputs computed on <backend>, for
 *                                scripts/gpu_check_onnx.py to compare
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describeBackend, provideOptionalPackage, selectBackend } from '../src/backends/select.js';
import { BackendSchema, type BackendName } from '../src/config/schema.js';
import { specToOnnx } from '../src/export/onnx.js';
import { runNetworkAsync } from '../src/model/infer.js';
import { Rng } from '../src/util/random.js';
import { GRID, referenceSplit, timeReferenceTraining } from './reference-workload.js';

// Literal specifiers, so that esbuild bundles both (they must share the bundle's tfjs-core);
// loaded only when webgpu is selected, after Dawn's navigator.gpu exists.
provideOptionalPackage('webgpu', () => import('webgpu' as string));
provideOptionalPackage('@tensorflow/tfjs-backend-webgpu', () => import('@tensorflow/tfjs-backend-webgpu' as string));

const [command, ...args] = process.argv.slice(2);
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const backendArg = (v: string | undefined): BackendName => BackendSchema.parse(v);

async function info(): Promise<void> {
  const backends: Record<string, unknown> = {};
  for (const name of ['webgpu', 'native', 'wasm', 'cpu'] as const) {
    try {
      await selectBackend(name, { training: true });
      const d = describeBackend();
      backends[name] = { device: d.device, threads: d.threads, blas: d.blas, versions: d.versions };
    } catch (e) {
      backends[name] = { error: (e as Error).message };
    }
  }
  print({ node: process.version, backends });
}

async function train(backend: BackendName, n: number, epochs: number): Promise<void> {
  const t = await timeReferenceTraining(backend, referenceSplit(n), epochs);
  const last = t.result.history.at(-1)!;
  print({ backend: t.backend, n, epochs, ms_per_epoch: Math.round(t.msEpoch), warmup_ms: Math.round(t.warmupMs), device: t.device, threads: t.threads, blas: t.blas, losses: last.losses });
}

async function onnx(backend: BackendName, dir: string, n: number): Promise<void> {
  const t = await timeReferenceTraining(backend, referenceSplit(n), 1);
  mkdirSync(dir, { recursive: true });
  const rows = 257;
  const x = new Float32Array(rows * GRID);
  const rng = new Rng(5);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const { finalEncoder: encoder, finalDecoder: decoder } = t.result;
  // The TF.js outputs come from the backend that trained (asynchronous reads work on every backend).
  const z = await runNetworkAsync(encoder, x, rows);
  const xhat = await runNetworkAsync(decoder, z, rows);
  const bin = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, 'encoder.onnx'), specToOnnx(encoder, { inputName: 'spectrum', outputName: 'latent', graphName: 'encoder' }));
  writeFileSync(join(dir, 'decoder.onnx'), specToOnnx(decoder, { inputName: 'latent', outputName: 'spectrum', graphName: 'decoder' }));
  writeFileSync(join(dir, 'x.f32'), bin(x));
  writeFileSync(join(dir, 'z.f32'), bin(z));
  writeFileSync(join(dir, 'xhat.f32'), bin(xhat));
  const manifest = { backend: describeBackend().name, device: describeBackend().device, rows, grid: GRID, nStyle: encoder.outputs };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  print({ onnx: dir, ...manifest });
}

try {
  if (command === 'info') await info();
  else if (command === 'train') await train(backendArg(args[0]), Number(args[1]), Number(args[2]));
  else if (command === 'onnx') await onnx(backendArg(args[0]), args[1], Number(args[2] ?? 2048));
  else throw new Error(`unknown command ${command ?? '(none)'}; expected info, train or onnx`);
} catch (e) {
  print({ error: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
}
// Dawn keeps the event loop alive while its GPU object exists.
setTimeout(() => process.exit(), 100).unref();
