import type { TrainConfig } from '../config/schema.js';
import { selectionMode, selectionNote } from '../train/selection.js';
import type { TrainingArrays } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { dataSourceName, type PreparedData } from './prepare-data.js';

/** Fewer rows than this make a Spearman correlation (and so the validation score) unreliable. */
export const MIN_RELIABLE_ROWS = 20;

/** Labelled rows and the distinct values of descriptor j in one split. */
function labelStats(part: TrainingArrays, j: number): { labelled: number; first: number; constant: boolean } {
  let labelled = 0;
  let first = NaN;
  let constant = true;
  for (let i = 0; i < part.n; i++) {
    const v = part.y[i * part.k + j];
    if (!Number.isFinite(v)) continue;
    if (labelled === 0) first = v;
    else if (v !== first) constant = false;
    labelled++;
  }
  return { labelled, first, constant };
}

/**
 * Checks, before anything is written, what would otherwise fail only after
 * training (a model needs at least 2 grid points; every descriptor's axis
 * calibration needs at least 2 labelled training rows) and returns warnings
 * for data that trains but badly: constant or barely labelled descriptors,
 * tiny or empty validation and test splits.
 */
export function checkTrainingData(cfg: TrainConfig, data: PreparedData): string[] {
  const where = dataSourceName(cfg.data);
  const { train, validation, test } = data;
  if (train.m < 2) {
    throw new UserError(`the spectra have ${train.m} grid point${train.m === 1 ? '' : 's'}; training needs at least 2 (check the file's energy columns or data.grid)`, where);
  }
  const warnings: string[] = [];
  cfg.data.descriptors.forEach((name, j) => {
    const t = labelStats(train, j);
    if (t.labelled < 2) {
      throw new UserError(
        `descriptor ${name} is labelled on ${t.labelled} of the ${train.n} training rows (missing or NaN elsewhere); at least 2 are needed to tie an axis to it`,
        where,
      );
    }
    if (t.constant) warnings.push(`descriptor ${name} has the same value (${t.first}) on every labelled training row: its axis gets nothing to order and its correlations are undefined`);
    else if (t.labelled < MIN_RELIABLE_ROWS) warnings.push(`descriptor ${name} is labelled on only ${t.labelled} of the ${train.n} training rows: its axis is barely constrained`);
    const v = labelStats(validation, j);
    if (validation.n >= MIN_RELIABLE_ROWS && v.labelled < MIN_RELIABLE_ROWS) {
      warnings.push(`descriptor ${name} is labelled on only ${v.labelled} validation rows: its validation correlation is unreliable`);
    }
  });
  if (validation.n === 0) {
    warnings.push('the split has no validation rows: the best epoch is chosen by the score on the training rows, which favours overfitting');
  } else if (validation.n < MIN_RELIABLE_ROWS) {
    warnings.push(`the validation split has only ${validation.n} row${validation.n === 1 ? '' : 's'}: Spearman correlations on fewer than ${MIN_RELIABLE_ROWS} rows are unreliable, so the choice of the best epoch is noisy (raise data.split.validation)`);
  }
  const note = validation.n > 0 ? selectionNote(selectionMode(validation.n, cfg.training.selection), validation.n, cfg.training.selection) : undefined;
  if (note) warnings.push(note);
  if (test.n === 0) {
    warnings.push(`the split has no test rows: evaluation.json scores the ${validation.n > 0 ? 'validation' : 'training'} rows, which also chose the model, so it is optimistic`);
  } else if (test.n < MIN_RELIABLE_ROWS) {
    warnings.push(`the test split has only ${test.n} row${test.n === 1 ? '' : 's'}: its evaluation is unreliable`);
  }
  return warnings;
}
