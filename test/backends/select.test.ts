/** Backend selection: auto order, explicit requests, clear errors for missing optional packages. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { nativeMissing, requireOrSkip } from '../require.js';
import { AUTO_ORDER, describeBackend, selectBackend } from '../../src/backends/select.js';
import { adapterInfo, hardwareVulkanDrivers } from '../../src/backends/webgpu.js';
import { UserError } from '../../src/util/errors.js';

const native = loadNativeAddon();
const haveNative = requireOrSkip('the native addon (explicit native backend)', nativeMissing());

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
    // A GPU comes before the CPU backends, but only for training, which reads asynchronously.
    expect(AUTO_ORDER.indexOf('webgpu')).toBeLessThan(AUTO_ORDER.indexOf('native'));
    expect(sel.tried.find((t) => t.name === 'webgpu')?.error).toMatch(/training only/);
    // Without the addon (XLATENT_SKIP_NATIVE=1, no compiler) the next in line is wasm.
    expect(sel.name).toBe(native.ok ? 'native' : 'wasm');
  });

  it.skipIf(hardwareVulkanDrivers().length > 0)('auto for training skips webgpu without a GPU driver, SwiftShader configured or not', async () => {
    const before = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
    try {
      const sel = await selectBackend('auto', { training: true });
      expect(sel.name).not.toBe('webgpu');
      expect(sel.tried.find((t) => t.name === 'webgpu')?.error).toMatch(/no GPU Vulkan driver/);
      expect(sel.name).toBe(native.ok ? 'native' : 'wasm');
    } finally {
      if (before === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = before;
    }
  });

  it('tells software adapters (SwiftShader, llvmpipe) from GPUs by their adapter info', () => {
    expect(adapterInfo({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }).software).toBe(true);
    expect(adapterInfo({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).software).toBe(true);
    expect(adapterInfo({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', isFallbackAdapter: false }).software).toBe(false);
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

  it.skipIf(!haveNative)('explicit native reports its BLAS and thread count', async () => {
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
    expect(tf.getBackend()).toBe(before);
  });

  it('explicit webgpu with no Vulkan driver at all is a UserError that says how to get one', async () => {
    const before = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = '/nonexistent/icd.json';
    try {
      await expect(selectBackend('webgpu')).rejects.toThrow(/backend 'webgpu' is not available: (Dawn found no WebGPU adapter .*VK_ICD_FILENAMES|webgpu is not installed)/);
    } finally {
      if (before === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = before;
    }
  });
});
