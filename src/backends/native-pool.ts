/**
 * Output buffers of the 'native' backend, reused instead of allocated per
 * kernel call. A training step allocates and drops hundreds of tensors of
 * the same few sizes; fresh Float32Arrays for each cost zero-filling and,
 * worse, V8 garbage collections driven by external-memory pressure (a fifth
 * of an epoch before this pool). A buffer goes back to the pool when its
 * tensor's data is released, unless it may be referenced from elsewhere:
 * once read out to a caller (dataSync, data, arraySync) or handed to one of
 * the tfjs cpu kernels (which may return views of their inputs), a buffer is
 * pinned and left to the garbage collector.
 */

/** Arrays shorter than this are not worth pooling. */
const MIN_LENGTH = 256;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Arrays this pool handed out: true while a tensor holds them, false while free. */
  private readonly state = new WeakMap<Float32Array, boolean>();
  private freeBytes = 0;

  /** @param maxFreeBytes free buffers kept at most (beyond it, released ones go to the garbage collector) */
  constructor(private readonly maxFreeBytes = 256 * 1024 * 1024) {}

  /** A Float32Array of `length` elements with arbitrary contents (the caller overwrites every element). */
  take(length: number): Float32Array {
    if (length < MIN_LENGTH) return new Float32Array(length);
    const a = this.free.get(length)?.pop();
    if (a) {
      this.freeBytes -= a.byteLength;
      this.state.set(a, true);
      return a;
    }
    const b = new Float32Array(length);
    this.state.set(b, true);
    return b;
  }

  /** Takes back an array `take` handed out and nothing else refers to any more (others are ignored). */
  give(a: unknown): void {
    if (!(a instanceof Float32Array) || this.state.get(a) !== true) return;
    if (this.freeBytes + a.byteLength > this.maxFreeBytes) {
      this.state.delete(a);
      return;
    }
    this.state.set(a, false);
    this.freeBytes += a.byteLength;
    const list = this.free.get(a.length);
    if (list) list.push(a);
    else this.free.set(a.length, [a]);
  }

  /** The array may be referenced outside its tensor from now on: never take it back. */
  pin(a: unknown): void {
    if (a instanceof Float32Array) this.state.delete(a);
  }

  /** Bytes held free for reuse. */
  get heldBytes(): number {
    return this.freeBytes;
  }
}

/** What the native backend adds to the cpu backend it derives from (src/backends/native-backend.ts). */
export interface PooledBackend {
  readonly pool: BufferPool;
  /**
   * Buffers that live as long as a tensor's data, keyed by its dataId (what
   * a fused forward pass keeps for its gradient); pooled again with it.
   */
  readonly attached: Map<object, Float32Array[]>;
}

/** An output buffer from the backend's pool (any backend without one: a fresh array). */
export function alloc(backend: unknown, length: number): Float32Array {
  const pool = (backend as Partial<PooledBackend>).pool;
  return pool ? pool.take(length) : new Float32Array(length);
}

/** Gives a temporary buffer from {@link alloc} back at once (nothing may refer to it any more). */
export function release(backend: unknown, a: Float32Array): void {
  (backend as Partial<PooledBackend>).pool?.give(a);
}
