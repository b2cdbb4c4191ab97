import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';
import { readModelDir, writeModelDir } from '../../src/export/model-dir.js';
import { canonicalJson } from '../../src/export/metadata.js';
import { sha256Hex, metadataDigest } from '../../src/export/digest.js';
import { runNetwork } from '../../src/model/infer.js';
import { randomSpec, randomInput, syntheticMetadata } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'xlatent-modeldir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const M = 30;
const NSTYLE = 3;
function makeBundle(seed: number) {
  const rng = new Rng(seed);
  return {
    encoder: randomSpec(rng, [M, 16, NSTYLE], ['batchnorm', 'prelu']),
    decoder: randomSpec(rng, [NSTYLE, 16, M], ['swish'], 'softplus'),
    metadata: syntheticMetadata(M, NSTYLE),
  };
}

async function expectUserError(p: Promise<unknown>, ...fragments: string[]): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
  return (err as Error).message;
}

describe('model directory', () => {
  it('writes encoder/, decoder/ and metadata.json, and reads back networks with identical outputs', async () => {
    const dir = join(root, 'roundtrip');
    const b = makeBundle(1);
    const written = await writeModelDir(dir, b);
    expect(readdirSync(dir).sort()).toEqual(['decoder', 'encoder', 'metadata.json']);
    expect(written.files.map((f) => f.path)).toEqual(['decoder/model.json', 'decoder/weights.bin', 'encoder/model.json', 'encoder/weights.bin']);
    // No temporary directory left next to it.
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);

    const back = await readModelDir(dir);
    const rng = new Rng(2);
    const x = randomInput(rng, 11, M);
    const z = randomInput(rng, 11, NSTYLE);
    expect(Array.from(runNetwork(back.encoder, x, 11))).toEqual(Array.from(runNetwork(b.encoder, x, 11)));
    expect(Array.from(runNetwork(back.decoder, z, 11))).toEqual(Array.from(runNetwork(b.decoder, z, 11)));

    const meta = back.metadata;
    expect(meta.format).toBe('xlatent-model');
    expect(meta.xlatentVersion).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(meta.training.sha256).toBe(sha256Hex(canonicalJson(b.metadata.training.config)));
    expect(meta.descriptors[1]).toEqual({ name: 'OS', axis: 1, direction: -1, discrete: false });
    expect(meta.nStyle).toBe(NSTYLE);
  });

  it('the training-config hash does not depend on key order', async () => {
    const b1 = makeBundle(3);
    const b2 = makeBundle(3);
    b2.metadata.training.config = { data: { file: 'x.csv' }, network: { hidden: 16, nStyle: NSTYLE }, seed: 3 };
    const m1 = await writeModelDir(join(root, 'h1'), b1);
    const m2 = await writeModelDir(join(root, 'h2'), b2);
    expect(m1.training.sha256).toBe(m2.training.sha256);
  });

  it('a changed weight byte is reported with the file name', async () => {
    const dir = join(root, 'tamper-w');
    await writeModelDir(dir, makeBundle(4));
    const p = join(dir, 'decoder', 'weights.bin');
    const bytes = readFileSync(p);
    bytes[17] ^= 0x40;
    writeFileSync(p, bytes);
    await expectUserError(readModelDir(dir), join(dir, 'decoder', 'weights.bin'), 'checksum mismatch');
  });

  it('an edited metadata.json is reported as such', async () => {
    const dir = join(root, 'tamper-m');
    await writeModelDir(dir, makeBundle(5));
    const p = join(dir, 'metadata.json');
    const meta = JSON.parse(readFileSync(p, 'utf8'));
    meta.descriptors[0].direction = -1;
    writeFileSync(p, JSON.stringify(meta));
    await expectUserError(readModelDir(dir), 'metadata.json', 'edited');
  });

  it('schema errors name the field', async () => {
    const dir = join(root, 'schema');
    await writeModelDir(dir, makeBundle(6));
    const p = join(dir, 'metadata.json');
    const meta = JSON.parse(readFileSync(p, 'utf8'));
    meta.grid.step = 'half';
    writeFileSync(p, JSON.stringify(meta));
    await expectUserError(readModelDir(dir), 'metadata.json', 'grid');
    delete meta.grid;
    meta.descriptors[0].axis = -2;
    meta.grid = { start: 1, stop: 2, step: 1, length: 2 };
    writeFileSync(p, JSON.stringify(meta));
    await expectUserError(readModelDir(dir), 'descriptors[0].axis');
  });

  it('missing directory, metadata and weight files are named', async () => {
    await expectUserError(readModelDir(join(root, 'nope')), join(root, 'nope'), 'not found');
    const dir = join(root, 'missing');
    await writeModelDir(dir, makeBundle(7));
    rmSync(join(dir, 'encoder', 'weights.bin'));
    await expectUserError(readModelDir(dir), join(dir, 'encoder', 'weights.bin'), 'not found');
    rmSync(join(dir, 'metadata.json'));
    await expectUserError(readModelDir(dir), join(dir, 'metadata.json'), 'not found');
  });

  it('refuses networks whose widths do not match nStyle or the grid', async () => {
    const b = makeBundle(8);
    await expectUserError(writeModelDir(join(root, 'w1'), { ...b, metadata: { ...b.metadata, nStyle: 4 } }), 'encoder output width 3 differs from nStyle 4');
    const rng = new Rng(9);
    const wrongDecoder = randomSpec(rng, [NSTYLE, 8, M - 1], ['relu']);
    await expectUserError(writeModelDir(join(root, 'w2'), { ...b, decoder: wrongDecoder }), 'decoder output width 29 differs from the energy grid length 30');
    const wrongIn = randomSpec(rng, [2, 8, M], ['relu']);
    await expectUserError(writeModelDir(join(root, 'w3'), { ...b, decoder: wrongIn }), 'decoder input width 2 differs from nStyle 3');
    expect(existsSync(join(root, 'w1'))).toBe(false);
  });

  it('detects a width mismatch written by hand-made files with a consistent checksum', async () => {
    // Someone re-saves metadata with a wrong nStyle and recomputes the digest: the widths check still catches it.
    const dir = join(root, 'hand');
    await writeModelDir(dir, makeBundle(10));
    const p = join(dir, 'metadata.json');
    const meta = JSON.parse(readFileSync(p, 'utf8'));
    meta.nStyle = 5;
    meta.metadataSha256 = metadataDigest(meta);
    writeFileSync(p, JSON.stringify(meta));
    await expectUserError(readModelDir(dir), 'encoder output width 3 differs from nStyle 5');
  });
});
