/**
 * Compute backend selection. `auto` takes the fastest backend that loads, in
 * the order tensorflow-gpu, webgpu (a real GPU only, and for training only),
 * tensorflow (libtensorflow through tfjs-node), native (our OpenBLAS addon),
 * wasm, cpu; an explicitly requested backend that cannot load is a
 * UserError saying why. Optional packages (tfjs-node, tfjs-node-gpu,
 * webgpu) are imported only if installed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

import * as tf from '@tensorflow/tfjs';

import { BackendSchema, type BackendName } from '../config/schema.js';
import { UserError } from '../util/errors.js';
import { loadNativeAddon } from './native-addon.js';
import { NATIVE_BACKEND, registerNativeBackend } from './native-backend.js';
import { adapterName, guardSyncReads, prepareWebgpu, webgpuAdapter } from './webgpu.js';

/** One backend that selection attempted; `error` says why it did not load. */
export interface BackendAttempt {
  name: string;
  error?: string;
}

/** Outcome of `selectBackend`. */
export interface BackendSelection {
  /** The tfjs backend now active (`tf.getBackend()`). */
  name: string;
  /** Why it was chosen, in words for logs and run metadata. */
  reason: string;
  /** Every backend tried, in order, with the error of those that failed. */
  tried: BackendAttempt[];
}

/** Run-metadata description of the active backend. */
export interface BackendDescription {
  /** Active tfjs backend name. */
  name: string;
  /** Requested backend and why this one was chosen (empty when selectBackend was never called). */
  reason: string;
  requested?: BackendName;
  /** Versions: tfjs, plus the backend package (and libtensorflow for tfjs-node). */
  versions: Record<string, string>;
  /** Compute threads the backend uses (null when it does not say). */
  threads: number | null;
  /** BLAS library behind matrix products (null for pure-JS/wasm code). */
  blas: string | null;
  /** The GPU adapter (webgpu), e.g. "nvidia hopper (NVIDIA H200)"; null on CPU backends. */
  device: string | null;
}

/** Options of {@link selectBackend}. */
export interface SelectOptions {
  /**
   * The caller reads tensors only asynchronously (the trainer). Only then may
   * `auto` pick webgpu, whose tensors cannot be read synchronously in Node.
   */
  training?: boolean;
}

type Concrete = Exclude<BackendName, 'auto'>;

/** Order `auto` tries, fastest first: a GPU before any CPU backend. */
export const AUTO_ORDER: readonly Concrete[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);

let lastSelection: { requested: BackendName; selection: BackendSelection } | undefined;
/** Package versions behind each loaded backend, by tfjs backend name. */
const versions: Record<string, Record<string, string>> = {};
/** Threads the wasm backend runs (1 in Node: its threaded build needs cross-origin-isolated workers). */
let wasmThreads = 1;

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0];
}

function isMissing(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message(e).includes(pkg);
}

const provided = new Map<string, () => Promise<unknown>>();

/**
 * Supplies how to load an optional package that is bundled rather than
 * installed (scripts/gpu-check.ts bundles webgpu with the one tfjs-core it
 * must share); selection then uses it instead of importing the package by name.
 */
export function provideOptionalPackage(pkg: string, load: () => Promise<unknown>): void {
  provided.set(pkg, load);
}

/** Imports an optional package; a missing one becomes a plain "not installed" error. */
async function importOptional(pkg: string, purpose: string): Promise<Record<string, unknown>> {
  try {
    return (await (provided.get(pkg) ?? (() => import(pkg)))()) as Record<string, unknown>;
  } catch (e) {
    if (isMissing(e, pkg)) throw new Error(`${pkg} is not installed (${purpose})`);
    throw new Error(`${pkg} failed to load: ${message(e)}`);
  }
}

function packageVersion(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new Error(`tfjs could not initialize backend '${name}': ${message(e)}`);
  }
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs could not initialize backend '${name}'`);
}

/**
 * Whether the package's libtensorflow binding was installed. Its install
 * script downloads it, which fails offline (and npm 11 skips install scripts
 * it was not told to allow), leaving the JS behind without the binding;
 * importing that half-installed package registers kernels before failing, so
 * look for the binding first.
 */
function tfjsNodeBindingPresent(pkg: string): boolean {
  let libDir: string;
  try {
    libDir = join(dirname(require.resolve(`${pkg}/package.json`)), 'lib');
  } catch {
    return true; // not installed at all: let the import report it
  }
  if (!existsSync(libDir)) return false;
  return readdirSync(libDir).some((d) => d.startsWith('napi-v') && existsSync(join(libDir, d, 'tfjs_binding.node')));
}

async function loadTfjsNode(pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu'): Promise<void> {
  if (!tfjsNodeBindingPresent(pkg)) {
    throw new Error(`${pkg} is installed without its libtensorflow binding (its install script downloads it; run \`npm rebuild ${pkg}\` with network access)`);
  }
  const mod = await importOptional(pkg, `npm install ${pkg}; its install downloads libtensorflow`);
  // tfjs-node registers 'tensorflow' in the tfjs-core copy it imports; if that
  // is not ours, our tf cannot see it.
  if (!tf.findBackendFactory('tensorflow')) throw new Error(`${pkg} loaded but registered its backend with another copy of @tensorflow/tfjs-core (versions differ from @tensorflow/tfjs ${tf.version.tfjs})`);
  await activate('tensorflow');
  const v = (mod.version as Record<string, string> | undefined) ?? {};
  versions.tensorflow = { [pkg]: packageVersion(pkg) ?? v['tfjs-node'] ?? 'unknown', ...(v.tensorflow ? { libtensorflow: v.tensorflow } : {}) };
}

