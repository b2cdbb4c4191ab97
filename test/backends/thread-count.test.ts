import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultThreadCount, idleCoresBetween, type CpuTimes } from '../../src/backends/native-addon.js';

/** Per-core counters as os.cpus() gives them, with the given user and idle times. */
const snapshot = (cores: [user: number, idle: number][]): CpuTimes => cores.map(([user, idle]) => ({ times: { user, nice: 0, sys: 0, idle, irq: 0 } }));
/** A reader of the counters that returns the given snapshots in turn. */
const readings = (...s: CpuTimes[]) => () => s.shift()!;

describe('the addon thread count', () => {
  it('counts the cores idle between two readings of the per-core counters', () => {
    const before = snapshot([[1000, 5000], [2000, 7000]]);
    // Core 0 busy the whole 100 ms, core 1 idle: one idle core.
    expect(idleCoresBetween(before, snapshot([[1100, 5000], [2000, 7100]]))).toBeCloseTo(1, 12);
    // Both idle; then both busy; then each half busy (one core's worth idle in all).
    expect(idleCoresBetween(before, snapshot([[1000, 5100], [2000, 7100]]))).toBeCloseTo(2, 12);
    expect(idleCoresBetween(before, snapshot([[1100, 5000], [2100, 7000]]))).toBe(0);
    expect(idleCoresBetween(before, snapshot([[1050, 5050], [2050, 7050]]))).toBeCloseTo(1, 12);
    // Core 0 busy, but with this process's own 100 ms (its garbage collector, say): both idle for others.
    expect(idleCoresBetween(before, snapshot([[1100, 5000], [2000, 7100]]), 100)).toBeCloseTo(2, 12);
    expect(idleCoresBetween(before, snapshot([[1100, 5000], [2000, 7100]]), 40)).toBeCloseTo(1.4, 12);
    expect(idleCoresBetween(before, snapshot([[1100, 5000], [2100, 7000]]), 500)).toBeCloseTo(2, 12);
    // Counters that did not move (a platform without them): no answer, so the load average decides.
    expect(idleCoresBetween(before, before)).toBeNull();
  });

  it('takes XLATENT_THREADS when set, else the cores idle now, rounded, at least 1 and at most the cores', () => {
    const saved = [process.env.XLATENT_THREADS, process.env.OMP_NUM_THREADS];
    try {
      process.env.XLATENT_THREADS = '3';
      expect(defaultThreadCount(readings())).toBe(3);
      delete process.env.XLATENT_THREADS;
      delete process.env.OMP_NUM_THREADS;
      const before = snapshot([[0, 0], [0, 0], [0, 0], [0, 0]]);
      // 4 cores: 1.6 idle -> 2 threads; 1.4 -> 1; none idle -> 1; all idle but 3 available -> 3.
      expect(defaultThreadCount(readings(before, snapshot([[100, 0], [100, 0], [20, 80], [20, 80]])), 4)).toBe(2);
      expect(defaultThreadCount(readings(before, snapshot([[100, 0], [100, 0], [30, 70], [30, 70]])), 4)).toBe(1);
      expect(defaultThreadCount(readings(before, snapshot([[100, 0], [100, 0], [100, 0], [100, 0]])), 4)).toBe(1);
      expect(defaultThreadCount(readings(before, snapshot([[0, 100], [0, 100], [0, 100], [0, 100]])), 3)).toBe(3);
      // This machine's own counters: a count between 1 and its cores.
      const n = defaultThreadCount();
      expect(Number.isInteger(n) && n >= 1 && n <= availableParallelism()).toBe(true);
    } finally {
      for (const [k, v] of [['XLATENT_THREADS', saved[0]], ['OMP_NUM_THREADS', saved[1]]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
