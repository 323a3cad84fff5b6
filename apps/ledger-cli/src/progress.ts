import { Presets, SingleBar } from 'cli-progress';

export interface ProgressBar {
  /** `n` done so far; `total` when it became known (or changed) since the bar was made. */
  update(n: number, total?: number): void;
  done(): void;
}

/**
 * A one-line progress bar on stderr for long work, from cli-progress. It draws only when stderr is a terminal
 * (cli-progress's default), so piped output and `--json` stay clean; stdout is never touched.
 */
export const progressBar = (label: string, total: number | undefined): ProgressBar => {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total}`,
      stream: process.stderr,
      hideCursor: true,
      fps: 10,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(n, newTotal) {
      if (!started) {
        bar.start(newTotal ?? total ?? 0, n);
        started = true;
      } else if (newTotal !== undefined && newTotal !== bar.getTotal()) bar.setTotal(newTotal);
      bar.update(n);
    },
    done() {
      if (started) bar.stop();
    },
  };
};
