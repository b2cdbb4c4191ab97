/**
 * One-line progress display for long loops: a bar, counts, a short status
 * (losses) and ETA. On a terminal it redraws in place; otherwise (CI, logs)
 * it prints a plain line every `logEvery` updates so logs stay readable.
 */
export class ProgressBar {
  private readonly start = Date.now();
  private last = 0;
  private readonly tty: boolean;

  /**
   * @param total number of units (epochs) the loop will run
   * @param label text before the bar, e.g. "trial 1/3"
   * @param stream where to draw (stderr keeps stdout clean for --json output)
   * @param logEvery in non-TTY mode, print every this many units
   */
  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEvery = Math.max(1, Math.round(total / 20)),
    private readonly startAt = 0,
  ) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
  }

  /** Reports that `done` units are finished; `status` is appended (e.g. "rec 0.012 rank -0.4"). */
  update(done: number, status = ''): void {
    const elapsed = (Date.now() - this.start) / 1000;
    const progressed = done - this.startAt;
    const rate = progressed > 0 ? elapsed / progressed : 0;
    const eta = rate * (this.total - done);
    const width = 24;
    const filled = Math.round((width * done) / this.total);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `${this.label} [${bar}] ${done}/${this.total} ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)} ${status}`;
    if (this.tty) {
      const cols = this.stream.columns ?? 120;
      this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, this.last))}`);
      this.last = Math.min(cols - 1, line.length);
    } else if (done === this.total || done % this.logEvery === 0 || done === this.startAt + 1) {
      this.stream.write(line + '\n');
    }
  }

  /** Ends the in-place line. */
  finish(): void {
    if (this.tty) this.stream.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
