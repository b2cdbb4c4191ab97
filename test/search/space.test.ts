import { describe, expect, it } from 'vitest';
import { compareScores, promote, promotedCount, rungBudgets } from '../../src/search/halving.js';
import { DomainSchema } from '../../src/search/schema.js';
import { drawRandom, gridCombinations, gridValues, setPath, sortedSpace } from '../../src/search/space.js';

const domain = (d: unknown) => DomainSchema.parse(d);

describe('search space', () => {
  const space = sortedSpace({
    'optimizer.lr': domain({ logRange: [1e-4, 1e-2] }),
    'losses.rank.weight': domain({ range: [0.5, 2] }),
    'network.depth': domain({ intRange: [2, 6] }),
    'network.hidden': domain({ intRange: [8, 512], log: true }),
    'network.activation': domain({ choice: ['prelu', 'swish', 'relu'] }),
  });

  it('draws each trial from its own seeded generator: same seed and index, same values, whatever the other trials', () => {
    expect(drawRandom(space, 5, 3)).toEqual(drawRandom(space, 5, 3));
    expect(drawRandom(space, 5, 3)).not.toEqual(drawRandom(space, 5, 4));
    expect(drawRandom(space, 5, 3)).not.toEqual(drawRandom(space, 6, 3));
    // Order of the file's keys does not matter: paths are sorted.
    const reordered = sortedSpace(Object.fromEntries([...space].reverse()));
    expect(drawRandom(reordered, 5, 3)).toEqual(drawRandom(space, 5, 3));
  });

  it('keeps draws inside their ranges with the right distribution (log-uniform median near the geometric mean)', () => {
    const draws = Array.from({ length: 2000 }, (_, i) => drawRandom(space, 11, i));
    const lr = draws.map((d) => d['optimizer.lr'] as number).sort((a, b) => a - b);
    expect(lr[0]).toBeGreaterThanOrEqual(1e-4);
    expect(lr[lr.length - 1]).toBeLessThanOrEqual(1e-2);
    // Median of log-uniform on [1e-4, 1e-2] is 1e-3; a uniform draw would put it near 5e-3.
    expect(Math.log10(lr[1000])).toBeCloseTo(-3, 0.7);
    const below = lr.filter((v) => v < 1e-3).length / lr.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
    const w = draws.map((d) => d['losses.rank.weight'] as number);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...w)).toBeLessThanOrEqual(2);
    const depths = new Set(draws.map((d) => d['network.depth']));
    expect([...depths].sort()).toEqual([2, 3, 4, 5, 6]); // both ends inclusive
    const hidden = draws.map((d) => d['network.hidden'] as number);
    expect(hidden.every((h) => Number.isInteger(h) && h >= 8 && h <= 512)).toBe(true);
    expect(hidden.filter((h) => h < 64).length / hidden.length).toBeGreaterThan(0.4); // log: half the draws below sqrt(8*512)
    expect(new Set(draws.map((d) => d['network.activation']))).toEqual(new Set(['prelu', 'swish', 'relu']));
  });

  it('expands a grid into every combination, the last path fastest, with evenly or log-spaced range values', () => {
    expect(gridValues('a', domain({ logRange: [1e-4, 1e-2], points: 3 }))).toEqual([1e-4, 1e-3, 1e-2]);
    expect(gridValues('a', domain({ range: [0, 1], points: 5 }))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(gridValues('a', domain({ intRange: [2, 4] }))).toEqual([2, 3, 4]);
    expect(gridValues('a', domain({ intRange: [16, 256], log: true, points: 5 }))).toEqual([16, 32, 64, 128, 256]);
    expect(() => gridValues('a', domain({ range: [0, 1] }))).toThrow(/needs `points`/);
    const grid = gridCombinations(sortedSpace({ x: domain({ choice: [1, 2] }), y: domain({ choice: ['a', 'b', 'c'] }) }));
    expect(grid).toEqual([
      { x: 1, y: 'a' }, { x: 1, y: 'b' }, { x: 1, y: 'c' },
      { x: 2, y: 'a' }, { x: 2, y: 'b' }, { x: 2, y: 'c' },
    ]);
    expect(() => gridCombinations(sortedSpace({ x: domain({ intRange: [1, 200] }), y: domain({ intRange: [1, 200] }) }))).toThrow(/40000 combinations/);
  });

  it('rejects malformed domains', () => {
    expect(DomainSchema.safeParse({ range: [2, 1] }).error?.issues[0].message).toMatch(/low end must be below/);
    expect(DomainSchema.safeParse({ range: [0, 1], choice: [1] }).error?.issues[0].message).toMatch(/exactly one of/);
    expect(DomainSchema.safeParse({ logRange: [0, 1] }).success).toBe(false);
    expect(DomainSchema.safeParse({ intRange: [0, 4], log: true }).error?.issues[0].message).toMatch(/low >= 1/);
    expect(DomainSchema.safeParse({ choice: [1, 2], points: 3 }).error?.issues[0].message).toMatch(/points/);
    expect(DomainSchema.safeParse({ ranges: [0, 1] }).success).toBe(false);
  });

  it('sets dotted paths, creating the objects on the way', () => {
    const o: Record<string, unknown> = { network: { hidden: 1 } };
    setPath(o, 'network.discriminator.hidden', 5);
    setPath(o, 'network.hidden', 7);
    expect(o).toEqual({ network: { hidden: 7, discriminator: { hidden: 5 } } });
  });
});

describe('successive halving', () => {
  it('budgets grow by the reduction factor and end exactly at maxEpochs', () => {
    expect(rungBudgets(5, 45, 3)).toEqual([5, 15, 45]);
    expect(rungBudgets(5, 40, 3)).toEqual([5, 15, 40]);
    expect(rungBudgets(2, 8, 2)).toEqual([2, 4, 8]);
    expect(rungBudgets(8, 8, 2)).toEqual([8]);
    expect(() => rungBudgets(9, 8, 2)).toThrow();
  });

  it('promotes the best 1/reduction (at least one), missing scores last, ties by draw order', () => {
    expect(promotedCount(9, 3)).toBe(3);
    expect(promotedCount(2, 3)).toBe(1);
    const scores = [
      { index: 0, score: 0.2 },
      { index: 1, score: null },
      { index: 2, score: 0.9 },
      { index: 3, score: 0.5 },
      { index: 4, score: 0.5 },
      { index: 5, score: 0.1 },
    ];
    expect(promote(scores, 2)).toEqual([2, 3, 4]);
    expect(promote(scores, 3)).toEqual([2, 3]);
    expect(promote(scores, 10)).toEqual([2]);
    expect([...scores].sort(compareScores).map((s) => s.index)).toEqual([2, 3, 4, 0, 5, 1]);
  });
});
