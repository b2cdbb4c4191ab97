/** Backend selection: auto order, explicit requests, clear errors for missing optional packages. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { AUTO_ORDER, describeBackend, selectBackend } from '../../src/backends/select.js';
import { UserError } from '../../src/util/errors.js';

const native = loadNativeAddon();

describe('selectBackend', () => {
  it('auto tries the backends fastest first and reports why the missing ones were skipped', async () => {
    const sel = await selectBackend('auto');
    expect(tf.getBackend()).toBe(sel.name);
    expect(sel.tried.map((t) => t.name)).toEqual(AUTO_ORDER.slice(0, sel.tried.length));
    // tfjs-node is not installed in this project; its absence must be explained, not hidden.
    const tfNode = sel.tried.find((t) => t.name === 'tensorflow');
    if (tfNode?.error) expect(tfNode.error).toMatch(/tfjs-node/);
    expect(sel.tried.at(-1)!.error).toBeUndefined();
    expect(sel.tried.slice(0, -1).every((t) => t.error)).toBe(true);
    expect(sel.reason).toMatch(/^auto: /);
    if (native.ok) expect(sel.name).toBe('native');
  });

  it('explicit wasm and cpu load and become active', async () => {
    for (const name of ['wasm', 'cpu'] as const) {
      const sel = await selectBackend(name);
      expect(sel).toMatchObject({ name, reason: `requested ${name}`, tried: [{ name }] });
      const d = describeBackend();
      expect(d.name).toBe(name);
      expect(d.versions['@tensorflow/tfjs']).toBe(tf.version.tfjs);
      expect(d.threads).toBe(1);
      // The backend computes: a small product gives the right numbers.
      expect(Array.from(tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync())).toEqual([19, 22, 43, 50]);
    }
    expect(describeBackend().versions['@tensorflow/tfjs-backend-wasm']).toBeUndefined();
  });

  it.skipIf(!native.ok)('explicit native reports its BLAS and thread count', async () => {
    await selectBackend('native');
    const d = describeBackend();
    expect(d).toMatchObject({ name: 'native', requested: 'native', reason: 'requested native' });
    expect(d.threads).toBeGreaterThanOrEqual(1);
    expect(d.blas).toMatch(/OpenBLAS|portable/);
  });

  it('an explicitly requested backend that cannot load is a UserError saying why', async () => {
    const before = tf.getBackend();
    await expect(selectBackend('tensorflow')).rejects.toThrow(UserError);
    // Optional dependencies: absent where their install failed, or present without the libtensorflow binding where npm skipped their script.
    await expect(selectBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' is not available: @tensorflow\/tfjs-node is (not installed|installed without its libtensorflow binding)/);
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/tfjs-node-gpu is (not installed|installed without its libtensorflow binding)/);
    await expect(selectBackend('webgpu')).rejects.toThrow(/backend 'webgpu' is not available: webgpu is not installed/);
    expect(tf.getBackend()).toBe(before);
  });
});