async function loadWebgpu(auto: boolean): Promise<void> {
  await prepareWebgpu(importOptional, auto);
  await activate('webgpu');
  guardSyncReads();
  versions.webgpu = { '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu') ?? 'unknown', webgpu: packageVersion('webgpu') ?? 'unknown' };
}

async function loadWasm(): Promise<void> {
  const wasm = await importOptional('@tensorflow/tfjs-backend-wasm', 'npm install @tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries must be read from the package's dist folder (beside its main file).
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  (wasm.setWasmPaths as (prefix: string) => void)(`${dist}/`);
  await activate('wasm');
  wasmThreads = (wasm.getThreadsCount as (() => number) | undefined)?.() ?? 1;
  versions.wasm = { '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm') ?? 'unknown' };
}

async function loadNative(): Promise<void> {
  registerNativeBackend();
  await activate(NATIVE_BACKEND);
}

/** Loaders by backend; `auto` is true when auto selection calls (stricter for webgpu). */
const LOADERS: Record<Concrete, (auto: boolean) => Promise<void>> = {
  'tensorflow-gpu': () => loadTfjsNode('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => loadTfjsNode('@tensorflow/tfjs-node'),
  native: loadNative,
  webgpu: loadWebgpu,
  wasm: loadWasm,
  cpu: () => activate('cpu'),
};

/**
 * Reads a `--backend` command-line value.
 * @throws UserError naming the accepted values when `value` is none of them.
 */
export function parseBackendArg(value: unknown): BackendName {
  const parsed = BackendSchema.safeParse(value);
  if (!parsed.success) throw new UserError(`--backend must be one of ${BackendSchema.options.join(', ')} (got "${String(value)}")`);
  return parsed.data;
}

/**
 * Activates a tfjs backend, and tfjs production mode: no tfjs console hints
 * such as its "install tfjs-node" banner (which backend runs is ours to
 * report). The CLI calls this before any command runs a network.
 * @param requested `auto` (fastest available) or a backend name from the config.
 * @param options what the caller does with the backend (see SelectOptions)
 * @returns the active backend, why, and every attempt.
 * @throws UserError when an explicitly requested backend cannot load (or, for auto, when none can).
 */
export async function selectBackend(requested: BackendName, options: SelectOptions = {}): Promise<BackendSelection> {
  tf.enableProdMode();
  const auto = requested === 'auto';
  const order = auto ? AUTO_ORDER : [requested];
  const tried: BackendAttempt[] = [];
  for (const name of order) {
    if (auto && name === 'webgpu' && !options.training) {
      tried.push({ name, error: 'used for training only (this command reads results synchronously)' });
      continue;
    }
    try {
      await LOADERS[name](auto);
      tried.push({ name });
      const skipped = tried.filter((t) => t.error).map((t) => `${t.name}: ${t.error}`);
      const reason =
        requested === 'auto'
          ? `auto: ${name} is the fastest backend that loaded${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
          : `requested ${name}`;
      const selection = { name: tf.getBackend(), reason, tried };
      lastSelection = { requested, selection };
      return selection;
    } catch (e) {
      tried.push({ name, error: message(e) });
    }
  }
  if (requested !== 'auto') throw new UserError(`backend '${requested}' is not available: ${tried[0].error}`, 'backend');
  throw new UserError(`no compute backend could be loaded: ${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}`, 'backend');
}

/** Describes the active backend for run metadata (name, reason, versions, threads, BLAS). */
export function describeBackend(): BackendDescription {
  const name = tf.getBackend();
  let threads: number | null = null;
  let blas: string | null = null;
  let device: string | null = null;
  if (name === NATIVE_BACKEND) {
    const load = loadNativeAddon();
    if (load.ok) {
      threads = load.addon.threads();
      blas = load.addon.blasName();
    }
  } else if (name === 'cpu') {
    threads = 1;
  } else if (name === 'wasm') {
    threads = wasmThreads;
  } else if (name === 'tensorflow') {
    blas = 'libtensorflow (Eigen)';
  } else if (name === 'webgpu') {
    const a = webgpuAdapter();
    device = a ? adapterName(a) : null;
  }
  const reason = lastSelection && lastSelection.selection.name === name ? lastSelection.selection.reason : '';
  return {
    name,
    reason,
    requested: lastSelection?.requested,
    versions: { '@tensorflow/tfjs': tf.version.tfjs, ...(versions[name] ?? {}) },
    threads,
    blas,
    device,
  };
}
