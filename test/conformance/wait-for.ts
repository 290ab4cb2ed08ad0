/** Polls until a condition holds, or fails with a description once the explicit timeout passes. */
export async function waitFor(condition: () => boolean, options: { timeoutMs: number; what: string | (() => string); intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5));
  }
}

/** A promise with its resolve exposed: lets a test hold a handler until it says so. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
