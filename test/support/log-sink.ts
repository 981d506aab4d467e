import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';

/** A pino logger writing JSON lines into memory, so tests can assert on exactly what would be logged. */
export function logSink(options: { level?: string; secrets?: string[] } = {}): {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: options.level ?? 'trace', secrets: options.secrets ?? [], destination });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, text };
}
