/**
 * Runs `work` with Ctrl-C turned into an abort signal: the first Ctrl-C
 * aborts it (running trials finish their epoch and write their `last`
 * checkpoint, the command then exits 130 and `--resume` continues from
 * there); a second one quits at once.
 */
export async function untilInterrupted<T>(log: (line: string) => void, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    log('\ninterrupt: finishing this epoch and writing a checkpoint (press Ctrl-C again to quit now)');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await work(stop.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
