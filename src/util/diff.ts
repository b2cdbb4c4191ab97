/**
 * The leaves where two JSON-like values differ, as `path: before -> after`
 * (e.g. `training.batchSize: 64 -> 32`), in key order; empty when equal.
 * Arrays are compared as whole values.
 */
export function changedFields(before: unknown, after: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedFields(before[k], after[k], path ? `${path}.${k}` : k));
  }
  const a = JSON.stringify(before);
  const b = JSON.stringify(after);
  return a === b ? [] : [`${path || '(value)'}: ${a ?? 'absent'} -> ${b ?? 'absent'}`];
}
