/** Evaluation metrics shared by the baselines and the RankAAE evaluation. */
export * from './correlation.js';
export * from './regression.js';
export * from './classification.js';
export * from './normality.js';
export * from './normal-distribution.js';
export * from './axes.js';
export * from './reconstruction.js';
export * from './neighborhood.js';
export * from './knn-prediction.js';
export * from './clustering.js';
export * from './embedding-metrics.js';
