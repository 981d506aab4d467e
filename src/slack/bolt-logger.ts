import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../logger.ts';

const BOLT_LEVELS = new Set<string>(Object.values(LogLevel));
/**
 * The WebClient's debug lines that quote what was sent and answered: a modal's private_metadata (a response URL,
 * which lets its holder post to the person), message text, profiles. The other debug lines stay.
 */
const QUOTES_BODIES = /^http request (body|result|headers)/;

/** Lets Bolt (and its WebClient) log through our pino logger, so redaction and format apply to them too. */
export function toBoltLogger(parent: Logger, name = 'bolt'): BoltLogger {
  let logger = parent.child({ component: name });
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      const err = msg.find((m) => m instanceof Error);
      const text = msg
        .filter((m) => m !== err)
        .map((m) => (typeof m === 'string' ? m : safeJson(m)))
        .join(' ');
      if (level === 'debug' && QUOTES_BODIES.test(text)) return;
      if (err) logger[level]({ err }, text);
      else logger[level](text);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (level: LogLevel) => {
      logger.level = level;
    },
    getLevel: () => (BOLT_LEVELS.has(logger.level) ? (logger.level as LogLevel) : LogLevel.INFO),
    setName: (next: string) => {
      logger = parent.child({ component: next });
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
