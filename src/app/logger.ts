import { pino, type Logger, type LevelWithSilent } from 'pino';
import { scrubSecrets } from '../host/secrets.js';

/**
 * Paths pino blanks in every log line, wherever a secret can sit in what we log: profiles,
 * MCP server configs, HTTP headers, tokens. Plugins add their own structured fields under
 * these names rather than logging secrets as free text.
 */
export const REDACT_PATHS = [
  'apiKey', '*.apiKey', '*.*.apiKey', '*.*.*.apiKey',
  'token', '*.token', '*.*.token',
  'authorization', '*.authorization', '*.*.authorization',
  'headers', '*.headers', '*.*.headers', '*.*.*.headers',
  'env', '*.env', '*.*.env', '*.*.*.env',
  'secret', '*.secret', '*.*.secret',
  'password', '*.password', '*.*.password',
  '["x-ghost-key"]', '*["x-ghost-key"]', '*.*["x-ghost-key"]',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** A file to append to; stderr when absent. Never stdout: stdio mode owns it. */
  file?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.file
    ? pino.destination({ dest: opts.file, mkdir: true, sync: false })
    : pino.destination({ fd: 2, sync: false });
  return pino(
    {
      name: 'switchboard',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // By value too: a secret logged under another name, or inside a message, is still blanked.
      hooks: { streamWrite: (line: string) => scrubSecrets(line) },
      base: { pid: process.pid },
    },
    destination,
  );
}
