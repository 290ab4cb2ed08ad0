/**
 * The heap of an `evc generate` process. V8 lets a heap grow to several times what
 * survived its last full collection before it collects again (a factor up to 4, from its
 * own speed estimates); generate allocates fast (YAML nodes, ajv's code trees, the printed
 * files) over a live set of a few hundred megabytes on big contracts, so peak RSS was
 * mostly garbage waiting to be collected: at 5,000 channels the main heap reached 1.26 GB
 * during loading for 150 MB live after it. Measured at 5,000 channels (one run each,
 * load 6-8): default 54-56 s CPU / 1.72-1.80 GB, 100% 55 s / 1.53 GB, 50% 62 s / 1.28 GB,
 * 30% 74 s / 1.40 GB (load 10). 50% trades about a tenth more CPU for a quarter less memory.
 */
import { setFlagsFromString } from 'node:v8';

/** Percent the heap may grow by after each full collection (V8's --heap-growing-percent). */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Bound the heap's growth for the rest of this process (and the workers it starts), unless
 * node was started with its own --heap-growing-percent. For the CLI: a library must not
 * change its host's collector.
 */
export function boundHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  if ([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
