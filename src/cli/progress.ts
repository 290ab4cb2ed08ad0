/**
 * A progress line on stderr for long runs (`evc generate`, `evc lint` on big contracts):
 * only on a terminal, never with `--quiet`, and only once the run has lasted `afterMs`
 * (2 s): short runs print nothing more than before. The line is rewritten in place and
 * erased when the run ends, so logs and piped output never see it.
 */
export interface ProgressLine {
  /** The current state, e.g. `3/4 contracts parsed, 1/4 systems generated`. */
  update(text: string): void;
  /** Erase the line (when it was shown) and stop. */
  done(): void;
}

export interface ProgressOptions {
  /** Default process.stderr. */
  stream?: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  /** `--quiet`: no line. */
  quiet?: boolean;
  /** Default 2000 ms. */
  afterMs?: number;
  /** Prefix of the line, e.g. `evc generate`. */
  label: string;
  now?: () => number;
}

const ERASE = '\r\x1b[2K';

export function progressLine(options: ProgressOptions): ProgressLine {
  const stream = options.stream ?? process.stderr;
  const enabled = stream.isTTY === true && options.quiet !== true;
  const now = options.now ?? (() => performance.now());
  const afterMs = options.afterMs ?? 2000;
  const started = now();
  let latest: string | undefined;
  let shown = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const show = () => {
    if (latest === undefined || now() - started < afterMs) return;
    const line = `${options.label}: ${latest}`;
    if (line === shown) return;
    stream.write(`${ERASE}${line}`);
    shown = line;
  };
  // Work that waits (a worker, the disk) lets the timer show the line; synchronous work shows it at its next update.
  if (enabled) {
    timer = setTimeout(show, afterMs);
    timer.unref?.();
  }
  return {
    update(text) {
      latest = text;
      if (enabled) show();
    },
    done() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (shown !== '') stream.write(ERASE);
      shown = '';
      latest = undefined;
    },
  };
}
