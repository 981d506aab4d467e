import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, type LoggerOptions, pino, stdSerializers } from 'pino';

export type { Logger } from 'pino';

/** Structured fields that hold secrets, wherever a log call puts them. */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.*.headers.authorization',
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

export const REDACTED = '[Redacted]';

/**
 * Secret shapes we scrub from free text even when we were not told the value: Slack tokens, bearer tokens, and the
 * password of a URL with credentials (`postgres://user:password@host/db`), whatever its length.
 */
const TOKEN_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/xox[abposer]-[A-Za-z0-9-]+/g, REDACTED],
  [/xapp-[A-Za-z0-9-]+/g, REDACTED],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#@]+@/gi, `$1${REDACTED}@`],
];

/** Replaces every known secret and every token-looking string in `text`. */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of TOKEN_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export interface CreateLoggerOptions {
  level?: string;
  /** Human-readable output through pino-pretty (a dev dependency); JSON otherwise. */
  pretty?: boolean;
  /** Exact secret values to scrub from messages, errors and fields (tokens, signing and client secrets). */
  secrets?: readonly string[];
  /** Where JSON lines go (stdout by default); tests pass a sink. */
  destination?: DestinationStream;
}

/** The product's one logger: JSON lines, secrets redacted by field name, by value and by shape. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const secrets = [...(options.secrets ?? [])];
  const scrubDeep = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrubText(value, secrets);
    if (depth > 4 || value === null || typeof value !== 'object' || value instanceof Error) return value;
    if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
    return out;
  };

  const config: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      err: (err: Error) => scrubDeep(stdSerializers.err(err), 0),
    },
    formatters: {
      log: (fields) => scrubDeep(fields, 0) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubText(a, secrets) : a)) as typeof args);
      },
    },
  };

  if (options.pretty && !options.destination && hasPinoPretty()) {
    return pino({ ...config, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  const logger = options.destination ? pino(config, options.destination) : pino(config);
  if (options.pretty && !options.destination) {
    logger.warn('LOG_PRETTY is set but pino-pretty (a dev dependency) is not installed: logging JSON');
  }
  return logger;
}

function hasPinoPretty(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
