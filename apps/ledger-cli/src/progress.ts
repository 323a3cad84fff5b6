/** A one-line progress bar on stderr for long work (only when stderr is a terminal). */
export const progressBar = (label: string, total: number | undefined) => {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(n: number) {
      if (!tty || Date.now() - last < 100) return;
      last = Date.now();
      const frac = total ? Math.min(n / total, 1) : 0;
      const width = 30;
      const filled = Math.round(frac * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${total ? Math.round(frac * 100) + '%' : n}`,
      );
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
};
