import type { CommandModule } from 'yargs';
import train from './train.js';
import evaluate from './evaluate.js';
import data from './data.js';

/** Every `xlatent` sub-command; one file per command under src/cli. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [train, evaluate, data];
