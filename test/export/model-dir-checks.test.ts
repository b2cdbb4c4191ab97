import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_FORMAT_VERSION } from '../../src/export/metadata.js';
import { readModelDir, verifyModelDir, writeModelDir } from '../../src/export/model-dir.js';
import { userErrorOf } from '../data/helpers.js';
import { resign } from './helpers.js';
import { linearModel } from './linear-model.js';

/**
 * The loader's and the writer's own checks, one at a time, in process (the
 * hostile cases through the binary are in test/safety/model-dir.test.ts).
 * Each edited metadata.json is re-signed, so the refusal comes from the
 * check named, not from a digest mismatch.
 */
const root = mkdtempSync(join(tmpdir(), 'xlatent-modeldir-checks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const lm = linearModel(40, 3);
const bundle = { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata };
const original = join(root, 'run', 'model');
beforeAll(async () => {
  await writeModelDir(original, bundle, { 'notes/readme.txt': 'hello' });
});
let copies = 0;
function copy(): string {
  const dir = join(root, `m${copies++}`);
  cpSync(original, dir, { recursive: true });
  return dir;
}

describe('verifyModelDir', () => {
  it('accepts a run directory holding model/, lists every file with its checksum, sorted', async () => {
    const { dir, metadata } = verifyModelDir(join(root, 'run'));
    expect(dir).toBe(original);
    expect(metadata.files.map((f) => f.path)).toEqual(['decoder/model.json', 'decoder/weights.bin', 'encoder/model.json', 'encoder/weights.bin', 'notes/readme.txt']);
    expect(readFileSync(join(original, 'notes', 'readme.txt'), 'utf8')).toBe('hello');
    expect((await readModelDir(join(root, 'run'))).metadata.nStyle).toBe(3);
  });

  it('a file where the directory should be', async () => {
    const f = join(root, 'file.json');
    writeFileSync(f, '{}');
    expect(await userErrorOf(() => verifyModelDir(f))).toBe(`${f}: expected a model directory (with metadata.json), found a file`);
  });

  it('a newer format version is refused before the schema is applied; the current one loads', async () => {
    const dir = copy();
    resign(dir, (m) => (m.formatVersion = MODEL_FORMAT_VERSION + 1));
    expect(await userErrorOf(() => verifyModelDir(dir))).toBe(
      `${join(dir, 'metadata.json')}: model format version ${MODEL_FORMAT_VERSION + 1} is newer than this xlatent understands (${MODEL_FORMAT_VERSION}); upgrade xlatent`,
    );
    const ok = copy();
    resign(ok, (m) => (m.formatVersion = MODEL_FORMAT_VERSION));
    expect(verifyModelDir(ok).metadata.formatVersion).toBe(MODEL_FORMAT_VERSION);
  });

  it('a file list without a network file (re-signed) names the missing entry', async () => {
    for (const missing of ['encoder/weights.bin', 'decoder/model.json']) {
      const dir = copy();
      resign(dir, (m) => (m.files = m.files.filter((f: { path: string }) => f.path !== missing)));
      expect(await userErrorOf(() => verifyModelDir(dir))).toBe(`${join(dir, 'metadata.json')}: the file list lacks ${missing}`);
    }
  });

  it('a listed file whose bytes changed: the checksum message with the expected digest prefix and size', async () => {
    const dir = copy();
    const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
    const entry = meta.files.find((f: { path: string }) => f.path === 'notes/readme.txt');
    writeFileSync(join(dir, 'notes', 'readme.txt'), 'HELLO');
    expect(await userErrorOf(() => verifyModelDir(dir))).toBe(
      `${join(dir, 'notes', 'readme.txt')}: SHA-256 checksum mismatch: the file was modified or corrupted after the model was written (expected ${entry.sha256.slice(0, 12)}..., 5 bytes)`,
    );
  });

  it('readModelDir refuses a baseline (reducer) directory, naming its method', async () => {
    const dir = copy();
    resign(dir, (m) => {
      m.kind = 'reducer';
      m.method = 'pca';
      m.files.push({ path: 'reducer.json', sha256: '', bytes: 0 });
    });
    writeFileSync(join(dir, 'reducer.json'), '{}');
    resign(dir);
    expect(verifyModelDir(dir).metadata.kind).toBe('reducer');
    expect(await userErrorOf(() => readModelDir(dir))).toBe(
      `${join(dir, 'metadata.json')}: this is a pca baseline model: it has a fitted reducer, not encoder and decoder networks`,
    );
  });
});

describe('writeModelDir', () => {
  it('a RankAAE model needs both networks; a reducer model its method and reducer.json', async () => {
    const out = join(root, 'w');
    expect(await userErrorOf(() => writeModelDir(out, { encoder: lm.encoder, metadata: lm.metadata }))).toBe(`${out}: a RankAAE model needs an encoder and a decoder`);
    expect(await userErrorOf(() => writeModelDir(out, { decoder: lm.decoder, metadata: lm.metadata }))).toBe(`${out}: a RankAAE model needs an encoder and a decoder`);
    const reducerMeta = { ...lm.metadata, kind: 'reducer' as const };
    expect(await userErrorOf(() => writeModelDir(out, { metadata: reducerMeta }, { 'reducer.json': '{}' }))).toBe(`${out}: a reducer model needs its method name`);
    expect(await userErrorOf(() => writeModelDir(out, { metadata: { ...reducerMeta, method: 'pca' } }))).toBe(`${out}: a reducer model needs reducer.json`);
    const written = await writeModelDir(out, { metadata: { ...reducerMeta, method: 'pca' } }, { 'reducer.json': '{"a":1}' });
    expect(written.files.map((f) => f.path)).toEqual(['reducer.json']);
    expect(readdirSync(out).sort()).toEqual(['metadata.json', 'reducer.json']);
  });

  it('extra file names that climb out or replace metadata.json are refused, nothing written', async () => {
    for (const name of ['../x.txt', 'a/../../x.txt', 'metadata.json']) {
      const out = join(root, `x${copies++}`);
      expect(await userErrorOf(() => writeModelDir(out, bundle, { [name]: 'x' }))).toBe(`${out}: extra file name not allowed: ${name}`);
      expect(readdirSync(root)).not.toContain(out.slice(root.length + 1));
    }
  });

  it('invalid metadata is refused naming the field', async () => {
    const out = join(root, 'bad');
    const msg = await userErrorOf(() => writeModelDir(out, { ...bundle, metadata: { ...lm.metadata, nStyle: 'three' as unknown as number } }));
    expect(msg).toMatch(new RegExp(`^${out}: invalid model metadata: field "nStyle": `));
  });
});
