import * as tf from '@tensorflow/tfjs';

// Keeps TF.js's "install tfjs-node" banner out of test logs; the CLI silences it with prod mode.
tf.env().set('IS_TEST', true);
