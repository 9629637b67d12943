import cliProgress from 'cli-progress';
import type { ProgressListener } from '../client/artifacts.ts';

/**
 * A transfer's progress bar on stderr for `totalBytes`, shown only when stderr is a TTY (nothing
 * when piped). Returns the listener to hand to uploadFile/downloadFile and `stop()` to call after.
 */
export function transferProgress(label: string, totalBytes: number): { onProgress: ProgressListener; stop(): void } {
  if (!process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, hideCursor: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0);
  return { onProgress: (done) => bar.update(done), stop: () => bar.stop() };
}
