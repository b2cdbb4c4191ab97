import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeMissing, requireOrSkip } from '../require.js';
import { BIN, sameWeights, synthCsv, tempDir } from './helpers.js';

/**
 * The native backend's environment variables, through the binary:
 * XLATENT_THREADS sets the addon's thread count (recorded in run.json) and
 * does not change a single bit of the result; XLATENT_FUSED=0 leaves the
 * fused native kernels out, so the generic tf-op versions run (other bits,
 * same training); XLATENT_NATIVE=0 takes the backend away and auto falls
 * back to wasm.
 */
const haveNative = requireOrSkip('the native addon (XLATENT_THREADS, XLATENT_FUSED)', nativeMissing());

let dir: string;
let cfg: string;
function train(out: string, env: Record<string, string>, backend = 'native') {
  const r = spawnSync(process.execPath, [BIN, 'train', '--config', cfg, '--out', join(dir, out), '--backend', backend], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return { stderr: r.stderr, run: JSON.parse(readFileSync(join(dir, out, 'run.json'), 'utf8')), history: readFileSync(join(dir, out, 'model', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) };
}

beforeAll(() => {
  dir = tempDir('xlatent-native-env-');
  const data = synthCsv(dir, 300);
  cfg = join(dir, 'tiny.yaml');
  writeFileSync(
    cfg,
    `seed: 5
data: { file: ${data}, descriptors: [OS, CN, BL], discrete: [CN] }
network: { nStyle: 3, hidden: 16, depth: 3, discriminator: { hidden: 16, depth: 2 } }
losses: { adversarial: { priorSamples: 64 } }
training: { epochs: 3, batchSize: 64 }
`,
  );
});

describe.skipIf(!haveNative)('native backend environment variables', () => {
  it('XLATENT_THREADS=1 and =2: recorded thread counts, bit-identical weights', () => {
    const one = train('t1', { XLATENT_THREADS: '1' });
    const two = train('t2', { XLATENT_THREADS: '2' });
    expect(one.run.backend).toMatchObject({ name: 'native', threads: 1 });
    expect(two.run.backend).toMatchObject({ name: 'native', threads: 2 });
    expect(two.run.backend.blas).toMatch(/OpenBLAS|portable/);
    sameWeights(join(dir, 't1'), join(dir, 't2'));
  });

  it('XLATENT_FUSED=0: the generic kernels run (other bits), and train the same model to rounding drift', () => {
    const fused = train('fused', { XLATENT_THREADS: '1' });
    const generic = train('generic', { XLATENT_THREADS: '1', XLATENT_FUSED: '0' });
    expect(generic.run.backend.name).toBe('native');
    const w = (d: string) => readFileSync(join(dir, d, 'model', 'encoder', 'weights.bin'));
    expect(w('generic').equals(w('fused'))).toBe(false);
    // Rounding differences only: per-epoch losses and scores stay close (backends drift by ~1e-2, README).
    for (let e = 0; e < 3; e++) {
      expect(Math.abs(generic.history[e].score - fused.history[e].score)).toBeLessThan(0.1);
      expect(generic.history[e].losses.reconstruction).toBeCloseTo(fused.history[e].losses.reconstruction, 2);
    }
    // Which kernels the native backend registered, asked of a process started with the same variable.
    const probe = (fusedEnv?: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { encoding: 'utf8', cwd: resolve(__dirname, '../..'), env: { ...process.env, XLATENT_FUSED: fusedEnv ?? '1' } });
    const on = probe();
    const off = probe('0');
    expect(on.status, on.stderr).toBe(0);
    expect(off.status, off.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toEqual({ own: true });
    expect(JSON.parse(off.stdout)).toEqual({ own: false });
  });

  it('XLATENT_NATIVE=0: auto falls back to wasm and says why', () => {
    const r = train('no-native', { XLATENT_NATIVE: '0' }, 'auto');
    expect(r.run.backend.name).toBe('wasm');
    expect(r.stderr).toMatch(/native: disabled by XLATENT_NATIVE=0/);
  });
});

/** Prints whether the native backend registered its own rank-loss kernel (fused) or none (the generic one is registered on first use). */
const PROBE = `
import * as tf from '@tensorflow/tfjs';
import { registerNativeBackend } from './dist/backends/native-backend.js';
import { XLATENT_KERNELS } from './dist/ops/kernel-names.js';
registerNativeBackend();
process.stdout.write(JSON.stringify({ own: XLATENT_KERNELS.every((k) => tf.getKernel(k, 'native') !== undefined) }));
`;
