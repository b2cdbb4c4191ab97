/**
 * Test access to the webgpu backend. Without a GPU driver, Dawn is pointed
 * at SwiftShader (Debian's chromium ships it), so the whole WebGPU path runs
 * on the CPU. Where webgpu still cannot load, its tests skip with the
 * reason, unless XLATENT_STRICT=1 (CI), where that is a failure.
 */
import { existsSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs';

import { selectBackend } from '../../src/backends/select.js';
import { hardwareVulkanDrivers } from '../../src/backends/webgpu.js';
import { requireOrSkip } from '../require.js';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Loads webgpu once (then returns to cpu); undefined when it works, else why not. */
export async function webgpuUnavailable(): Promise<string | undefined> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && hardwareVulkanDrivers().length === 0 && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  try {
    await selectBackend('webgpu');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await tf.setBackend('cpu');
  }
}

/** Registers the visible skip (or, under XLATENT_STRICT=1, the failure) for webgpu tests that cannot run (test/require.ts). */
export function webgpuMissing(reason: string | undefined, what: string): void {
  requireOrSkip(`webgpu (${what})`, reason);
}
