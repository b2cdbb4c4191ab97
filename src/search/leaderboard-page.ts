import type { TrainConfig } from '../config/schema.js';
import { figureHtml, pageHtml, sectionHtml, tableHtml } from '../report/html.js';
import { linePlotSvg, type LineSeries } from '../report/plot/lines.js';
import { scatterPlotSvg } from '../report/plot/scatter.js';
import { xlatentVersion } from '../util/versions.js';
import { RANKING_RULE, type Leaderboard } from './leaderboard.js';
import { formatValue } from './space.js';

/** Trials labelled in the score-by-rung figure (the rest are drawn unlabelled). */
const LABELLED = 6;

const score = (v: number | null) => (v === null ? '-' : v.toFixed(4));

/** Score against one parameter: numbers on a linear or (spanning decades) log10 axis; other values by their position in a legend. */
function parameterFigure(lb: Leaderboard, path: string): string {
  const values = lb.rows.map((r) => r.params[path]);
  const y = lb.rows.map((r) => r.rungScores[0] ?? NaN);
  const numeric = values.every((v) => typeof v === 'number');
  let x: number[];
  let xLabel = path;
  if (numeric) {
    const nums = values as number[];
    const log = nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) >= 20;
    x = log ? nums.map(Math.log10) : nums;
    if (log) xLabel = `log10 ${path}`;
  } else {
    const distinct = [...new Set(values.map(formatValue))];
    x = values.map((v) => distinct.indexOf(formatValue(v)));
    xLabel = `${path}: ${distinct.map((d, i) => `${i} = ${d}`).join(', ')}`;
  }
  return figureHtml(
    scatterPlotSvg({ x, y, xLabel, yLabel: `score after ${lb.budgets[0]} epochs`, title: path, width: 420, height: 320 }),
    `Every trial's validation score after the first rung (${lb.budgets[0]} epochs) against ${path}.`,
  );
}

/** A trial's validation score per epoch (its best seed's metrics.jsonl). */
export interface ScoreCurve {
  epochs: number[];
  scores: number[];
}

/** Validation score per epoch of every trial, ending where successive halving stopped it; the top trials labelled. */
function curvesFigure(lb: Leaderboard, curves: Map<string, ScoreCurve>): string {
  const series: LineSeries[] = lb.rows.map((r, i) => {
    const c = curves.get(r.trial) ?? { epochs: lb.budgets.slice(0, r.rungs), scores: r.rungScores.slice(0, r.rungs).map((s) => s ?? NaN) };
    return {
      x: c.epochs,
      y: c.scores,
      label: i < LABELLED ? `${r.rank}. ${r.trial}` : undefined,
      color: i < LABELLED ? undefined : '#b9bfc7',
      width: i < LABELLED ? 2 : 1,
    };
  });
  return figureHtml(
    linePlotSvg({ series: series.reverse(), xLabel: 'epoch', yLabel: 'validation score', title: 'Validation score by epoch', width: 680, height: 400 }),
    `Each line is one trial (its best seed): the validation score after every epoch, ending at the last rung it reached (rungs end at ${lb.budgets.join(', ')} epochs).`,
  );
}

/**
 * The leaderboard as one self-contained page: the ranked table, every
 * trial's validation score by epoch, and score against each searched
 * parameter. Every piece of text
 * (trial names, parameter paths and values, the title) is escaped by the
 * report's helpers, so values from a search file never become markup.
 */
export function leaderboardPage(lb: Leaderboard, ctx: { title: string; base: TrainConfig; curves?: Map<string, ScoreCurve> }): string {
  const header = ['rank', 'trial', 'status', 'epochs', 'score', 'best epoch', ...lb.budgets.map((b) => `score @${b}`), ...lb.parameters];
  const rows = lb.rows.map((r) => [
    r.rank,
    r.trial,
    r.status,
    r.epochs,
    score(r.score),
    r.bestEpoch ?? '-',
    ...r.rungScores.map(score),
    ...lb.parameters.map((p) => formatValue(r.params[p])),
  ]);
  const budgets = lb.budgets.length > 1 ? `successive halving: rungs of ${lb.budgets.join(', ')} epochs, keeping 1/${lb.reduction}` : `${lb.budgets[0]} epochs each`;
  const members = lb.ensemble ? ` The model is an ensemble of the top ${lb.ensemble.members.length} trials (best seed each): ${lb.ensemble.members.join(', ')}.` : '';
  const sections = [
    sectionHtml('leaderboard', 'Leaderboard', tableHtml(header, rows), `${RANKING_RULE}. ${budgets}.${members}`),
    sectionHtml('curves', 'Score by epoch', `<div class="figs">${curvesFigure(lb, ctx.curves ?? new Map())}</div>`),
    sectionHtml('parameters', 'Score by parameter', `<div class="figs">${lb.parameters.map((p) => parameterFigure(lb, p)).join('')}</div>`),
  ];
  const meta = `${lb.rows.length} trials, ${lb.sampler} sampling (seed ${lb.seed}), descriptors ${ctx.base.data.descriptors.join(', ')}, xlatent ${xlatentVersion()}`;
  return pageHtml(
    ctx.title,
    meta,
    [
      ['leaderboard', 'Leaderboard'],
      ['curves', 'Score by epoch'],
      ['parameters', 'Score by parameter'],
    ],
    sections.join(''),
  );
}
