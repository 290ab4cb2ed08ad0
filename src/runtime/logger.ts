/** Structured logging: JSON lines, injectable, silent by default. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => {};

/** The default: logs nothing. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Where each line goes (without the newline added by the default). Default: stderr. */
  write?: (line: string) => void;
  /** Fields on every line, e.g. `{ service: 'gen-service' }`. */
  base?: LogFields;
  now?: () => Date;
}

/**
 * One JSON object per line: `{"time":…,"level":"warn","msg":…,…fields}`. Errors in
 * fields are written as `{name, message}`.
 *
 * @example
 * const client = createClient(system, { logger: createJsonLogger({ level: 'info', base: { service: 'chat' } }) });
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    write(JSON.stringify({ time: now().toISOString(), level, msg, ...options.base, ...serialise(fields) }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function serialise(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return undefined;
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
  }
  return out;
}
