/**
 * The rank term of RankAAE: the fused rank-loss op (src/ops/index.ts, where
 * its definition is documented), one kernel on every backend.
 */
export { rankLoss } from '../../ops/index.js';
