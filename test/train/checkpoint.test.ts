import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCheckpoint, loadCheckpoint, recoverCheckpoint, restoreVariables, saveCheckpoint } from '../../src/train/checkpoint.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'xlatent-ckpt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('checkpoint', () => {
  it('round-trips state and variables and replaces the directory atomically', async () => {
    const a = tf.variable(tf.tensor2d([1.5, -2, 3, 1e-7], [2, 2]));
    const b = tf.variable(tf.tensor1d([42]));
    const dir = join(root, 'last');
    await saveCheckpoint(dir, { epoch: 3, note: 'x' }, [
      ['a', a],
      ['b', b],
    ]);
    await saveCheckpoint(dir, { epoch: 4, note: 'y' }, [
      ['a', a],
      ['b', b],
    ]);
    expect(readdirSync(root)).toEqual(['last']); // no temporary leftovers
    expect(hasCheckpoint(dir)).toBe(true);
    const { state, tensors } = loadCheckpoint<{ epoch: number }>(dir);
    expect(state.epoch).toBe(4);
    const a2 = tf.variable(tf.zeros([2, 2]));
    const b2 = tf.variable(tf.zeros([1]));
    restoreVariables(
      [
        ['a', a2],
        ['b', b2],
      ],
      tensors,
      dir,
    );
    expect(Array.from(a2.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(b2.dataSync()[0]).toBe(42);
    // A network of another shape is refused with a clear message.
    const wrong = tf.variable(tf.zeros([3]));
    expect(() => restoreVariables([['b', wrong]], tensors, dir)).toThrow(/shape \[1\].*expects \[3\]/);
    expect(() => restoreVariables([['c', wrong]], tensors, dir)).toThrow(/tensor c missing/);
    tf.dispose([a, b, a2, b2, wrong]);
  });

  it('reports a truncated variables file', async () => {
    const v = tf.variable(tf.ones([10]));
    const dir = join(root, 'trunc');
    await saveCheckpoint(dir, {}, [['v', v]]);
    truncateSync(join(dir, 'variables.bin'), 12);
    expect(() => loadCheckpoint(dir)).toThrow(/truncated/);
    v.dispose();
  });

  it('recovers the newest complete checkpoint after a kill between the renames of an atomic write, and cleans temporaries', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const dir = join(root, 'recover');
    mkdirSync(dir);
    // What a kill between "rename last aside" and "rename new into place" leaves: no last/, both versions under temporary names.
    await saveCheckpoint(join(dir, 'last'), { epoch: 3 }, [['v', v]]);
    renameSync(join(dir, 'last'), join(dir, '.last.4242.0a0b0c0d.tmp.old'));
    await saveCheckpoint(join(dir, '.last.4242.0a0b0c0d.tmp'), { epoch: 4 }, [['v', v]]);
    // A temporary directory killed while being filled is ignored.
    await saveCheckpoint(join(dir, '.last.4343.0e0f0a0b.tmp'), { epoch: 5 }, [['v', v]]);
    truncateSync(join(dir, '.last.4343.0e0f0a0b.tmp', 'variables.bin'), 4);
    expect(recoverCheckpoint(dir, 'last')).toBe(join(dir, 'last'));
    expect(loadCheckpoint<{ epoch: number }>(join(dir, 'last')).state.epoch).toBe(4);
    expect(readdirSync(dir)).toEqual(['last']);
    // An older complete copy beside a newer last/ is cleaned away, and last/ kept.
    await saveCheckpoint(join(dir, '.last.4444.01020304.tmp.old'), { epoch: 2 }, [['v', v]]);
    recoverCheckpoint(dir, 'last');
    expect(loadCheckpoint<{ epoch: number }>(join(dir, 'last')).state.epoch).toBe(4);
    expect(readdirSync(dir)).toEqual(['last']);
    // Nothing complete and no last/: nothing to resume.
    const empty = join(root, 'recover-empty');
    mkdirSync(empty);
    expect(recoverCheckpoint(empty, 'last')).toBeUndefined();
    v.dispose();
  });
});
