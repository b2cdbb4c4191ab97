/** Every generic (tf-op) kernel, registered from this one list for backends without their own (src/ops/run.ts). */
import { adamwGeneric } from './adamw.js';
import { batchNormTrainGeneric, batchNormTrainGradGeneric } from './batch-norm.js';
import { denseGeneric } from './dense.js';
import type { GenericKernel } from './kernel.js';
import { mlpTrainGeneric, mlpTrainGradGeneric } from './mlp.js';
import { preluGeneric, preluGradGeneric } from './prelu.js';
import { rankLossGeneric, rankLossGradGeneric } from './rank-loss.js';
import { smoothnessLossGeneric, smoothnessLossGradGeneric } from './smoothness.js';

export type { GenericKernel } from './kernel.js';

export const GENERIC_KERNELS: readonly GenericKernel[] = [
  rankLossGeneric,
  rankLossGradGeneric,
  smoothnessLossGeneric,
  smoothnessLossGradGeneric,
  batchNormTrainGeneric,
  batchNormTrainGradGeneric,
  preluGeneric,
  preluGradGeneric,
  denseGeneric,
  adamwGeneric,
  mlpTrainGeneric,
  mlpTrainGradGeneric,
];
