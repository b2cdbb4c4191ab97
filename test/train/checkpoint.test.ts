import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCheckpoint, loadCheckpoint, restoreVariables, saveCheckpoint } from '../../src/train/checkpoint.js';

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
});
