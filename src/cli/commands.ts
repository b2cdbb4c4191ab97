import type { CommandModule } from 'yargs';
import train from './train.js';
import evaluate from './evaluate.js';
import data from './data.js';
import sweep from './sweep.js';
import relevance from './relevance.js';
import interpolate from './interpolate.js';
import report from './report.js';
import exportCommand from './export.js';
import embed from './embed.js';
import baseline from './baseline.js';
import compare from './compare.js';

/** Every `xlatent` sub-command; one file per command under src/cli. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [train, evaluate, data, sweep, relevance, interpolate, report, exportCommand, embed, baseline, compare];
