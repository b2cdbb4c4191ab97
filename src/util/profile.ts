/**
 * An opt-in wall-clock profile of named, nested sections: trainer phases
 * (batch assembly, each sub-step, validation, callbacks) and the kernels a
 * backend runs (the native backend times each of its kernels through
 * {@link timedKernel}). Each section's self time excludes the sections
 * inside it, so a fused kernel whose generic version runs tf ops is not
 * counted twice (tf.profile counts those ops again inside it). While no
 * profile is recording, a section costs one branch. `npm run bench` prints
 * the profile of a training epoch (scripts/bench.mjs).
 */
/** What a section is: a trainer phase or a backend kernel. */
export type SectionKind = 'phase' | 'kernel';

/** Totals of one section name over a profile. */
export interface SectionTotals {
  kind: SectionKind;
  name: string;
  calls: number;
  /** Wall ms inside this section, nested sections included. */
  totalMs: number;
  /** Wall ms inside this section and in no section nested in it. */
  selfMs: number;
  /** CPU ms of the process (all its threads) inside this phase, nested phases included (kernels: not measured, 0). */
  totalCpuMs: number;
}

/** A finished profile. */
export interface ProfileReport {
  /** Wall ms from start to stop. */
  wallMs: number;
  /** CPU ms of the process (all threads) from start to stop: on a loaded machine, closer to what the work costs. */
  cpuMs: number;
  /** Every section name seen, largest self time first. */
  sections: SectionTotals[];
  /** Wall ms the garbage collector paused the thread (V8's gc entries). */
  gcMs: number;
}

interface Frame {
  key: string;
  start: number;
  cpuStart: number;
  /** Wall ms of the sections nested directly inside. */
  inner: number;
}

interface Recording {
  t0: number;
  cpu0: number;
  totals: Map<string, SectionTotals>;
  stack: Frame[];
  gcMs: number;
  observer?: PerformanceObserver;
}

let rec: Recording | undefined;

/** Whether a profile is recording. */
export function profiling(): boolean {
  return rec !== undefined;
}

/** Starts recording (a recording in progress is discarded). */
export function startProfile(): void {
  const r: Recording = { t0: performance.now(), cpu0: cpuNow(), totals: new Map(), stack: [], gcMs: 0 };
  try {
    // The global PerformanceObserver (no node: import, so browser bundles stay free of Node modules).
    r.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) r.gcMs += e.duration;
    });
    r.observer.observe({ entryTypes: ['gc'] });
  } catch {
    // Without gc entries (another runtime) the profile simply has no GC figure.
  }
  rec = r;
}

/** Stops recording and returns the totals. */
export function stopProfile(): ProfileReport {
  const r = rec;
  if (!r) throw new Error('stopProfile: no profile is recording');
  rec = undefined;
  if (r.observer) {
    for (const e of r.observer.takeRecords()) r.gcMs += e.duration;
    r.observer.disconnect();
  }
  const sections = [...r.totals.values()].sort((a, b) => b.selfMs - a.selfMs);
  return { wallMs: performance.now() - r.t0, cpuMs: cpuNow() - r.cpu0, sections, gcMs: r.gcMs };
}

/** CPU ms used by the process so far (0 where the runtime cannot say). */
function cpuNow(): number {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  if (!p?.cpuUsage) return 0;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1000;
}

function enter(kind: SectionKind, name: string): Frame {
  // CPU time costs a system call: phases only, kernels are too many.
  const frame = { key: `${kind}\u0000${name}`, start: performance.now(), cpuStart: kind === 'phase' ? cpuNow() : 0, inner: 0 };
  rec!.stack.push(frame);
  if (!rec!.totals.has(frame.key)) rec!.totals.set(frame.key, { kind, name, calls: 0, totalMs: 0, selfMs: 0, totalCpuMs: 0 });
  return frame;
}

function leave(r: Recording, frame: Frame): void {
  const ms = performance.now() - frame.start;
  // A section left out of order (an exception unwinding) closes those opened after it.
  while (r.stack.length > 0 && r.stack.pop() !== frame);
  const t = r.totals.get(frame.key)!;
  t.calls++;
  t.totalMs += ms;
  t.selfMs += ms - frame.inner;
  if (t.kind === 'phase') t.totalCpuMs += cpuNow() - frame.cpuStart;
  const parent = r.stack[r.stack.length - 1];
  if (parent) parent.inner += ms;
}

/** Runs f as section `name` of `kind` (just runs it while no profile records). */
export function section<T>(kind: SectionKind, name: string, f: () => T): T {
  const r = rec;
  if (!r) return f();
  const frame = enter(kind, name);
  try {
    return f();
  } finally {
    if (rec === r) leave(r, frame);
  }
}

/** As {@link section} for an asynchronous f (nothing else may record while it awaits). */
export async function sectionAsync<T>(kind: SectionKind, name: string, f: () => Promise<T>): Promise<T> {
  const r = rec;
  if (!r) return f();
  const frame = enter(kind, name);
  try {
    return await f();
  } finally {
    if (rec === r) leave(r, frame);
  }
}

/** `f` timed as kernel `name` whenever a profile records (a backend wraps its kernel functions in this). */
export function timedKernel<A extends unknown[], R>(name: string, f: (...args: A) => R): (...args: A) => R {
  return (...args: A) => (rec ? section('kernel', name, () => f(...args)) : f(...args));
}
