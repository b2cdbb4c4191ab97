import { UserError, check } from '../util/errors.js';

/**
 * The contract every dimensionality reducer follows, modelled on
 * scikit-learn's estimators: parameters are fixed and validated at
 * construction, `fit` learns from n x m spectra (row-major Float32Array),
 * `transform` maps new spectra, and the fitted state round-trips through
 * JSON so a saved baseline can embed spectra later.
 */
export interface Reducer<P extends ReducerParams = ReducerParams> {
  /** Method name as the registry and CLI know it ("pca", "mds", "tsne", "umap"). */
  readonly name: string;
  /** Resolved parameters (defaults filled in). */
  readonly params: Readonly<P>;
  /** True once fit() has run (or the reducer was loaded fitted). */
  readonly fitted: boolean;
  /**
   * Learns the embedding of n spectra of m points each. Checks that depend
   * on n or m (perplexity < n, neighbours < n, components <= m) run before
   * any work and throw UserError.
   */
  fit(X: Float32Array, n: number, m: number): this;
  /** Embeds n new spectra (same m as at fit) -> n x nComponents row-major. */
  transform(X: Float32Array, n: number): Float32Array;
  /** Fits and returns the embedding of the training spectra themselves (for t-SNE/UMAP this is the optimized layout, not transform()). */
  fitTransform(X: Float32Array, n: number, m: number): Float32Array;
  /** Method-specific facts about the fit (explained variance, final KL divergence, stress...). */
  summary(): Record<string, unknown>;
  /** Serializable fitted state; {@link loadReducer} in registry.ts restores it. */
  toJSON(): ReducerJSON;
}

/** Parameters every reducer has. */
export interface ReducerParams {
  /** Output dimensions. */
  nComponents: number;
}

/** Saved form of a reducer. */
export interface ReducerJSON {
  format: 'xlatent-reducer';
  version: 1;
  name: string;
  params: Record<string, unknown>;
  /** Input dimension m seen at fit. */
  m: number;
  state: Record<string, unknown>;
}

/**
 * Shared plumbing: input checks, fitted-state bookkeeping and JSON framing.
 * Subclasses implement fitImpl (returning the training embedding),
 * transformImpl, and get/setState.
 */
export abstract class BaseReducer<P extends ReducerParams> implements Reducer<P> {
  abstract readonly name: string;
  readonly params: Readonly<P>;
  /** Input dimension at fit; 0 when unfitted. */
  protected m = 0;

  constructor(params: P) {
    check(
      Number.isInteger(params.nComponents) && params.nComponents >= 1,
      `nComponents must be a positive integer (got ${params.nComponents})`,
      'params.nComponents',
    );
    this.params = Object.freeze({ ...params });
  }

  get fitted(): boolean {
    return this.m > 0;
  }

  fit(X: Float32Array, n: number, m: number): this {
    this.fitTransform(X, n, m);
    return this;
  }

  fitTransform(X: Float32Array, n: number, m: number): Float32Array {
    checkMatrix(X, n, m, 'fit');
    check(
      this.params.nComponents <= m,
      `nComponents (${this.params.nComponents}) must not exceed the number of points per spectrum (${m})`,
      'params.nComponents',
    );
    this.checkSize(n, m);
    const Y = this.fitImpl(X, n, m);
    this.m = m;
    return Y;
  }

  transform(X: Float32Array, n: number): Float32Array {
    if (!this.fitted) throw new UserError(`${this.name}: transform() called before fit()`);
    checkMatrix(X, n, this.m, 'transform');
    return this.transformImpl(X, n);
  }

  summary(): Record<string, unknown> {
    return {};
  }

  toJSON(): ReducerJSON {
    if (!this.fitted) throw new UserError(`${this.name}: cannot save an unfitted reducer`);
    return {
      format: 'xlatent-reducer',
      version: 1,
      name: this.name,
      params: { ...this.params } as Record<string, unknown>,
      m: this.m,
      state: this.getState(),
    };
  }

  /** Restores fitted state saved by toJSON (called by the registry's loader). */
  restore(json: ReducerJSON): this {
    this.m = json.m;
    this.setState(json.state);
    return this;
  }

  /** Checks that depend on the number of spectra (perplexity < n, ...); throw UserError. */
  protected checkSize(n: number, m: number): void {
    void n;
    void m;
  }
  protected abstract fitImpl(X: Float32Array, n: number, m: number): Float32Array;
  protected abstract transformImpl(X: Float32Array, n: number): Float32Array;
  protected abstract getState(): Record<string, unknown>;
  protected abstract setState(state: Record<string, unknown>): void;
}

/** Throws UserError unless X holds n x m finite values. */
export function checkMatrix(X: ArrayLike<number>, n: number, m: number, what: string): void {
  check(Number.isInteger(n) && n >= 1, `${what}: number of spectra must be a positive integer (got ${n})`);
  check(Number.isInteger(m) && m >= 1, `${what}: points per spectrum must be a positive integer (got ${m})`);
  check(X.length === n * m, `${what}: expected ${n} x ${m} = ${n * m} values, got ${X.length}`);
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i])) {
      throw new UserError(`${what}: non-finite value ${X[i]} at spectrum ${Math.floor(i / m)}, point ${i % m} (0-based)`);
    }
  }
}

/** Typed arrays travel in JSON as base64 of their little-endian bytes (compact and exact). */
export function encodeArray(a: Float32Array | Float64Array | Int32Array): { dtype: string; length: number; base64: string } {
  const dtype = a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'int32';
  return { dtype, length: a.length, base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

export function decodeArray(
  v: unknown,
  where = 'state',
): Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> {
  const o = v as { dtype?: string; length?: number; base64?: string };
  if (!o || typeof o.base64 !== 'string' || typeof o.length !== 'number') {
    throw new UserError('expected an encoded array {dtype, length, base64}', where);
  }
  const buf = Buffer.from(o.base64, 'base64');
  const bytes = new Uint8Array(buf.length);
  bytes.set(buf);
  const out =
    o.dtype === 'float32'
      ? new Float32Array(bytes.buffer)
      : o.dtype === 'float64'
        ? new Float64Array(bytes.buffer)
        : o.dtype === 'int32'
          ? new Int32Array(bytes.buffer)
          : null;
  if (!out) throw new UserError(`unknown dtype "${o.dtype}"`, where);
  if (out.length !== o.length) throw new UserError(`array length ${out.length} differs from the stated ${o.length}`, where);
  return out;
}

export function decodeF32(v: unknown, where?: string): Float32Array<ArrayBuffer> {
  const a = decodeArray(v, where);
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

export function decodeF64(v: unknown, where?: string): Float64Array<ArrayBuffer> {
  const a = decodeArray(v, where);
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

/** Validates an optional numeric parameter; returns the default when absent. */
export function numParam(
  value: number | undefined,
  fallback: number,
  name: string,
  rule: { int?: boolean; min?: number; max?: number; gt?: number },
): number {
  const v = value ?? fallback;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!rule.int || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.max === undefined || v <= rule.max) &&
    (rule.gt === undefined || v > rule.gt);
  if (!ok) {
    const parts = [rule.int ? 'an integer' : 'a number'];
    if (rule.gt !== undefined) parts.push(`> ${rule.gt}`);
    if (rule.min !== undefined) parts.push(`>= ${rule.min}`);
    if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
    throw new UserError(`expected ${parts.join(' ')} (got ${JSON.stringify(value)})`, `params.${name}`);
  }
  return v;
}
