import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { FormatReader } from '../../src/data/formats/reader.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary folder for one test's fixture files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'xlatent-formats-'));
}

/** Writes `content` to dir/rel (creating sub-folders) and returns the path. */
export function put(dir: string, rel: string, content: string | Uint8Array): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

/** Arctan K-edge mu(E) on a sloped background, sampled at `energies`. */
export function edge(energies: number[], e0: number, step: number): number[] {
  return energies.map((e) => 0.8 - 2e-4 * (e - e0) + step * (0.5 + Math.atan((e - e0) / 1.2) / Math.PI));
}

/** lo, lo + de, ... up to hi. */
export function range(lo: number, hi: number, de: number): number[] {
  const out: number[] = [];
  for (let i = 0; lo + i * de <= hi + 1e-9; i++) out.push(+(lo + i * de).toFixed(6));
  return out;
}

/** A registry entry that detects its files by content: its name, its description, its verdict on two heads, and the ids it reads from `file`. */
export function expectContentReader(reader: FormatReader, want: { name: string; describe: RegExp; file: string; yes: string; no: string; ids: string[] }): void {
  expect(reader.name).toBe(want.name);
  expect(reader.describe).toMatch(want.describe);
  expect(reader.detect(want.file, Buffer.from(want.yes))).toBe(true);
  expect(reader.detect(want.file, Buffer.from(want.no))).toBe(false);
  expect((reader.read(want.file, {}) as Array<{ id: string }>).map((s) => s.id)).toEqual(want.ids);
}
