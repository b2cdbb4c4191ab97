/**
 * The 'webgpu' backend in Node: @tensorflow/tfjs-backend-webgpu over Dawn's
 * Node bindings (the optional `webgpu` package), plus xlatent's WGSL kernels
 * (webgpu-kernels.ts). Dawn reaches the GPU through Vulkan on Linux (Metal,
 * D3D12 elsewhere); on a machine without a GPU it can run on SwiftShader, a
 * CPU Vulkan driver (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 * with Debian's chromium), which is how CI tests this backend. `auto` never
 * takes a software adapter.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { UserError } from '../util/errors.js';
import { registerBackendKernels } from '../ops/run.js';
import { webgpuKernels } from './webgpu-kernels.js';

/** What the adapter says it is (GPUAdapterInfo). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** CPU emulation (SwiftShader, llvmpipe/lavapipe) rather than a GPU. */
  software: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|\blvp\b|softpipe|software|mock/i;

/** Reads an adapter's info and decides whether it is a software (CPU) implementation. */
export function adapterInfo(info: Partial<Record<keyof AdapterInfo | 'isFallbackAdapter', unknown>>): AdapterInfo {
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const out = { vendor: s(info.vendor), architecture: s(info.architecture), device: s(info.device), description: s(info.description) };
  return { ...out, software: info.isFallbackAdapter === true || SOFTWARE.test(Object.values(out).join(' ')) };
}

/** One line naming the adapter, e.g. "google swiftshader (SwiftShader driver 5.0.0, software)". */
export function adapterName(a: AdapterInfo): string {
  const what = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = [a.description || a.device, a.software ? 'software' : ''].filter(Boolean).join(', ');
  return detail ? `${what} (${detail})` : what;
}

/** Vulkan loader manifest folders (its default search path on Linux). */
function icdDirs(): string[] {
  const config = (process.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const data = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const home = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return [...config, '/etc', home, ...data].map((d) => join(d, 'vulkan', 'icd.d'));
}

/**
 * The Vulkan driver manifests the loader would use on Linux that are not
 * software renderers (VK_ICD_FILENAMES / VK_DRIVER_FILES when set). Lets
 * `auto` skip webgpu on a machine without a GPU driver without loading
 * Dawn, which would print Vulkan warnings.
 */
export function hardwareVulkanDrivers(): string[] {
  const listed = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES;
  const files = listed
    ? listed.split(':').filter(Boolean)
    : icdDirs().flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)) : []));
  return files.filter((f) => {
    let library = '';
    try {
      library = String((JSON.parse(readFileSync(f, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path ?? '');
    } catch {
      return false;
    }
    return !SOFTWARE.test(f) && !SOFTWARE.test(library) && !/vk_swiftshader/.test(library);
  });
}

type ImportOptional = (pkg: string, purpose: string) => Promise<Record<string, unknown>>;

let adapter: AdapterInfo | undefined;

/** The adapter the webgpu backend runs on, once loaded. */
export function webgpuAdapter(): AdapterInfo | undefined {
  return adapter;
}

/**
 * Makes Dawn's WebGPU the global `navigator.gpu`, checks the adapter,
 * imports tfjs-backend-webgpu and registers xlatent's WGSL kernels. Does
 * not activate the backend.
 * @param hardwareOnly refuse software adapters (what `auto` asks)
 * @throws Error saying why the backend cannot be used
 */
export async function prepareWebgpu(importOptional: ImportOptional, hardwareOnly: boolean): Promise<AdapterInfo> {
  if (hardwareOnly && process.platform === 'linux' && hardwareVulkanDrivers().length === 0) {
    throw new Error('no GPU Vulkan driver is installed (no hardware manifest in the Vulkan loader\'s icd.d folders)');
  }
  const dawn = await importOptional('webgpu', 'Dawn bindings for Node; npm install webgpu @tensorflow/tfjs-backend-webgpu');
  const create = dawn.create as ((opts: string[]) => unknown) | undefined;
  if (typeof create !== 'function') throw new Error("the 'webgpu' package has no create() (expected Dawn Node bindings)");
  Object.assign(globalThis, (dawn.globals as object | undefined) ?? {});
  const nav = globalThis as { navigator?: { gpu?: { requestAdapter(o?: object): Promise<{ info?: object } | null> } } };
  if (!nav.navigator?.gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { ...(nav.navigator ?? {}), gpu: create([]) }, configurable: true, writable: true });
  }
  // tfjs-backend-webgpu asks for the same adapter when the backend starts.
  const found = await nav.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  if (!found) {
    throw new Error('Dawn found no WebGPU adapter (no GPU driver; to test on the CPU, install chromium and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)');
  }
  const info = adapterInfo((found.info ?? {}) as Record<string, unknown>);
  if (info.software && hardwareOnly) {
    throw new Error(`the only WebGPU adapter is a software renderer, ${adapterName(info)}; auto does not use it (request --backend webgpu to)`);
  }
  await importOptional('@tensorflow/tfjs-backend-webgpu', 'npm install @tensorflow/tfjs-backend-webgpu');
  registerBackendKernels(webgpuKernels('webgpu'));
  adapter = info;
  return info;
}

/**
 * Once the backend is active: sync reads cannot work in Node (tfjs-backend-webgpu
 * reads synchronously through an OffscreenCanvas, which Node lacks), so they
 * fail with a message saying so instead of a ReferenceError.
 */
export function guardSyncReads(): void {
  const backend = tf.backend() as unknown as { readSync(id: object): unknown; xlatentGuarded?: boolean };
  if (backend.xlatentGuarded) return;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (id: object) => {
    try {
      return readSync(id);
    } catch (e) {
      if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) {
        throw new UserError('this command reads results synchronously, which the webgpu backend cannot do in Node; use --backend native, wasm or cpu for it (webgpu runs training)', 'backend');
      }
      throw e;
    }
  };
  backend.xlatentGuarded = true;
}
