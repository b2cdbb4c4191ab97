import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { selectBackend } from '../backends/select.js';
import { loadTrainConfig } from '../config/load.js';
import { UserError } from '../util/errors.js';
import { INTERRUPTED_EXIT_CODE, reportAndExit } from '../util/exit.js';
import { prepareData } from './prepare-data.js';
import { runPaths } from './run-dir.js';
import { checkSameIdentity, readRunRecord, runIdentity } from './run-identity.js';
import { runTrial } from './trials.js';

const USAGE = 'usage: node trial-worker.js <run>/config.resolved.json <trial> [--resume] [--name=NAME]';

/**
 * One trial of a run, as its own process: what a launcher starts, here or on
 * another machine that shares the run directory.
 *
 *   node dist/pipeline/trial-worker.js RUN/config.resolved.json TRIAL [--resume] [--name=NAME]
 *
 * (NAME, e.g. a search trial's "t-03", names the trial in progress and log
 * lines instead of "trial TRIAL").
 *
 * It loads the resolved config, prepares the data itself (the split depends
 * only on the config and seed), checks that data and config are the ones
 * the run recorded in run.json, trains the trial (src/pipeline/trials.ts) and
 * exits 0 when it finished, 130 when it was stopped (checkpointed), 2 on a
 * user error. SIGINT and SIGTERM (what Slurm sends before killing a job)
 * stop it at the end of the current epoch with its checkpoint written, as
 * does the loss of its parent when a local launcher started it.
 *
 * @returns the exit code
 */
export async function runTrialWorker(argv: string[]): Promise<number> {
  const resume = argv.includes('--resume');
  const nameArg = argv.find((a) => a.startsWith('--name='));
  const [configPath, trialArg, ...rest] = argv.filter((a) => a !== '--resume' && a !== nameArg);
  const trial = Number(trialArg);
  if (!configPath || !Number.isInteger(trial) || trial < 0 || rest.length > 0) throw new UserError(USAGE);
  const cfg = loadTrainConfig(configPath);
  if (trial >= cfg.training.trials) throw new UserError(`trial ${trial} is not one of the run's ${cfg.training.trials} trials`, configPath);
  const stop = new AbortController();
  const requestStop = () => stop.abort();
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', requestStop);
  if (process.send) process.on('disconnect', requestStop);
  // Training reads tensors only asynchronously, so `auto` may pick a GPU (webgpu), as in the parent.
  await selectBackend(cfg.backend, { training: true });
  const data = await prepareData(cfg);
  const identity = runIdentity(cfg, data.dataset);
  const paths = runPaths(cfg.output);
  const recorded = readRunRecord(paths.runJson);
  if (!recorded?.identity) throw new UserError('no run.json with the run\'s identity here; trials are started by `xlatent train`', paths.out);
  checkSameIdentity(identity, recorded.identity, paths.runJson, 'this worker loaded other data, config or xlatent version than the run recorded');
  const log = (line: string) => process.stderr.write(line + '\n');
  const name = nameArg?.slice('--name='.length) || `trial ${trial}`;
  const end = await runTrial(cfg, data, identity, trial, { resume, log, signal: stop.signal, progressLabel: name, name });
  if (end.state === 'stopped') log(`${name}: stopped after epoch ${end.epoch}, checkpoint written`);
  return end.state === 'stopped' ? INTERRUPTED_EXIT_CODE : 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  runTrialWorker(process.argv.slice(2)).then((code) => process.exit(code), reportAndExit);
}
