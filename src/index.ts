/**
 * xlatent as a library: the functions the `xlatent` commands run, for
 * scripts, notebooks and services. Data flows one way:
 *
 *   readSpectra / loadSpectra (files) -> SpectralDataset
 *     -> fitNormalization / applyNormalization (stored with the model)
 *     -> trainModel (RankAAE, or an unconstrained AAE) | runBaseline (PCA, MDS, t-SNE, UMAP)
 *     -> model directory -> loadModel -> embedSpectra / evaluateModel / decoderSweep /
 *        maskingRelevance / interpolateLatent / clusterStudy / buildReport
 *
 * ```ts
 * import { loadModel, embedSpectra, readSpectra, selectBackend } from 'xlatent';
 * await selectBackend('auto');                       // fastest TF.js backend that loads (RankAAE models)
 * const model = await loadModel('runs/quickstart');   // a RankAAE run or a baseline directory
 * const r = embedSpectra(model, await readSpectra('measured.xdi'));
 * console.log(r.latent, r.predicted, r.oodPercentile);
 * ```
 *
 * Every function validates its input and throws UserError (with the file,
 * field or parameter at fault) on bad input. In a browser use
 * 'xlatent/browser' (src/browser.ts): model loading from URLs, embedding and
 * decoding without Node modules.
 */

// ---- data: reading, grids, synthetic sets ----
export type { SpectralDataset, RawSpectrum } from './data/dataset.js';
export { selectRows } from './data/dataset.js';
export { readSpectra, writeSpectra, formatNames, readers, type WriteOptions } from './data/formats/index.js';
export type { FormatReader, ReadOptions, ReadResult } from './data/formats/reader.js';
export { loadSpectra, selectDescriptors, type LoadOptions, type LoadResult } from './data/load.js';
export { applyGrid, assembleSpectra, gridFromSpec, resampleDataset, type GridSpec } from './data/grid.js';
export { splitRows, type Split, type SplitFractions } from './data/split.js';
export { synthesizeXanes, type SynthOptions } from './data/synth.js';
export { synthesizeXrd, XRD_PHASES, type XrdPhase, type XrdSynthOptions } from './data/synth-xrd.js';

// ---- preprocessing ----
export { applyNormalization, fitNormalization, invertNormalization, type NormalizationKind, type NormalizationParams } from './data/normalize.js';
export { normalizeSpectrum, normalizeXas, type NormalizationParams as XasNormalizationParams } from './data/xas/normalize.js';
export { preprocessXrd, qToTwoTheta, snipBackground, twoThetaToQ, type XrdPreprocessing } from './data/xrd.js';

// ---- configs ----
export { TrainConfigSchema, type TrainConfig } from './config/schema.js';
export { BaselineConfigSchema, CompareConfigSchema, type BaselineConfig, type CompareConfig } from './config/baseline.js';
export { loadConfigFile, loadTrainConfig } from './config/load.js';

// ---- training ----
export { selectBackend, describeBackend } from './backends/select.js';
export { trainModel, type TrainedModel, type TrainModelOptions } from './pipeline/train-model.js';
export { prepareData, type PreparedData } from './pipeline/prepare-data.js';
export { RankAAETrainer, type TrainerOptions, type TrainingArrays, type TrainResult } from './train/trainer.js';
export { validationMetrics, type ValidationMetrics } from './train/score.js';

// ---- baselines ----
export { createReducer, loadReducer, REDUCER_NAMES, type ReducerName } from './reducers/registry.js';
export type { Reducer, ReducerJSON, ReducerParams } from './reducers/reducer.js';
export { Pca, type PcaParams } from './reducers/pca.js';
export { Mds, type MdsParams } from './reducers/mds.js';
export { Tsne, type TsneParams } from './reducers/tsne.js';
export { Umap, type UmapParams } from './reducers/umap.js';
export { runBaseline, type BaselineRun } from './pipeline/baseline.js';
export { runCompare, type CompareEntry } from './pipeline/compare.js';
export { buildEnsembleModel, type BuildEnsembleOptions, type BuiltModel } from './pipeline/ensemble.js';
export { runCrossValidation, formatCrossValidation, type CrossValidation, type CrossValidationOptions } from './pipeline/cross-validate.js';

// ---- model directories, embedding, export ----
export { loadModel } from './export/load-model.js';
export { networkModel, requireDecoder, type LatentModel } from './export/latent-model.js';
export { readModelDir, verifyModelDir, writeModelDir, type ModelBundle } from './export/model-dir.js';
export type { ModelMetadata } from './export/metadata.js';
export { embedSpectra, prepareForModel, type EmbedResult, type SpectraInput } from './export/embed.js';
export { writeEmbedding, type EmbedFormat } from './export/embed-output.js';
export { fitReadout, predictReadout, type Readout } from './export/readout.js';
export { exportOnnx, exportTfjs } from './export/bundle.js';
export { runModel, evaluateEnsemble, type ModelOutputs } from './export/ensemble.js';
export { buildHeldOutOod, scoreOod, type HeldOutOodReference, type OodScores } from './export/ood.js';

// ---- evaluation ----
export { evaluateModel, formatModelEvaluation, type BaselineEvaluation } from './pipeline/evaluate.js';
export { evaluateLatents, formatEvaluation, type Evaluation } from './metrics/evaluation.js';
export { embeddingMetrics, type EmbeddingMetrics } from './metrics/embedding-metrics.js';
export { adjustedRandIndex, kMeans } from './metrics/clustering.js';
export { silhouetteScore } from './metrics/silhouette.js';

// ---- analysis: sweeps, relevance, interpolation, clustering, report ----
export { loadModelContext, loadDataForModel, referenceLatents, type ModelContext, type ReferenceLatents } from './analysis/model-context.js';
export { decoderSweep, type SweepOptions, type SweepResult } from './analysis/sweep.js';
export { maskingRelevance, type RelevanceOptions, type RelevanceResult } from './analysis/relevance.js';
export { interpolateLatent, type LatentInterpolation } from './analysis/interpolation.js';
export { assignClusters, clusterAgreement, fitClusters, type ClusterFit, type ClusterOptions } from './analysis/clustering.js';
export { clusterStudy, type ClusterStudy, type ClusterStudyOptions } from './analysis/cluster-study.js';
export { hdbscan, hdbscanAssign, type HdbscanOptions, type HdbscanResult } from './analysis/hdbscan.js';
export { buildReport, type Report, type ReportOptions } from './report/report.js';

export { UserError } from './util/errors.js';
