import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, at } from '../util/errors.js';

/** One epoch line of metrics.jsonl as the trainer writes it (src/train/epoch-record.ts); fields kept loose so older files still load. */
export interface EpochLine {
  epoch: number;
  /** Mean unweighted loss per term. */
  losses: Record<string, number | null>;
  lr?: number;
  alpha?: number;
  validation?: { spearman?: (number | null)[]; maxInterAxis?: number; reconstructionMse?: number; relativeMse?: number };
  score?: number;
  best?: boolean;
  seconds?: number;
}

/**
 * A model's training curves: `xlatent train` copies the chosen trial's
 * metrics.jsonl into the model directory; a run directory holds it in model/.
 */
export function findMetricsFile(modelDir: string): string | undefined {
  const candidates = [join(modelDir, 'metrics.jsonl'), join(modelDir, 'model', 'metrics.jsonl')];
  return candidates.find((p) => existsSync(p));
}

/** Reads metrics.jsonl; a malformed line is a UserError naming file and line. Blank lines are skipped. */
export function readMetricsFile(path: string): EpochLine[] {
  const text = readFileSync(path, 'utf8');
  const out: EpochLine[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new UserError(`not valid JSON (${(e as Error).message})`, at(path, i + 1));
    }
    const r = rec as Partial<EpochLine>;
    if (!r || typeof r !== 'object' || typeof r.epoch !== 'number' || typeof r.losses !== 'object' || r.losses === null) {
      throw new UserError('expected an epoch record with numeric "epoch" and an object "losses"', at(path, i + 1));
    }
    out.push(r as EpochLine);
  });
  return out;
}
